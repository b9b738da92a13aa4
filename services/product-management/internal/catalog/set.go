package catalog

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/precondition"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// SetOutcome is what setting a product's state did.
type SetOutcome int

const (
	SetCreated   SetOutcome = iota + 1 // no product had the key
	SetUpdated                         // the state changed
	SetUnchanged                       // the state sent was the stored one: nothing written
)

// ProductSet is a product's whole new state as the store writes it over the stored one: the
// entities matched to stored ones keep their ids, so everything not in it goes.
type ProductSet struct {
	Product       NewProduct  // NewMedias: the medias to create
	ChangedMedias []Media     // stored medias of the product whose own fields change
	NewPrices     []price.Row // first revisions
	NextPrices    []price.Row // the next revision of a stored price (it starts at Start)
	EndedPrices   []uuid.UUID // stored prices that end now
	// NewVariants are the variants to create; ChangedVariants the kept ones whose representation
	// changes (their versions move).
	NewVariants, ChangedVariants []uuid.UUID
}

// SetStore writes products' whole states.
type SetStore interface {
	// LockProductByKey locks the product with key until the change ends and returns its id and
	// version (found false: none has it).
	LockProductByKey(ctx context.Context, instance uuid.UUID, key string) (id uuid.UUID, version int64, found bool, err error)
	// LockProductsByKey is LockProductByKey for many keys (in one order), answering those found.
	LockProductsByKey(ctx context.Context, instance uuid.UUID, keys []string) (map[string]uuid.UUID, error)
	// ReplaceProduct writes a product's new state in locale over its stored one.
	ReplaceProduct(ctx context.Context, instance uuid.UUID, locale string, set ProductSet) error
}

// SetProduct sets the whole state of the product with key, creating it when none has the key:
// options are matched by name, their values by label, variants by SKU, images by src and prices by
// their slot (price.SameSlot, and the start of a dated price); matched entries keep their ids and
// take the values given, the others are created, and stored ones left out go (prices end now).
// A state equal to the stored one writes nothing: no version, no event. ifVersion (0: any) is the
// version the write expects; a product that does not exist has none.
func (s *Service) SetProduct(ctx context.Context, instance uuid.UUID, locale, key string, in ProductInput, ifVersion int64) (View, SetOutcome, error) {
	if in.Key != nil && *in.Key != key {
		return View{}, 0, keyMismatch()
	}
	in.Key = &key
	var out View
	var outcome SetOutcome
	read := func(ctx context.Context, id uuid.UUID) (View, error) {
		return s.Product(ctx, instance, id, Read{Locale: ReadLocale{Code: locale}})
	}
	recorded, err := s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		id, version, found, err := s.sets.LockProductByKey(ctx, instance, key)
		if err != nil {
			return nil, err
		}
		if !found {
			if ifVersion != 0 {
				return nil, precondition.Failed()
			}
			p, err := s.validateProduct(ctx, instance, in)
			if err != nil {
				return nil, err
			}
			if err := s.products.CreateProduct(ctx, instance, locale, p); err != nil {
				return nil, err
			}
			if err := s.refresh(ctx, instance, Touch{Products: []uuid.UUID{p.ID}}); err != nil {
				return nil, err
			}
			if out, err = read(ctx, p.ID); err != nil {
				return nil, err
			}
			outcome = SetCreated
			return one(KindProduct, Created, p.ID, out), nil
		}
		if ifVersion != 0 && ifVersion != version {
			return nil, precondition.Failed()
		}
		loc := ReadLocale{Code: locale}
		cur, err := s.graph(ctx, instance, id, loc)
		if err != nil {
			return nil, err
		}
		curMedias, err := s.medias.MediasByID(ctx, instance, cur.Medias, loc)
		if err != nil {
			return nil, err
		}
		desired, err := s.validateProduct(ctx, instance, in)
		if err != nil {
			return nil, err
		}
		plan := planSet(cur, curMedias, desired, price.Now())
		if err := plan.validate(); err != nil {
			return nil, err
		}
		if plan.unchanged() {
			outcome = SetUnchanged
			out, err = read(ctx, id)
			return nil, err
		}
		if err := s.sets.ReplaceProduct(ctx, instance, locale, plan.set); err != nil {
			return nil, err
		}
		if err := s.refresh(ctx, instance, Touch{Products: []uuid.UUID{id}}); err != nil {
			return nil, err
		}
		if out, err = read(ctx, id); err != nil {
			return nil, err
		}
		outcome = SetUpdated
		return plan.changes(ctx, s, instance, locale, out)
	})
	if err == nil && outcome == SetUpdated {
		out = withEncoding(out, recorded)
	}
	return out, outcome, err
}

func keyMismatch() error {
	return fault.Invalid("key", "key_mismatch", "the body's key must be the one in the path")
}

// setPlan is the difference between a stored product and the state sent for it.
type setPlan struct {
	cur       Product
	validFrom map[uuid.UUID]time.Time // each stored price's first start
	set       ProductSet
	scalars   bool // the product's own fields, lists or images changed
	options   diff
	values    diff
	variants  diff
	newMedias []Media
}

// diff sorts the entities of one kind: created, changed (kept, but different) and gone.
type diff struct{ created, changed, gone []uuid.UUID }

func (d diff) empty() bool { return len(d.created)+len(d.changed)+len(d.gone) == 0 }

// planSet matches desired (validated, with fresh ids) to the stored product cur and its medias,
// giving matched entities their stored ids.
func planSet(cur Product, curMedias []Media, desired NewProduct, now time.Time) *setPlan {
	pl := &setPlan{cur: cur, validFrom: map[uuid.UUID]time.Time{}}
	for _, r := range cur.PriceHistory {
		if r.Revision == 1 {
			pl.validFrom[r.ID] = r.Start
		}
	}
	p := desired
	p.ID = cur.ID
	p.CreatedAt = cur.CreatedAt

	// Images by src: a matched one keeps its id; the rest are created.
	mediaID := map[uuid.UUID]uuid.UUID{} // fresh id -> kept id
	bySrc := map[string]Media{}
	for _, m := range curMedias {
		bySrc[m.Src] = m
	}
	var created []Media
	for _, m := range p.NewMedias {
		if old, ok := bySrc[m.Src]; ok {
			mediaID[m.ID] = old.ID
			kept := m
			kept.ID, kept.CreatedAt, kept.UpdatedAt = old.ID, old.CreatedAt, old.UpdatedAt
			if kept.Type != old.Type || !eqPtr(kept.Alt, old.Alt) || !eqPtr(kept.MimeType, old.MimeType) ||
				!eqPtr(kept.Width, old.Width) || !eqPtr(kept.Height, old.Height) {
				pl.set.ChangedMedias = append(pl.set.ChangedMedias, kept)
			}
			continue
		}
		created = append(created, m)
	}
	p.NewMedias, pl.newMedias = created, created
	p.Medias = remap(p.Medias, mediaID)

	// Options by name, their values by label.
	valueID := map[uuid.UUID]uuid.UUID{}
	curOptions := map[string]Option{}
	for _, o := range cur.Options {
		curOptions[strings.ToLower(deref(o.Name))] = o
	}
	keptOptions, keptValues := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	for i, o := range p.Options {
		o.ProductID = cur.ID
		for j := range o.Values {
			o.Values[j].ProductID = cur.ID
		}
		old, ok := curOptions[strings.ToLower(deref(o.Name))]
		if !ok {
			pl.options.created = append(pl.options.created, o.ID)
			for _, v := range o.Values {
				pl.values.created = append(pl.values.created, v.ID)
			}
			p.Options[i] = o
			continue
		}
		keptOptions[old.ID] = true
		o.ID = old.ID
		if deref(o.Name) != deref(old.Name) || o.Position != old.Position {
			pl.options.changed = append(pl.options.changed, o.ID)
		}
		labels := map[string]OptionValue{}
		for _, v := range old.Values {
			labels[strings.ToLower(deref(v.Value))] = v
		}
		for j, v := range o.Values {
			v.OptionID = o.ID
			if ov, ok := labels[strings.ToLower(deref(v.Value))]; ok {
				valueID[v.ID] = ov.ID
				v.ID = ov.ID
				keptValues[v.ID] = true
				if deref(v.Value) != deref(ov.Value) || v.Position != ov.Position {
					pl.values.changed = append(pl.values.changed, v.ID)
				}
			} else {
				pl.values.created = append(pl.values.created, v.ID)
			}
			o.Values[j] = v
		}
		if !slices.Equal(valueIDs(o), valueIDs(old)) && !slices.Contains(pl.options.changed, o.ID) {
			pl.options.changed = append(pl.options.changed, o.ID) // its list of values changes
		}
		p.Options[i] = o
	}
	for _, o := range cur.Options {
		if !keptOptions[o.ID] {
			pl.options.gone = append(pl.options.gone, o.ID)
		}
		for _, v := range o.Values {
			if !keptValues[v.ID] {
				pl.values.gone = append(pl.values.gone, v.ID)
			}
		}
	}

	// Variants by SKU, with their prices by slot.
	current := CurrentPrices(cur.PriceHistory, now)
	curVariants := map[string]Variant{}
	for _, v := range cur.Variants {
		curVariants[v.SKU] = v
	}
	keptVariants := map[uuid.UUID]bool{}
	for i, v := range p.Variants {
		v.ProductID = cur.ID
		v.OptionValueIDs = remap(v.OptionValueIDs, valueID)
		v.Medias = remap(v.Medias, mediaID)
		old, ok := curVariants[v.SKU]
		if !ok {
			for k := range v.Prices {
				v.Prices[k].VariantID = v.ID
			}
			pl.set.NewPrices = append(pl.set.NewPrices, v.Prices...)
			pl.variants.created = append(pl.variants.created, v.ID)
			p.Variants[i] = v
			continue
		}
		keptVariants[old.ID] = true
		v.ID, v.CreatedAt, v.Version = old.ID, old.CreatedAt, old.Version
		pricesChanged := pl.planPrices(v.ID, v.Prices, current[old.ID], now)
		delete(current, old.ID)
		if pricesChanged || !eqPtr(v.Title, old.Title) || !eqPtr(v.Barcode, old.Barcode) || v.Position != old.Position ||
			!slices.Equal(v.OptionValueIDs, old.OptionValueIDs) || !slices.Equal(orEmpty(v.Medias), orEmpty(old.Medias)) {
			pl.variants.changed = append(pl.variants.changed, v.ID)
		}
		p.Variants[i] = v
	}
	for _, v := range cur.Variants {
		if !keptVariants[v.ID] {
			pl.variants.gone = append(pl.variants.gone, v.ID)
		}
	}
	pl.set.NewVariants, pl.set.ChangedVariants = pl.variants.created, pl.variants.changed

	pl.scalars = p.Status != cur.Status || !eqPtr(p.Key, cur.Key) || !eqPtr(p.Vendor, cur.Vendor) || !p.ProductTexts.Equal(cur.ProductTexts) ||
		!slices.Equal(p.Tags, cur.Tags) || !eqPtr(p.Category, cur.Category) ||
		!slices.Equal(orEmpty(p.Channels), orEmpty(cur.Channels)) || !slices.Equal(orEmpty(p.Collections), orEmpty(cur.Collections)) ||
		!slices.Equal(orEmpty(p.Medias), orEmpty(cur.Medias)) || len(created) > 0 || len(pl.set.ChangedMedias) > 0 ||
		!sameValues(p.Values, cur.Values)
	pl.set.Product = p
	return pl
}

// planPrices matches the prices sent for a kept variant to its current ones (in force now or
// scheduled): a matched price whose amounts or end differ takes a next revision, a new one is
// created, and a current one left out ends. It reports whether anything changes.
func (pl *setPlan) planPrices(variant uuid.UUID, sent []price.Row, current []price.Row, now time.Time) bool {
	changed := false
	matched := make([]bool, len(current))
	for _, r := range sent {
		r.VariantID = variant
		k := slices.IndexFunc(current, func(c price.Row) bool {
			return price.SameSlot(c, r) && (!r.Dated || c.Start.Equal(r.Start) || pl.validFrom[c.ID].Equal(r.Start))
		})
		if k < 0 || matched[k] {
			pl.set.NewPrices = append(pl.set.NewPrices, r)
			changed = true
			continue
		}
		matched[k] = true
		c := current[k]
		if c.Amount == r.Amount && eqPtr(c.CompareAt, r.CompareAt) && c.End.Equal(r.End) {
			continue
		}
		next := c
		next.Revision++
		next.Amount, next.CompareAt, next.End = r.Amount, r.CompareAt, r.End
		next.Start, next.UpdatedAt = now, now
		if c.Start.After(now) {
			next.Start = c.Start
		}
		pl.set.NextPrices = append(pl.set.NextPrices, next)
		changed = true
	}
	for k, c := range current {
		if !matched[k] {
			pl.set.EndedPrices = append(pl.set.EndedPrices, c.ID)
			changed = true
		}
	}
	return changed
}

// validate checks what only the plan knows: a next revision must end after it starts.
func (pl *setPlan) validate() error {
	var vs fault.Violations
	for _, r := range pl.set.NextPrices {
		if !r.Open() && !r.End.After(r.Start) {
			vs.Add("variants", "invalid_interval", "a price's validUntil must be later than the moment the change applies")
			break
		}
	}
	return vs.Err()
}

func (pl *setPlan) unchanged() bool {
	return !pl.scalars && pl.options.empty() && pl.values.empty() && pl.variants.empty()
}

// changes are the events of a set: the product's, and those of every option, value, variant,
// media and price it created, changed or removed, each as the view after the change shows it.
func (pl *setPlan) changes(ctx context.Context, s *Service, instance uuid.UUID, locale string, v View) ([]Change, error) {
	p := v.Products[0]
	out := one(KindProduct, Updated, p.ID, v)
	options := index(p.Options, func(o Option) uuid.UUID { return o.ID })
	values := OptionValues(p)
	variants := index(p.Variants, func(x Variant) uuid.UUID { return x.ID })
	add := func(kind Kind, d diff, resource func(uuid.UUID) any) {
		for _, id := range d.created {
			out = append(out, Change{Kind: kind, Op: Created, ID: id.String(), Resource: resource(id)})
		}
		for _, id := range d.changed {
			out = append(out, Change{Kind: kind, Op: Updated, ID: id.String(), Resource: resource(id)})
		}
		for _, id := range d.gone {
			out = append(out, Change{Kind: kind, Op: Deleted, ID: id.String()})
		}
	}
	add(KindOption, pl.options, func(id uuid.UUID) any { return options[id] })
	add(KindOptionValue, pl.values, func(id uuid.UUID) any { return values[id] })
	add(KindVariant, pl.variants, func(id uuid.UUID) any { return VariantOf{View: v, Variant: variants[id]} })
	// Medias and prices are read back: their times are the store's.
	medias := make([]uuid.UUID, 0, len(pl.newMedias)+len(pl.set.ChangedMedias))
	for _, m := range slices.Concat(pl.newMedias, pl.set.ChangedMedias) {
		medias = append(medias, m.ID)
	}
	if len(medias) > 0 {
		stored, err := s.medias.MediasByID(ctx, instance, medias, ReadLocale{Code: locale})
		if err != nil {
			return nil, err
		}
		byID := index(stored, func(m Media) uuid.UUID { return m.ID })
		for i, id := range medias {
			op := Updated
			if i < len(pl.newMedias) {
				op = Created
			}
			out = append(out, Change{Kind: KindMedia, Op: op, ID: id.String(), Resource: byID[id]})
		}
	}
	for _, group := range []struct {
		op  Op
		ids []uuid.UUID
	}{{Created, rowIDs(pl.set.NewPrices)}, {Updated, rowIDs(pl.set.NextPrices)}, {Updated, pl.set.EndedPrices}} {
		for _, id := range group.ids {
			r, err := s.prices.Price(ctx, instance, id)
			if err != nil {
				return nil, err
			}
			out = append(out, Change{Kind: KindPrice, Op: group.op, ID: id.String(), Resource: r})
		}
	}
	return out, nil
}

func valueIDs(o Option) []uuid.UUID {
	ids := make([]uuid.UUID, len(o.Values))
	for i, v := range o.Values {
		ids[i] = v.ID
	}
	return ids
}

func rowIDs(rows []price.Row) []uuid.UUID {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// CurrentPrices are each variant's prices in force at now or scheduled: the latest revision of
// each price, unless it has ended.
func CurrentPrices(history []price.Row, now time.Time) map[uuid.UUID][]price.Row {
	latest := map[uuid.UUID]price.Row{}
	for _, r := range history {
		if l, ok := latest[r.ID]; !ok || r.Revision > l.Revision {
			latest[r.ID] = r
		}
	}
	out := map[uuid.UUID][]price.Row{}
	for _, r := range history {
		l := latest[r.ID]
		if l.Revision != r.Revision || !l.Open() && !l.End.After(now) {
			continue
		}
		out[r.VariantID] = append(out[r.VariantID], l)
	}
	return out
}

// sameValues compares attribute values by what they hold, not how their JSON is spelled.
func sameValues(a, b []AttributeValue) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Attribute != b[i].Attribute {
			return false
		}
		var x, y any
		if json.Unmarshal(a[i].Value, &x) != nil || json.Unmarshal(b[i].Value, &y) != nil || !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func remap(ids []uuid.UUID, m map[uuid.UUID]uuid.UUID) []uuid.UUID {
	for i, id := range ids {
		if to, ok := m[id]; ok {
			ids[i] = to
		}
	}
	return ids
}

func eqPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

package catalog

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// SetLine is one product's whole state to set by key (a line of an import).
type SetLine struct {
	Key   string
	Input ProductInput
}

// SetResult is what setting one line did: its outcome and product, or the line's own fault (a 400
// or 422, refused before anything was written).
type SetResult struct {
	Outcome SetOutcome
	Product uuid.UUID
	Err     error
}

// ErrBatchConflict is a batch the database refused as a whole (a SKU or key another product has):
// it does not say which line, so the caller sets the lines one by one (SetProduct) to find out.
var ErrBatchConflict = errors.New("catalog: the batch conflicts with stored data")

// SetProducts sets the states of many products by key, as SetProduct does one, in the change of
// ctx: lines are validated with their lookups shared, the new products written in one round trip,
// their documents rewritten, read back and recorded as events together. A key given twice is set
// in line order (the second line sees the first's product). A line's fault is its result; a
// conflict with stored data fails the batch (ErrBatchConflict).
func (s *Service) SetProducts(ctx context.Context, instance uuid.UUID, locale string, lines []SetLine) ([]SetResult, error) {
	results := make([]SetResult, len(lines))
	err := s.events.Atomically(ctx, func(ctx context.Context) error {
		ctx = withLookups(ctx)
		ctx, rewritten := withRewrites(ctx)
		for start := 0; start < len(lines); {
			// A run of lines with distinct keys is set at once.
			end, seen := start, map[string]bool{}
			for end < len(lines) && !seen[lines[end].Key] {
				seen[lines[end].Key] = true
				end++
			}
			if err := s.setRun(ctx, instance, locale, lines[start:end], results[start:end], rewritten); err != nil {
				return err
			}
			start = end
		}
		return nil
	})
	return results, err
}

// setRun sets lines of distinct keys.
func (s *Service) setRun(ctx context.Context, instance uuid.UUID, locale string, lines []SetLine, results []SetResult, rewritten *rewrites) error {
	keys := make([]string, len(lines))
	for i, l := range lines {
		keys[i] = l.Key
	}
	ids, err := s.sets.LockProductsByKey(ctx, instance, keys)
	if err != nil {
		return err
	}
	loc := ReadLocale{Code: locale}
	var existing []uuid.UUID
	for _, id := range ids {
		existing = append(existing, id)
	}
	current := map[uuid.UUID]Product{}
	medias := map[uuid.UUID]Media{}
	if len(existing) > 0 {
		ps, err := s.reads.Products(ctx, instance, existing, loc)
		if err != nil {
			return err
		}
		var mediaIDs []uuid.UUID
		for _, p := range ps {
			current[p.ID] = p
			mediaIDs = append(mediaIDs, p.Medias...)
		}
		if len(mediaIDs) > 0 {
			ms, err := s.medias.MediasByID(ctx, instance, mediaIDs, loc)
			if err != nil {
				return err
			}
			medias = index(ms, func(m Media) uuid.UUID { return m.ID })
		}
	}
	now := price.Now()
	var created []NewProduct
	var plans []*setPlan
	for i, l := range lines {
		in := l.Input
		if in.Key != nil && *in.Key != l.Key {
			results[i].Err = keyMismatch()
			continue
		}
		key := l.Key
		in.Key = &key
		desired, err := s.validateProduct(ctx, instance, in)
		if err != nil {
			results[i].Err = err
			continue
		}
		id, found := ids[l.Key]
		if !found {
			created = append(created, desired)
			results[i] = SetResult{Outcome: SetCreated, Product: desired.ID}
			continue
		}
		cur := current[id]
		var curMedias []Media
		for _, m := range cur.Medias {
			if md, ok := medias[m]; ok {
				curMedias = append(curMedias, md)
			}
		}
		plan := planSet(cur, curMedias, desired, now)
		if err := plan.validate(); err != nil {
			results[i].Err = err
			continue
		}
		if plan.unchanged() {
			results[i] = SetResult{Outcome: SetUnchanged, Product: id}
			continue
		}
		plans = append(plans, plan)
		results[i] = SetResult{Outcome: SetUpdated, Product: id}
	}
	if len(created) == 0 && len(plans) == 0 {
		return nil
	}
	if len(created) > 0 {
		if err := s.products.CreateProducts(ctx, instance, locale, created); err != nil {
			return asBatchConflict(err)
		}
	}
	for _, pl := range plans {
		if err := s.sets.ReplaceProduct(ctx, instance, locale, pl.set); err != nil {
			return asBatchConflict(err)
		}
	}
	var ps []Product
	if len(plans) > 0 {
		updated := make([]uuid.UUID, len(plans))
		for i, pl := range plans {
			updated[i] = pl.cur.ID
		}
		if err := s.refresh(ctx, instance, Touch{Products: updated}); err != nil {
			return err
		}
		if ps, err = s.reads.Products(ctx, instance, updated, loc); err != nil {
			return err
		}
	}
	if len(created) > 0 {
		// New products' documents are built from what was just written: no rows to read, no
		// documents to read back.
		news, err := s.docs.WriteNewDocuments(ctx, instance, locale, created)
		if err != nil {
			return err
		}
		for _, p := range news {
			rewritten.products = append(rewritten.products, p.ID)
		}
		ps = append(ps, news...)
	}
	read := Read{Locale: loc}
	v, err := s.view(ctx, instance, ps, read, nil)
	if err != nil {
		return err
	}
	byID := index(ps, func(p Product) uuid.UUID { return p.ID })
	one := func(id uuid.UUID) View {
		single := v
		single.Products = []Product{byID[id]}
		return single
	}
	var changes []Change
	for _, p := range created {
		// The batch knows the prices it created (withPrices would read them again).
		cp := CreatedProduct{View: one(p.ID)}
		for _, v := range p.Variants {
			cp.Prices = append(cp.Prices, v.Prices...)
		}
		changes = append(changes, Change{Kind: KindProduct, Op: Created, ID: p.ID.String(), Resource: cp})
	}
	for _, pl := range plans {
		cs, err := pl.changes(ctx, s, instance, locale, one(pl.cur.ID))
		if err != nil {
			return err
		}
		changes = append(changes, cs...)
	}
	changes, err = s.complete(ctx, instance, rewritten.products, changes)
	if err != nil {
		return err
	}
	rewritten.products = nil
	return s.record(ctx, instance, changes)
}

// record stores the events of changes in the transaction of ctx.
func (s *Service) record(ctx context.Context, instance uuid.UUID, changes []Change) error {
	events := make([]NewEvent, 0, len(changes))
	for _, c := range changes {
		data, err := s.encode(c)
		if err != nil {
			return err
		}
		events = append(events, NewEvent{ID: newID(), Type: string(c.Kind) + "." + string(c.Op), Resource: c.ID, Data: data})
	}
	return s.events.RecordEvents(ctx, instance, events)
}

func asBatchConflict(err error) error {
	if fault.Is(err, fault.KindConflict) {
		return ErrBatchConflict
	}
	return err
}

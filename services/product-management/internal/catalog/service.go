package catalog

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// ListQuery selects products.
type ListQuery struct {
	Locale        ReadLocale
	Page, PerPage int
	Cursor        *Cursor // walk mode: no offset, no count
	Channel       *uuid.UUID
	Collection    *uuid.UUID
	Status        *Status
	Vendor        *string
	Tags          []string
	Title         *string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	UpdatedAfter  *time.Time
	UpdatedBefore *time.Time
	OrderBy       string // created_at, updated_at, title
	Descending    bool
}

// Cursor is a position in a walk ordered by OrderBy then id.
type Cursor struct {
	At time.Time
	ID uuid.UUID
}

// ProductChanges is a merge patch of a product's own fields; nil pointers leave a field alone and
// the Clear flags remove a value.
type ProductChanges struct {
	Status                                    *Status
	Vendor, Title, Description                *string
	ClearVendor, ClearTitle, ClearDescription bool
	Tags                                      *[]string
	Category                                  *string // IRI
	ClearCategory                             bool
	Channels, Collections, Medias             *[]string // IRIs; replace the lists
	channelIDs, collectionIDs, mediaIDs       *[]uuid.UUID
	Values                                    *[]AttributeValueInput
	IfVersion                                 int64 // the version the write expects (0: any)
	// set by the service
	categoryID *uuid.UUID
	values     *[]AttributeValue
}

// CategoryChange reports whether the changes touch the category, and its new id (nil: none).
func (c ProductChanges) CategoryChange() (bool, *uuid.UUID) {
	return c.Category != nil || c.ClearCategory, c.categoryID
}

// ValuesChange returns the validated attribute values to store, if they change.
func (c ProductChanges) ValuesChange() *[]AttributeValue { return c.values }

// ListChanges returns the validated channel, collection and media lists to store, if they change.
func (c ProductChanges) ListChanges() (channels, collections, medias *[]uuid.UUID) {
	return c.channelIDs, c.collectionIDs, c.mediaIDs
}

// Store persists the catalog. Every method is scoped to one instance.
type Store interface {
	PriceStore
	CollectionStore
	MediaStore
	AttributeStore
	MetaStore
	Locales(ctx context.Context, instance uuid.UUID) (Locales, error)
	EnableLocale(ctx context.Context, instance uuid.UUID, code string, makeDefault bool) (Locale, error)
	SetDefaultLocale(ctx context.Context, instance uuid.UUID, code string) (Locale, error)
	DisableLocale(ctx context.Context, instance uuid.UUID, code string) error

	// Embeds loads what product reads embed, in one round trip.
	Embeds(ctx context.Context, instance uuid.UUID, q EmbedQuery) (Embeds, error)
	ListProductIDs(ctx context.Context, instance uuid.UUID, q ListQuery) (ids []uuid.UUID, total int, next *Cursor, err error)
	Products(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Product, error)
	CreateProduct(ctx context.Context, instance uuid.UUID, locale string, p NewProduct) error
	UpdateProduct(ctx context.Context, instance, id uuid.UUID, locale string, c ProductChanges) error
	DeleteProduct(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error

	VariantProduct(ctx context.Context, instance, variantID uuid.UUID) (uuid.UUID, error)
	OptionProduct(ctx context.Context, instance, optionID uuid.UUID) (uuid.UUID, error)
	OptionValueProduct(ctx context.Context, instance, valueID uuid.UUID) (uuid.UUID, error)
	CreateVariant(ctx context.Context, instance uuid.UUID, v Variant) error
	UpdateVariant(ctx context.Context, instance uuid.UUID, v Variant) error
	DeleteVariant(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error
	AddOption(ctx context.Context, instance uuid.UUID, locale string, o Option) error
	AddOptionValue(ctx context.Context, instance uuid.UUID, locale string, v OptionValue) error
	DeleteOption(ctx context.Context, instance, id uuid.UUID) error
	DeleteOptionValue(ctx context.Context, instance, id uuid.UUID) error
	UpdateOption(ctx context.Context, instance, id uuid.UUID, locale string, name *string, position *int) error
	UpdateOptionValue(ctx context.Context, instance, id uuid.UUID, locale string, value *string, position *int) error
}

// Service implements the catalog use cases.
type Service struct {
	store Store
}

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

const localeHeader = "header.X-Flowkiwi-Locale"

// ReadLocale resolves the locale of a read: the requested one (it must be enabled) or the default;
// with fallback, missing texts come from the default locale.
func (s *Service) ReadLocale(ctx context.Context, instance uuid.UUID, requested *string, fallback bool) (ReadLocale, error) {
	ls, err := s.store.Locales(ctx, instance)
	if err != nil {
		return ReadLocale{}, err
	}
	code, err := pick(ls, requested)
	if err != nil {
		return ReadLocale{}, err
	}
	rl := ReadLocale{Code: code}
	if fallback && code != ls.Default {
		rl.Fallback = ls.Default
	}
	return rl, nil
}

// WriteLocale resolves the locale texts of a write are stored in.
func (s *Service) WriteLocale(ctx context.Context, instance uuid.UUID, requested *string) (string, error) {
	ls, err := s.store.Locales(ctx, instance)
	if err != nil {
		return "", err
	}
	return pick(ls, requested)
}

func pick(ls Locales, requested *string) (string, error) {
	if requested == nil || *requested == "" {
		return ls.Default, nil
	}
	if _, ok := ls.Enabled[*requested]; !ok {
		return "", &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: localeHeader, Code: "locale_not_enabled",
			Message: "the locale " + *requested + " is not enabled for this instance (see /rest/api/locales)"}}}
	}
	return *requested, nil
}

// Product returns one product with its graph.
func (s *Service) Product(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Product, error) {
	ps, err := s.store.Products(ctx, instance, []uuid.UUID{id}, loc)
	if err != nil {
		return Product{}, err
	}
	if len(ps) == 0 {
		return Product{}, fault.NotFound("no such product")
	}
	return ps[0], nil
}

// List returns a page of products, the total (-1 in cursor mode) and the next cursor.
func (s *Service) List(ctx context.Context, instance uuid.UUID, q ListQuery) ([]Product, int, *Cursor, error) {
	if q.Cursor != nil && q.OrderBy == "title" {
		return nil, 0, nil, &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: "query.cursor", Code: "unsupported",
			Message: "cursor paging orders by createdAt or updatedAt, not by title"}}}
	}
	ids, total, next, err := s.store.ListProductIDs(ctx, instance, q)
	if err != nil || len(ids) == 0 {
		return []Product{}, total, next, err
	}
	ps, err := s.store.Products(ctx, instance, ids, q.Locale)
	return ps, total, next, err
}

// CreateProduct validates and stores a product with its options, variants, their prices and the
// product's channels, all or nothing.
func (s *Service) CreateProduct(ctx context.Context, instance uuid.UUID, locale string, in ProductInput) (NewProduct, error) {
	p, err := buildProduct(in)
	var vs fault.Violations
	if err != nil {
		vs = append(vs, err.(*fault.Error).Violations...)
	}
	needChannels := len(in.Channels) > 0
	for _, v := range in.Variants {
		needChannels = needChannels || len(v.Prices) > 0
	}
	channels := map[uuid.UUID]Channel{}
	if needChannels {
		if channels, err = s.channelMap(ctx, instance); err != nil {
			return p, err
		}
	}
	if len(in.Channels) > 0 {
		p.Channels = productChannels(channels, in.Channels, &vs)
	}
	if in.Category != nil || len(in.Values) > 0 {
		var set []Attribute
		if in.Category != nil {
			id, attrs, err := s.productCategory(ctx, instance, *in.Category)
			switch {
			case fault.Is(err, fault.KindUnprocessable):
				vs = append(vs, err.(*fault.Error).Violations...)
			case err != nil:
				return p, err
			default:
				p.Category, set = &id, attrs
			}
		}
		values, err := attributeValues(set, in.Values, p.Status == Active)
		if err != nil {
			vs = append(vs, err.(*fault.Error).Violations...)
		}
		p.Values = values
	} else if p.Status == Active {
		p.Values = []AttributeValue{}
	}
	if len(in.Medias) > 0 {
		medias, err := productMedias(in.Medias)
		if err != nil {
			vs = append(vs, err.(*fault.Error).Violations...)
		}
		p.NewMedias = medias
		for _, m := range medias {
			p.Medias = append(p.Medias, m.ID)
		}
	}
	if len(in.Collections) > 0 {
		ids, err := s.collectionIDs(ctx, instance, in.Collections)
		if err != nil {
			if fe, ok := err.(*fault.Error); ok && fe.Kind == fault.KindUnprocessable {
				vs = append(vs, fe.Violations...)
			} else {
				return p, err
			}
		}
		p.Collections = ids
	}
	now := time.Now().UTC()
	for i, v := range in.Variants {
		if i >= len(p.Variants) || len(vs) > 0 && len(p.Variants) != len(in.Variants) {
			break
		}
		if len(v.Medias) > 0 {
			ids, err := variantMedias("variants["+itoa(i)+"].medias", v.Medias, p.NewMedias)
			if err != nil {
				vs = append(vs, err.(*fault.Error).Violations...)
			}
			p.Variants[i].Medias = ids
		}
		for j, pi := range v.Prices {
			pi.Variant = p.Variants[i].ID
			row, err := BuildPrice("variants["+itoa(i)+"].prices["+itoa(j)+"].", pi, channels, now)
			if err != nil {
				vs = append(vs, err.(*fault.Error).Violations...)
				continue
			}
			p.Variants[i].Prices = append(p.Variants[i].Prices, row)
		}
	}
	if err := vs.Err(); err != nil {
		return p, err
	}
	return p, s.store.CreateProduct(ctx, instance, locale, p)
}

// productChannels resolves a product's channel IRIs against the instance's channels, in order,
// repeats dropped; unknown ones are violations at channels[N].channel.
func productChannels(channels map[uuid.UUID]Channel, iris []string, vs *fault.Violations) []uuid.UUID {
	ids := []uuid.UUID{}
	for i, iri := range iris {
		id, ok := ParseIRI(iri, "/rest/api/channels/")
		if _, exists := channels[id]; !ok || !exists {
			vs.Add("channels["+itoa(i)+"].channel", "unknown_channel", "no such channel in this instance")
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Service) channelMap(ctx context.Context, instance uuid.UUID) (map[uuid.UUID]Channel, error) {
	list, err := s.store.Channels(ctx, instance)
	if err != nil {
		return nil, err
	}
	m := make(map[uuid.UUID]Channel, len(list))
	for _, c := range list {
		m[c.ID] = c
	}
	return m, nil
}

// UpdateProduct applies changes to a product's own fields, category and attribute values. A
// product that is (or becomes) active must carry its set's required attributes.
func (s *Service) UpdateProduct(ctx context.Context, instance, id uuid.UUID, locale string, c ProductChanges) error {
	if c.Medias != nil {
		ids, err := s.productMediaIDs(ctx, instance, *c.Medias)
		if err != nil {
			return err
		}
		c.mediaIDs = &ids
	}
	if c.Collections != nil {
		ids, err := s.collectionIDs(ctx, instance, *c.Collections)
		if err != nil {
			return err
		}
		if ids == nil {
			ids = []uuid.UUID{}
		}
		c.collectionIDs = &ids
	}
	if c.Channels != nil {
		channels, err := s.channelMap(ctx, instance)
		if err != nil {
			return err
		}
		var vs fault.Violations
		ids := productChannels(channels, *c.Channels, &vs)
		if err := vs.Err(); err != nil {
			return err
		}
		c.channelIDs = &ids
	}
	touchesAttributes := c.Category != nil || c.ClearCategory || c.Values != nil || (c.Status != nil && *c.Status == Active)
	if touchesAttributes {
		cur, err := s.Product(ctx, instance, id, ReadLocale{Code: locale})
		if err != nil {
			return err
		}
		category := cur.Category
		var set []Attribute
		switch {
		case c.ClearCategory:
			category = nil
		case c.Category != nil:
			cid, attrs, err := s.productCategory(ctx, instance, *c.Category)
			if err != nil {
				return err
			}
			category, set = &cid, attrs
		case category != nil:
			if set, err = s.store.AttributeSet(ctx, instance, *category); err != nil {
				return err
			}
		}
		inputs := c.Values
		if inputs == nil { // keep the current values, checked against the (new) set
			current := make([]AttributeValueInput, len(cur.Values))
			for i, v := range cur.Values {
				var val any
				_ = json.Unmarshal(v.Value, &val)
				current[i] = AttributeValueInput{Attribute: "/rest/api/attributes/" + v.Attribute.String(), Value: val}
			}
			inputs = &current
		}
		status := cur.Status
		if c.Status != nil {
			status = *c.Status
		}
		values, err := attributeValues(set, *inputs, status == Active)
		if err != nil {
			return err
		}
		c.categoryID, c.values = category, &values
	}
	return s.store.UpdateProduct(ctx, instance, id, locale, c)
}

// DeleteProduct removes a product with its options and variants, if its version is ifVersion
// (0: any).
func (s *Service) DeleteProduct(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error {
	return s.store.DeleteProduct(ctx, instance, id, ifVersion)
}

// valueIRIs indexes a product's option values by IRI.
func valueIRIs(p Product) map[string]OptionValue {
	m := map[string]OptionValue{}
	for _, o := range p.Options {
		for _, v := range o.Values {
			m["/rest/api/option_values/"+v.ID.String()] = v
		}
	}
	return m
}

// CreateVariant adds a variant to a product; option values are matched in the write locale.
func (s *Service) CreateVariant(ctx context.Context, instance, productID uuid.UUID, locale string, in VariantInput) (Variant, error) {
	p, err := s.Product(ctx, instance, productID, ReadLocale{Code: locale})
	if err != nil {
		return Variant{}, err
	}
	if len(p.Variants) >= MaxVariants {
		return Variant{}, fault.Invalid("", "too_many_variants", "a product may have at most 2048 variants")
	}
	v, err := buildVariant("", productID, in, p.Options, valueIRIs(p))
	if err != nil {
		return Variant{}, trimPaths(err)
	}
	if v.Position < 0 {
		v.Position = len(p.Variants)
	}
	if len(in.Medias) > 0 {
		if v.Medias, err = s.variantMedias(ctx, instance, p, in.Medias); err != nil {
			return Variant{}, err
		}
	}
	if len(in.Prices) > 0 {
		channels, err := s.channelMap(ctx, instance)
		if err != nil {
			return Variant{}, err
		}
		var vs fault.Violations
		for j, pi := range in.Prices {
			pi.Variant = v.ID
			row, err := BuildPrice("prices["+itoa(j)+"].", pi, channels, time.Now().UTC())
			if err != nil {
				vs = append(vs, err.(*fault.Error).Violations...)
				continue
			}
			v.Prices = append(v.Prices, row)
		}
		if err := vs.Err(); err != nil {
			return Variant{}, err
		}
	}
	return v, s.store.CreateVariant(ctx, instance, v)
}

// VariantChanges is a merge patch of a variant.
type VariantChanges struct {
	SKU                      *string
	Title, Barcode           *string
	ClearTitle, ClearBarcode bool
	Position                 *int
	OptionValues             *[]ValueRef
	Medias                   *[]MediaRef // replaces the list
	IfVersion                int64       // the version the write expects (0: any)
}

// UpdateVariant applies changes to a variant.
func (s *Service) UpdateVariant(ctx context.Context, instance, id uuid.UUID, locale string, c VariantChanges) (uuid.UUID, error) {
	pid, err := s.store.VariantProduct(ctx, instance, id)
	if err != nil {
		return uuid.Nil, err
	}
	p, err := s.Product(ctx, instance, pid, ReadLocale{Code: locale})
	if err != nil {
		return uuid.Nil, err
	}
	var v Variant
	for _, x := range p.Variants {
		if x.ID == id {
			v = x
		}
	}
	v.IfVersion = c.IfVersion
	var vs fault.Violations
	if c.SKU != nil {
		v.SKU = strings.TrimSpace(*c.SKU)
		if v.SKU == "" {
			vs.Add("sku", "invalid_length", "the SKU must be 1 to 255 characters long")
		}
	}
	switch {
	case c.ClearTitle:
		v.Title = nil
	case c.Title != nil:
		v.Title = text(c.Title)
	}
	switch {
	case c.ClearBarcode:
		v.Barcode = nil
	case c.Barcode != nil:
		v.Barcode = text(c.Barcode)
	}
	if c.Position != nil {
		v.Position = *c.Position
	}
	if c.OptionValues != nil {
		ids, err := resolveValues("optionValues", *c.OptionValues, p.Options, valueIRIs(p))
		if err != nil {
			vs = append(vs, err.(*fault.Error).Violations...)
		}
		v.OptionValueIDs = ids
	}
	if c.Medias != nil {
		ids, err := s.variantMedias(ctx, instance, p, *c.Medias)
		if fault.Is(err, fault.KindUnprocessable) {
			vs = append(vs, err.(*fault.Error).Violations...)
		} else if err != nil {
			return uuid.Nil, err
		}
		v.Medias = ids
	}
	if err := vs.Err(); err != nil {
		return uuid.Nil, err
	}
	return pid, s.store.UpdateVariant(ctx, instance, v)
}

// variantMedias resolves a variant's media references against product p's medias (their srcs
// are read only when a reference uses one).
func (s *Service) variantMedias(ctx context.Context, instance uuid.UUID, p Product, refs []MediaRef) ([]uuid.UUID, error) {
	medias := make([]Media, len(p.Medias))
	for i, id := range p.Medias {
		medias[i].ID = id
	}
	if slices.ContainsFunc(refs, func(r MediaRef) bool { return r.Src != "" }) && len(p.Medias) > 0 {
		found, err := s.store.MediasByID(ctx, instance, p.Medias, ReadLocale{})
		if err != nil {
			return nil, err
		}
		medias = found
	}
	return variantMedias("medias", refs, medias)
}

// trimPaths drops the leading "." of violation paths built for a nested variant.
func trimPaths(err error) error {
	if fe, ok := err.(*fault.Error); ok {
		for i := range fe.Violations {
			fe.Violations[i].Path = strings.TrimPrefix(fe.Violations[i].Path, ".")
		}
	}
	return err
}

// Store exposes the store to the HTTP layer's simple lookups.
func (s *Service) Store() Store { return s.store }

var localePattern = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$`)

// EnableLocale enables a BCP 47 locale (language, optional script, optional region).
func (s *Service) EnableLocale(ctx context.Context, instance uuid.UUID, code string, makeDefault bool) (Locale, error) {
	if !localePattern.MatchString(code) {
		return Locale{}, fault.Invalid("code", "invalid_locale", "not a BCP 47 language tag such as de, de-DE or zh-Hant-TW")
	}
	return s.store.EnableLocale(ctx, instance, code, makeDefault)
}

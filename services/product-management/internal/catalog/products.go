package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// Status is a product's lifecycle status.
type Status string

const (
	Draft    Status = "draft"
	Active   Status = "active"
	Archived Status = "archived"
)

// Statuses lists every status in order.
func Statuses() []Status { return []Status{Draft, Active, Archived} }

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return s == Draft || s == Active || s == Archived }

// Name is the status's display name.
func (s Status) Name() string {
	switch s {
	case Active:
		return "Active"
	case Archived:
		return "Archived"
	}
	return "Draft"
}

// Product is a product with its options and variants.
type Product struct {
	ID           uuid.UUID
	Key          *string // the partner's
	Status       Status
	Vendor       *string
	ProductTexts // in the read locale
	Tags         []string
	Version      int64 // bumped by every write to the product's graph
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Options      []Option    // by position
	Variants     []Variant   // by position
	Channels     []uuid.UUID // by position
	Collections  []uuid.UUID // in the order given
	Medias       []uuid.UUID // by position
	Category     *uuid.UUID
	Values       []AttributeValue
	// Metafields are the product's and its variants' (reads list them); PriceHistory every price
	// revision of its variants in every currency (resolution picks the channel's).
	Metafields   []Metafield
	PriceHistory []price.Row
}

// ProductInput is a new product with its options and variants. References are ids; uuid.Nil
// (what the HTTP layer passes for an unreadable reference) is reported as unknown.
type ProductInput struct {
	Key    *string
	Status string // a status code; "" for draft
	Vendor *string
	ProductTexts
	Tags        *string
	Options     []OptionInput
	Variants    []VariantInput
	Channels    []uuid.UUID
	Collections []uuid.UUID
	Medias      []MediaChange
	Category    *uuid.UUID
	Values      []AttributeValueInput
}

// NewProduct is a validated ProductInput with ids assigned, ready to store.
type NewProduct struct {
	Product
	Tags      []string
	NewMedias []Media // created with the product, attached in order
}

// ProductChanges is a merge patch of a product. Texts are trimmed; a blank text is removed.
type ProductChanges struct {
	Status *string // a status code
	Key    mergepatch.Field[string]
	Vendor mergepatch.Field[string]
	ProductTextChanges
	Tags                  *string // comma-separated; replaces the tags
	Category              mergepatch.Field[uuid.UUID]
	Channels, Collections *[]uuid.UUID // replace the lists, in order
	Medias                *[]uuid.UUID // replaces the images, in order
	Values                *[]AttributeValueInput
	IfVersion             int64 // the version the write expects (0: any)
}

// ProductUpdate is validated ProductChanges, as the store writes them.
type ProductUpdate struct {
	Status *Status
	Key    mergepatch.Field[string]
	Vendor mergepatch.Field[string]
	ProductTextChanges
	Tags                  *[]string
	Category              mergepatch.Field[uuid.UUID]
	Channels, Collections *[]uuid.UUID
	Medias                *[]uuid.UUID
	Values                *[]AttributeValue
	IfVersion             int64
}

// ProductStore persists products.
type ProductStore interface {
	CreateProduct(ctx context.Context, instance uuid.UUID, locale string, p NewProduct) error
	// CreateProducts stores many in one round trip; a conflict does not say whose it was.
	CreateProducts(ctx context.Context, instance uuid.UUID, locale string, ps []NewProduct) error
	UpdateProduct(ctx context.Context, instance, id uuid.UUID, locale string, u ProductUpdate) error
	DeleteProduct(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error
}

// StatusOf reads a status code.
func StatusOf(code string) (Status, bool) {
	st := Status(code)
	return st, st.Valid()
}

const invalidStatus = "unknown status; use draft, active or archived"

// ParseTags splits a comma-separated tag list: trimmed, empty entries dropped, duplicates removed.
func ParseTags(path string, s *string, vs *fault.Violations) []string {
	if s == nil {
		return []string{}
	}
	seen := map[string]bool{}
	tags := []string{}
	for _, t := range strings.Split(*s, ",") {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		if utf8.RuneCountInString(t) > 255 {
			vs.Add(path, "tag_too_long", "a tag may have at most 255 characters")
			return tags
		}
		seen[strings.ToLower(t)] = true
		tags = append(tags, t)
	}
	if len(tags) > MaxTags {
		vs.Add(path, "too_many_tags", fmt.Sprintf("a product may have at most %d tags", MaxTags))
	}
	return tags
}

// buildProduct validates in and assigns ids. Option names and value labels are matched
// case-insensitively. Every violation is reported with its path.
func buildProduct(in ProductInput) (NewProduct, error) {
	var vs fault.Violations
	p := NewProduct{}
	p.ID = newID()
	p.Status = Draft
	if in.Status != "" {
		st, ok := StatusOf(in.Status)
		if !ok {
			vs.Add("status", "invalid_status", invalidStatus)
		}
		p.Status = st
	}
	p.Key = keyOf("key", in.Key, &vs)
	p.Vendor, p.ProductTexts = Text(in.Vendor), in.ProductTexts.Normalized()
	p.Tags = ParseTags("tags", in.Tags, &vs)
	if len(in.Options) > MaxOptions {
		vs.Add("options", "too_many_options", fmt.Sprintf("a product may have at most %d options", MaxOptions))
	}
	if len(in.Variants) > MaxVariants {
		vs.Add("variants", "too_many_variants", fmt.Sprintf("a product may have at most %d variants", MaxVariants))
	}
	if err := vs.Err(); err != nil {
		return p, err
	}
	names := map[string]int{}
	for i, o := range in.Options {
		path := fmt.Sprintf("options[%d]", i)
		opt := buildOption(path+".", p.ID, i, o, &vs)
		if _, dup := names[strings.ToLower(*opt.Name)]; dup && *opt.Name != "" {
			vs.Add(path+".name", "duplicate_option", "two options of a product cannot have the same name")
		}
		names[strings.ToLower(*opt.Name)] = i
		p.Options = append(p.Options, opt)
	}
	skus := map[string]int{}
	combos := map[string]int{}
	for i, v := range in.Variants {
		path := fmt.Sprintf("variants[%d]", i)
		variant, err := buildVariant(path, p.ID, v, p.Options, nil)
		if vs.Take(err) {
			continue
		}
		if variant.Position < 0 {
			variant.Position = i
		}
		key := variant.SKU
		if j, dup := skus[key]; dup {
			vs.Add(path+".sku", "duplicate_sku", fmt.Sprintf("variants[%d] already uses this SKU", j))
		}
		skus[key] = i
		combo := Combination(variant.OptionValueIDs)
		if j, dup := combos[combo]; dup {
			vs.Add(path+".optionValues", "duplicate_combination", fmt.Sprintf("variants[%d] already has this combination of option values", j))
		}
		combos[combo] = i
		p.Variants = append(p.Variants, variant)
	}
	return p, vs.Err()
}

// CreateProduct validates and stores a product with its options, variants, their prices and
// medias, and the product's channels, collections, images, category and attribute values, all or
// nothing; it returns the product as a read in the write locale shows it.
func (s *Service) CreateProduct(ctx context.Context, instance uuid.UUID, locale string, in ProductInput) (View, error) {
	p, err := s.validateProduct(ctx, instance, in)
	if err != nil {
		return View{}, err
	}
	return save(ctx, s, instance, KindProduct, Created, p.ID, Touch{Products: []uuid.UUID{p.ID}},
		func(ctx context.Context) error { return s.products.CreateProduct(ctx, instance, locale, p) },
		func(ctx context.Context) (View, error) {
			return s.Product(ctx, instance, p.ID, Read{Locale: ReadLocale{Code: locale}})
		})
}

// validateProduct builds a new product and checks everything it refers to, collecting every
// violation of the request.
func (s *Service) validateProduct(ctx context.Context, instance uuid.UUID, in ProductInput) (NewProduct, error) {
	p, err := buildProduct(in)
	var vs fault.Violations
	vs.Take(err)
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
			case vs.Take(err):
			case err != nil:
				return p, err
			default:
				p.Category, set = &id, attrs
			}
		}
		values, err := attributeValues(set, in.Values, p.Status == Active)
		vs.Take(err)
		p.Values = values
	} else if p.Status == Active {
		p.Values = []AttributeValue{}
	}
	if len(in.Medias) > 0 {
		medias, err := productMedias(in.Medias)
		vs.Take(err)
		p.NewMedias = medias
		for _, m := range medias {
			p.Medias = append(p.Medias, m.ID)
		}
	}
	if len(in.Collections) > 0 {
		ids, err := s.collectionIDs(ctx, instance, in.Collections)
		if err != nil && !vs.Take(err) {
			return p, err
		}
		p.Collections = ids
	}
	now := price.Now()
	for i, v := range in.Variants {
		if i >= len(p.Variants) || len(vs) > 0 && len(p.Variants) != len(in.Variants) {
			break
		}
		if len(v.Medias) > 0 {
			ids, err := variantMedias(fmt.Sprintf("variants[%d].medias", i), v.Medias, p.NewMedias)
			vs.Take(err)
			p.Variants[i].Medias = ids
		}
		if len(v.Prices) > 0 {
			rows, err := pricesOf(fmt.Sprintf("variants[%d].prices", i), p.Variants[i].ID, v.Prices, channels, now)
			vs.Take(err)
			p.Variants[i].Prices = rows
		}
	}
	return p, vs.Err()
}

// productChannels resolves a product's channels against the instance's, in order, repeats
// dropped; unknown ones are violations at channels[N].channel.
func productChannels(channels map[uuid.UUID]Channel, in []uuid.UUID, vs *fault.Violations) []uuid.UUID {
	ids := []uuid.UUID{}
	for i, id := range in {
		if _, exists := channels[id]; !exists {
			vs.Add(fmt.Sprintf("channels[%d].channel", i), "unknown_channel", "no such channel in this instance")
			continue
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// UpdateProduct applies changes to a product's own fields, lists, category and attribute values,
// and returns the product as a read in the write locale shows it. A product that is (or becomes)
// active must carry its set's required attributes.
func (s *Service) UpdateProduct(ctx context.Context, instance, id uuid.UUID, locale string, c ProductChanges) (View, error) {
	u, err := s.validateChanges(ctx, instance, id, locale, c)
	if err != nil {
		return View{}, err
	}
	return save(ctx, s, instance, KindProduct, Updated, id, Touch{Products: []uuid.UUID{id}},
		func(ctx context.Context) error { return s.products.UpdateProduct(ctx, instance, id, locale, u) },
		func(ctx context.Context) (View, error) {
			return s.Product(ctx, instance, id, Read{Locale: ReadLocale{Code: locale}})
		})
}

func (s *Service) validateChanges(ctx context.Context, instance, id uuid.UUID, locale string, c ProductChanges) (ProductUpdate, error) {
	var vs fault.Violations
	u := ProductUpdate{Key: keyPatch("key", c.Key, &vs), Vendor: c.Vendor, ProductTextChanges: c.ProductTextChanges, Category: c.Category,
		Channels: c.Channels, Collections: c.Collections, IfVersion: c.IfVersion}
	if c.Status != nil {
		st, ok := StatusOf(*c.Status)
		if !ok {
			vs.Add("status", "invalid_status", invalidStatus)
		}
		u.Status = &st
	}
	if c.Tags != nil {
		tags := ParseTags("tags", c.Tags, &vs)
		u.Tags = &tags
	}
	if err := vs.Err(); err != nil {
		return u, err
	}
	if c.Medias != nil {
		ids, err := s.productMediaIDs(ctx, instance, *c.Medias)
		if err != nil {
			return u, err
		}
		u.Medias = &ids
	}
	if c.Collections != nil {
		ids, err := s.collectionIDs(ctx, instance, *c.Collections)
		if err != nil {
			return u, err
		}
		if ids == nil {
			ids = []uuid.UUID{}
		}
		u.Collections = &ids
	}
	if c.Channels != nil {
		channels, err := s.channelMap(ctx, instance)
		if err != nil {
			return u, err
		}
		ids := productChannels(channels, *c.Channels, &vs)
		if err := vs.Err(); err != nil {
			return u, err
		}
		u.Channels = &ids
	}
	if c.Category.Present() || c.Values != nil || (u.Status != nil && *u.Status == Active) {
		cur, err := s.graph(ctx, instance, id, ReadLocale{Code: locale})
		if err != nil {
			return u, err
		}
		category := cur.Category
		var set []Attribute
		if cid, ok := c.Category.Get(); ok {
			_, attrs, err := s.productCategory(ctx, instance, cid)
			if err != nil {
				return u, err
			}
			category, set = &cid, attrs
		} else if c.Category.IsNull() {
			category = nil
		} else if category != nil {
			if set, err = s.categories.AttributeSet(ctx, instance, *category); err != nil {
				return u, err
			}
		}
		inputs := c.Values
		if inputs == nil { // keep the current values, checked against the (new) set
			current := make([]AttributeValueInput, len(cur.Values))
			for i, v := range cur.Values {
				var val any
				_ = json.Unmarshal(v.Value, &val)
				current[i] = AttributeValueInput{Attribute: v.Attribute, Value: val}
			}
			inputs = &current
		}
		status := cur.Status
		if u.Status != nil {
			status = *u.Status
		}
		values, err := attributeValues(set, *inputs, status == Active)
		if err != nil {
			return u, err
		}
		u.Values = &values
	}
	return u, nil
}

// DeleteProduct removes a product with its options and variants, if its version is ifVersion
// (0: any).
func (s *Service) DeleteProduct(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error {
	return s.remove(ctx, instance, KindProduct, id.String(), Touch{}, func(ctx context.Context) error { return s.products.DeleteProduct(ctx, instance, id, ifVersion) })
}

// pricesOf builds the prices of a variant at path ("prices" for prices[0], prices[1]...) against
// the channels; two of them that duplicate each other are a violation at the later one's path.
func pricesOf(path string, variant uuid.UUID, in []PriceInput, channels map[uuid.UUID]Channel, now time.Time) ([]price.Row, error) {
	var vs fault.Violations
	var rows []price.Row
	var at []string
	for j, pi := range in {
		pi.Variant = variant
		p := fmt.Sprintf("%s[%d]", path, j)
		row, err := BuildPrice(p+".", pi, channels, now)
		if vs.Take(err) {
			continue
		}
		rows, at = append(rows, row), append(at, p)
	}
	duplicatePrices(rows, at, &vs)
	return rows, vs.Err()
}

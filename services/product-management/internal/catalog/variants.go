package catalog

import (
	"context"
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

// Variant is a sellable variant of a product.
type Variant struct {
	ID             uuid.UUID
	ProductID      uuid.UUID
	SKU            string
	Title          *string
	Barcode        *string
	Position       int
	OptionValueIDs []uuid.UUID // ordered by option position
	Medias         []uuid.UUID // some of the product's medias, in order
	Version        int64       // bumped by every write to the variant
	IfVersion      int64       // on update: the version the write expects (0: any)
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Prices         []price.Row // new prices (on create)
	// Resolved and Lowest are set by reads with a resolve context (Priced true).
	Priced   bool
	Resolved *price.Row
	Lowest   *int64
}

// ValueRef picks an option value by id (ByID) or by option name and value label.
type ValueRef struct {
	ByID          bool
	ID            uuid.UUID
	Option, Value string
}

// VariantInput is a new variant.
type VariantInput struct {
	SKU          string
	Title        *string
	Barcode      *string
	Position     *int
	OptionValues []ValueRef
	Prices       []PriceInput
	Medias       []MediaRef
}

// VariantChanges is a merge patch of a variant.
type VariantChanges struct {
	SKU            *string
	Title, Barcode mergepatch.Field[string]
	Position       *int
	OptionValues   *[]ValueRef
	Medias         *[]MediaRef // replaces the list
	IfVersion      int64       // the version the write expects (0: any)
}

// VariantStore persists variants.
type VariantStore interface {
	// VariantProduct returns the product of a variant (not found when there is none).
	VariantProduct(ctx context.Context, instance, variantID uuid.UUID) (uuid.UUID, error)
	CreateVariant(ctx context.Context, instance uuid.UUID, v Variant) error
	UpdateVariant(ctx context.Context, instance uuid.UUID, v Variant) error
	DeleteVariant(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error
}

// buildVariant validates a variant of a product with the given options; byID resolves option
// values named by id (nil when only names are allowed). Position is -1 when not given.
func buildVariant(path string, productID uuid.UUID, in VariantInput, options []Option, byID map[uuid.UUID]OptionValue) (Variant, error) {
	var vs fault.Violations
	v := Variant{ID: newID(), ProductID: productID, Position: -1}
	v.SKU = strings.TrimSpace(in.SKU)
	if v.SKU == "" || utf8.RuneCountInString(v.SKU) > 255 {
		vs.Add(path+".sku", "invalid_length", "the SKU must be 1 to 255 characters long")
	}
	v.Title, v.Barcode = Text(in.Title), Text(in.Barcode)
	if in.Position != nil {
		v.Position = *in.Position
	}
	ids, err := resolveValues(path+".optionValues", in.OptionValues, options, byID)
	vs.Take(err)
	v.OptionValueIDs = ids
	return v, vs.Err()
}

// resolveValues maps value references to ids, one per option, ordered by option position.
func resolveValues(path string, refs []ValueRef, options []Option, byID map[uuid.UUID]OptionValue) ([]uuid.UUID, error) {
	var vs fault.Violations
	chosen := make([]uuid.UUID, len(options))
	for i, ref := range refs {
		rp := fmt.Sprintf("%s[%d]", path, i)
		oi, val, ok := -1, OptionValue{}, false
		if ref.ByID {
			val, ok = byID[ref.ID]
			if ok {
				for j, o := range options {
					if o.ID == val.OptionID {
						oi = j
					}
				}
			}
			if !ok || oi < 0 {
				vs.Add(rp, "unknown_option_value", "not an option value of this product")
				continue
			}
		} else {
			for j, o := range options {
				if o.Name != nil && strings.EqualFold(*o.Name, strings.TrimSpace(ref.Option)) {
					oi = j
				}
			}
			if oi < 0 {
				vs.Add(rp+".option", "unknown_option", "the product has no option with this name")
				continue
			}
			for _, ov := range options[oi].Values {
				if ov.Value != nil && strings.EqualFold(*ov.Value, strings.TrimSpace(ref.Value)) {
					val, ok = ov, true
				}
			}
			if !ok {
				vs.Add(rp+".value", "unknown_option_value", "the option has no such value")
				continue
			}
		}
		if chosen[oi] != uuid.Nil {
			vs.Add(rp, "duplicate_option", "a variant takes one value per option")
			continue
		}
		chosen[oi] = val.ID
	}
	if len(vs) == 0 {
		for j, id := range chosen {
			if id == uuid.Nil {
				name := ""
				if options[j].Name != nil {
					name = *options[j].Name
				}
				vs.Add(path, "missing_option_value", fmt.Sprintf("a variant needs a value for every option; %q has none", name))
			}
		}
	}
	return chosen, vs.Err()
}

// Combination is the key that makes a variant's option values unique within its product: the
// value ids in byte order, so it does not depend on the options' order (the database computes the
// same key with collate "C" when options change).
func Combination(ids []uuid.UUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}

// Variant reads a variant through its product's graph (one batch) as r asks; the view holds the
// product, for what the variant embeds.
func (s *Service) Variant(ctx context.Context, instance, id uuid.UUID, r Read) (View, Variant, error) {
	p, v, err := s.variantGraph(ctx, instance, id, r.Locale)
	if err != nil {
		return View{}, Variant{}, err
	}
	view, err := s.view(ctx, instance, []Product{p}, r, nil)
	return view, v, err
}

// variantGraph loads a variant's product graph and the variant in it.
func (s *Service) variantGraph(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Product, Variant, error) {
	pid, err := s.variants.VariantProduct(ctx, instance, id)
	if err != nil {
		return Product{}, Variant{}, err
	}
	p, err := s.graph(ctx, instance, pid, loc)
	if err != nil {
		return Product{}, Variant{}, err
	}
	for _, x := range p.Variants {
		if x.ID == id {
			return p, x, nil
		}
	}
	return Product{}, Variant{}, errNoVariant
}

// CreateVariant adds a variant to a product; option values are matched in the write locale. It
// returns the variant as a read in that locale shows it.
func (s *Service) CreateVariant(ctx context.Context, instance, productID uuid.UUID, locale string, in VariantInput) (View, Variant, error) {
	p, err := s.graph(ctx, instance, productID, ReadLocale{Code: locale})
	if err != nil {
		return View{}, Variant{}, err
	}
	if len(p.Variants) >= MaxVariants {
		return View{}, Variant{}, fault.Invalid("", "too_many_variants", "a product may have at most 2048 variants")
	}
	v, err := buildVariant("", productID, in, p.Options, OptionValues(p))
	if err != nil {
		return View{}, Variant{}, trimPaths(err)
	}
	if v.Position < 0 {
		v.Position = len(p.Variants)
	}
	if len(in.Medias) > 0 {
		if v.Medias, err = s.variantMedias(ctx, instance, p, in.Medias); err != nil {
			return View{}, Variant{}, err
		}
	}
	if len(in.Prices) > 0 {
		channels, err := s.channelMap(ctx, instance)
		if err != nil {
			return View{}, Variant{}, err
		}
		if v.Prices, err = pricesOf("prices", v.ID, in.Prices, channels, price.Now()); err != nil {
			return View{}, Variant{}, err
		}
	}
	out, err := save(ctx, s, instance, KindVariant, Created, v.ID, Touch{Products: []uuid.UUID{productID}},
		func(ctx context.Context) error { return s.variants.CreateVariant(ctx, instance, v) },
		func(ctx context.Context) (VariantOf, error) { return s.variantOf(ctx, instance, v.ID, locale) })
	return out.View, out.Variant, err
}

// variantOf reads a variant back as a write's response (and its event) shows it.
func (s *Service) variantOf(ctx context.Context, instance, id uuid.UUID, locale string) (VariantOf, error) {
	view, v, err := s.Variant(ctx, instance, id, Read{Locale: ReadLocale{Code: locale}})
	return VariantOf{View: view, Variant: v}, err
}

// UpdateVariant applies changes to a variant and returns it as a read in the write locale shows it.
func (s *Service) UpdateVariant(ctx context.Context, instance, id uuid.UUID, locale string, c VariantChanges) (View, Variant, error) {
	p, v, err := s.variantGraph(ctx, instance, id, ReadLocale{Code: locale})
	if err != nil {
		return View{}, Variant{}, err
	}
	v.IfVersion = c.IfVersion
	var vs fault.Violations
	if c.SKU != nil {
		v.SKU = strings.TrimSpace(*c.SKU)
		if v.SKU == "" {
			vs.Add("sku", "invalid_length", "the SKU must be 1 to 255 characters long")
		}
	}
	v.Title, v.Barcode = Text(c.Title.Apply(v.Title)), Text(c.Barcode.Apply(v.Barcode))
	if c.Position != nil {
		v.Position = *c.Position
	}
	if c.OptionValues != nil {
		ids, err := resolveValues("optionValues", *c.OptionValues, p.Options, OptionValues(p))
		vs.Take(err)
		v.OptionValueIDs = ids
	}
	if c.Medias != nil {
		ids, err := s.variantMedias(ctx, instance, p, *c.Medias)
		if err != nil && !vs.Take(err) {
			return View{}, Variant{}, err
		}
		v.Medias = ids
	}
	if err := vs.Err(); err != nil {
		return View{}, Variant{}, err
	}
	out, err := save(ctx, s, instance, KindVariant, Updated, id, Touch{Variants: []uuid.UUID{id}},
		func(ctx context.Context) error { return s.variants.UpdateVariant(ctx, instance, v) },
		func(ctx context.Context) (VariantOf, error) { return s.variantOf(ctx, instance, id, locale) })
	return out.View, out.Variant, err
}

// DeleteVariant removes a variant, if its version is ifVersion (0: any).
func (s *Service) DeleteVariant(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error {
	return s.remove(ctx, instance, KindVariant, id.String(), Touch{Variants: []uuid.UUID{id}}, func(ctx context.Context) error { return s.variants.DeleteVariant(ctx, instance, id, ifVersion) })
}

// variantMedias resolves a variant's media references against product p's medias (their srcs
// are read only when a reference uses one).
func (s *Service) variantMedias(ctx context.Context, instance uuid.UUID, p Product, refs []MediaRef) ([]uuid.UUID, error) {
	medias := make([]Media, len(p.Medias))
	for i, id := range p.Medias {
		medias[i].ID = id
	}
	if slices.ContainsFunc(refs, func(r MediaRef) bool { return r.Src != "" }) && len(p.Medias) > 0 {
		found, err := s.medias.MediasByID(ctx, instance, p.Medias, ReadLocale{})
		if err != nil {
			return nil, err
		}
		medias = found
	}
	return variantMedias("medias", refs, medias)
}

// trimPaths drops the leading "." of violation paths built for a nested variant.
func trimPaths(err error) error {
	return fault.Map(err, func(p string) string { return strings.TrimPrefix(p, ".") })
}

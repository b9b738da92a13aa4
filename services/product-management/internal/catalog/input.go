package catalog

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// ProductInput is a new product with its options and variants.
type ProductInput struct {
	Status      string // code or IRI; "" for draft
	Vendor      *string
	Title       *string
	Description *string
	Tags        *string
	Options     []OptionInput
	Variants    []VariantInput
	Channels    []string // channel IRIs
	Collections []string // collection IRIs
	Medias      []MediaChange
	Category    *string
	Values      []AttributeValueInput
}

// OptionInput is a new option with its values.
type OptionInput struct {
	Name   string
	Values []string
}

// ValueRef picks an option value by IRI or by option name and value label.
type ValueRef struct {
	IRI           string
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

// NewProduct is a validated ProductInput with ids assigned, ready to store.
type NewProduct struct {
	Product
	Tags      []string
	NewMedias []Media // created with the product, attached in order
}

// StatusFromInput accepts a status code or its IRI.
func StatusFromInput(s string) (Status, bool) {
	s = strings.TrimPrefix(s, "/rest/api/statuses/")
	st := Status(s)
	return st, st.Valid()
}

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

func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// text trims optional text; blank becomes nil.
func text(p *string) *string {
	if p == nil {
		return nil
	}
	s := strings.TrimSpace(*p)
	if s == "" {
		return nil
	}
	return &s
}

// buildProduct validates in and assigns ids. Option names and value labels are matched
// case-insensitively. Every violation is reported with its path.
func buildProduct(in ProductInput) (NewProduct, error) {
	var vs fault.Violations
	p := NewProduct{}
	p.ID = newID()
	p.Status = Draft
	if in.Status != "" {
		st, ok := StatusFromInput(in.Status)
		if !ok {
			vs.Add("status", "invalid_status", "unknown status; use /rest/api/statuses/{draft|active|archived}")
		}
		p.Status = st
	}
	p.Vendor, p.Title, p.Description = text(in.Vendor), text(in.Title), text(in.Description)
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
		if err != nil {
			vs = append(vs, err.(*fault.Error).Violations...)
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

// buildOption validates an option of product at position; prefix goes before the paths.
func buildOption(prefix string, product uuid.UUID, position int, o OptionInput, vs *fault.Violations) Option {
	name := strings.TrimSpace(o.Name)
	if name == "" {
		vs.Add(prefix+"name", "required", "the option name must not be empty")
	}
	opt := Option{ID: newID(), ProductID: product, Name: &name, Position: position}
	if len(o.Values) == 0 {
		vs.Add(prefix+"values", "required", "an option needs at least one value")
	}
	if len(o.Values) > MaxValuesPerOption {
		vs.Add(prefix+"values", "too_many_values", fmt.Sprintf("an option may have at most %d values", MaxValuesPerOption))
	}
	seen := map[string]bool{}
	for j, v := range o.Values {
		v = strings.TrimSpace(v)
		switch {
		case v == "":
			vs.Add(fmt.Sprintf("%svalues[%d]", prefix, j), "required", "an option value must not be empty")
		case seen[strings.ToLower(v)]:
			vs.Add(fmt.Sprintf("%svalues[%d]", prefix, j), "duplicate_value", "an option cannot have the same value twice")
		}
		seen[strings.ToLower(v)] = true
		label := v
		opt.Values = append(opt.Values, OptionValue{ID: newID(), OptionID: opt.ID, ProductID: product, Value: &label, Position: j})
	}
	return opt
}

// buildVariant validates a variant of a product with the given options; byIRI resolves value IRIs
// (nil when only names are allowed). Position is -1 when not given.
func buildVariant(path string, productID uuid.UUID, in VariantInput, options []Option, byIRI map[string]OptionValue) (Variant, error) {
	var vs fault.Violations
	v := Variant{ID: newID(), ProductID: productID, Position: -1}
	v.SKU = strings.TrimSpace(in.SKU)
	if v.SKU == "" || utf8.RuneCountInString(v.SKU) > 255 {
		vs.Add(path+".sku", "invalid_length", "the SKU must be 1 to 255 characters long")
	}
	v.Title, v.Barcode = text(in.Title), text(in.Barcode)
	if in.Position != nil {
		v.Position = *in.Position
	}
	ids, err := resolveValues(path+".optionValues", in.OptionValues, options, byIRI)
	if err != nil {
		vs = append(vs, err.(*fault.Error).Violations...)
	}
	v.OptionValueIDs = ids
	return v, vs.Err()
}

// resolveValues maps value references to ids, one per option, ordered by option position.
func resolveValues(path string, refs []ValueRef, options []Option, byIRI map[string]OptionValue) ([]uuid.UUID, error) {
	var vs fault.Violations
	chosen := make([]uuid.UUID, len(options))
	for i, ref := range refs {
		rp := fmt.Sprintf("%s[%d]", path, i)
		oi, val, ok := -1, OptionValue{}, false
		if ref.IRI != "" {
			val, ok = byIRI[ref.IRI]
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
	var b strings.Builder
	for i, id := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
	}
	return b.String()
}

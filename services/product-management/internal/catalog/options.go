package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Option is a product option (Size, Color) with its values.
type Option struct {
	ID        uuid.UUID
	ProductID uuid.UUID
	Name      *string
	Position  int
	Values    []OptionValue
}

// OptionValue is one value of an option.
type OptionValue struct {
	ID        uuid.UUID
	OptionID  uuid.UUID
	ProductID uuid.UUID
	Value     *string
	Position  int
}

// OptionInput is a new option with its values.
type OptionInput struct {
	Name   string
	Values []string
}

// OptionStore persists options and their values. Changes lock the product, so the limits are
// checked there.
type OptionStore interface {
	OptionProduct(ctx context.Context, instance, optionID uuid.UUID) (uuid.UUID, error)
	OptionValueProduct(ctx context.Context, instance, valueID uuid.UUID) (uuid.UUID, error)
	AddOption(ctx context.Context, instance uuid.UUID, locale string, o Option) error
	AddOptionValue(ctx context.Context, instance uuid.UUID, locale string, v OptionValue) error
	UpdateOption(ctx context.Context, instance, id uuid.UUID, locale string, name *string, position *int) error
	UpdateOptionValue(ctx context.Context, instance, id uuid.UUID, locale string, value *string, position *int) error
	DeleteOption(ctx context.Context, instance, id uuid.UUID) error
	DeleteOptionValue(ctx context.Context, instance, id uuid.UUID) error
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

// Option reads a product option through its product's graph.
func (s *Service) Option(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Option, error) {
	pid, err := s.options.OptionProduct(ctx, instance, id)
	if err != nil {
		return Option{}, err
	}
	p, err := s.graph(ctx, instance, pid, loc)
	if err != nil {
		return Option{}, err
	}
	for _, o := range p.Options {
		if o.ID == id {
			return o, nil
		}
	}
	return Option{}, fault.NotFound("no such product option")
}

// OptionValue reads an option value through its product's graph.
func (s *Service) OptionValue(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (OptionValue, error) {
	pid, err := s.options.OptionValueProduct(ctx, instance, id)
	if err != nil {
		return OptionValue{}, err
	}
	p, err := s.graph(ctx, instance, pid, loc)
	if err != nil {
		return OptionValue{}, err
	}
	if v, ok := OptionValues(p)[id]; ok {
		return v, nil
	}
	return OptionValue{}, fault.NotFound("no such option value")
}

// AddOption adds an option with its values to a product, after its current options; labels are
// compared with the product's in the write locale. The limits are the store's to check, under the
// product's lock.
func (s *Service) AddOption(ctx context.Context, instance, productID uuid.UUID, locale string, in OptionInput) (Option, error) {
	p, err := s.graph(ctx, instance, productID, ReadLocale{Code: locale})
	if err != nil {
		return Option{}, err
	}
	position := 0
	for _, o := range p.Options {
		position = max(position, o.Position+1)
	}
	var vs fault.Violations
	o := buildOption("", productID, position, in, &vs)
	for _, cur := range p.Options {
		if cur.Name != nil && strings.EqualFold(*cur.Name, *o.Name) {
			vs.Add("name", "duplicate_option", "the product already has an option with this name")
		}
	}
	if err := vs.Err(); err != nil {
		return Option{}, err
	}
	return save(ctx, s, instance, KindOption, Created, o.ID, Touch{Products: []uuid.UUID{productID}},
		func(ctx context.Context) error { return s.options.AddOption(ctx, instance, locale, o) },
		func(ctx context.Context) (Option, error) {
			return s.Option(ctx, instance, o.ID, ReadLocale{Code: locale})
		})
}

// AddOptionValue adds a value to an option, last unless a position is given.
func (s *Service) AddOptionValue(ctx context.Context, instance, optionID uuid.UUID, locale, value string, position *int) (OptionValue, error) {
	opt, err := s.Option(ctx, instance, optionID, ReadLocale{Code: locale})
	if err != nil {
		return OptionValue{}, err
	}
	label := strings.TrimSpace(value)
	if label == "" {
		return OptionValue{}, fault.Invalid("value", "required", "an option value must not be empty")
	}
	next := 0
	for _, v := range opt.Values {
		if v.Value != nil && strings.EqualFold(*v.Value, label) {
			return OptionValue{}, fault.Invalid("value", "duplicate_value", "the option already has this value")
		}
		next = max(next, v.Position+1)
	}
	if position != nil {
		next = *position
	}
	v := OptionValue{ID: newID(), OptionID: optionID, ProductID: opt.ProductID, Value: &label, Position: next}
	return save(ctx, s, instance, KindOptionValue, Created, v.ID, Touch{Products: []uuid.UUID{opt.ProductID}},
		func(ctx context.Context) error { return s.options.AddOptionValue(ctx, instance, locale, v) },
		func(ctx context.Context) (OptionValue, error) {
			return s.OptionValue(ctx, instance, v.ID, ReadLocale{Code: locale})
		})
}

// requiredText trims a patched text that may be absent but not blank.
func requiredText(path string, p *string) (*string, error) {
	if p == nil {
		return nil, nil
	}
	v := strings.TrimSpace(*p)
	if v == "" {
		return nil, fault.Invalid(path, "required", "this text must not be empty")
	}
	return &v, nil
}

// UpdateOption renames (in the write locale) or moves an option.
func (s *Service) UpdateOption(ctx context.Context, instance, id uuid.UUID, locale string, name *string, position *int) (Option, error) {
	name, err := requiredText("name", name)
	if err != nil {
		return Option{}, err
	}
	return save(ctx, s, instance, KindOption, Updated, id, Touch{Options: []uuid.UUID{id}},
		func(ctx context.Context) error {
			return s.options.UpdateOption(ctx, instance, id, locale, name, position)
		},
		func(ctx context.Context) (Option, error) {
			return s.Option(ctx, instance, id, ReadLocale{Code: locale})
		})
}

// UpdateOptionValue relabels (in the write locale) or moves an option value.
func (s *Service) UpdateOptionValue(ctx context.Context, instance, id uuid.UUID, locale string, value *string, position *int) (OptionValue, error) {
	value, err := requiredText("value", value)
	if err != nil {
		return OptionValue{}, err
	}
	return save(ctx, s, instance, KindOptionValue, Updated, id, Touch{Values: []uuid.UUID{id}},
		func(ctx context.Context) error {
			return s.options.UpdateOptionValue(ctx, instance, id, locale, value, position)
		},
		func(ctx context.Context) (OptionValue, error) {
			return s.OptionValue(ctx, instance, id, ReadLocale{Code: locale})
		})
}

// DeleteOption removes an option the product's variants do not differ by.
func (s *Service) DeleteOption(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindOption, id.String(), Touch{Options: []uuid.UUID{id}}, func(ctx context.Context) error { return s.options.DeleteOption(ctx, instance, id) })
}

// DeleteOptionValue removes a value no variant uses.
func (s *Service) DeleteOptionValue(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindOptionValue, id.String(), Touch{Values: []uuid.UUID{id}}, func(ctx context.Context) error { return s.options.DeleteOptionValue(ctx, instance, id) })
}

package catalog

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// AddOption adds an option with its values to a product, after its current options; labels are
// compared with the product's in the write locale. The limits are the store's to check, under the
// product's lock.
func (s *Service) AddOption(ctx context.Context, instance, productID uuid.UUID, locale string, in OptionInput) (Option, error) {
	p, err := s.Product(ctx, instance, productID, ReadLocale{Code: locale})
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
	return o, s.store.AddOption(ctx, instance, locale, o)
}

// AddOptionValue adds a value to an option, last unless a position is given.
func (s *Service) AddOptionValue(ctx context.Context, instance, optionID uuid.UUID, locale, value string, position *int) (OptionValue, error) {
	pid, err := s.store.OptionProduct(ctx, instance, optionID)
	if err != nil {
		return OptionValue{}, err
	}
	p, err := s.Product(ctx, instance, pid, ReadLocale{Code: locale})
	if err != nil {
		return OptionValue{}, err
	}
	var opt Option
	for _, o := range p.Options {
		if o.ID == optionID {
			opt = o
		}
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
	v := OptionValue{ID: newID(), OptionID: optionID, ProductID: pid, Value: &label, Position: next}
	return v, s.store.AddOptionValue(ctx, instance, locale, v)
}

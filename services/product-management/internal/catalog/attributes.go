package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// Attribute is a typed product property.
type Attribute struct {
	ID        uuid.UUID
	Key       *string // the partner's
	Code      string
	Name      *string // in the read locale
	Type      string
	Options   []string
	Required  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AttributeChange creates or patches an attribute.
type AttributeChange struct {
	Code, Type *string
	Key        mergepatch.Field[string]
	Name       mergepatch.Field[string]
	Options    *[]string
	Required   *bool
}

// AttributeValue is a product's value of an attribute (JSON of the attribute's type).
type AttributeValue struct {
	Attribute uuid.UUID
	Value     json.RawMessage
}

// AttributeValueInput is a value as sent: an attribute and any JSON value.
type AttributeValueInput struct {
	Attribute uuid.UUID
	Value     any
}

// AttributeStore persists attributes.
type AttributeStore interface {
	Attributes(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Attribute, int, error)
	AttributesByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Attribute, error)
	SaveAttribute(ctx context.Context, instance uuid.UUID, a Attribute, locale string, setName, create bool) error
	DeleteAttribute(ctx context.Context, instance, id uuid.UUID) error
}

var attributeTypes = []string{"text", "textarea", "number", "boolean", "date", "select", "multiselect", "url"}
var attributeCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// ApplyAttribute validates a change to a (new when a.ID is nil).
func ApplyAttribute(a Attribute, ch AttributeChange) (Attribute, error) {
	var vs fault.Violations
	if a.ID == uuid.Nil {
		a.ID = newID()
		a.Options = []string{}
		if ch.Code == nil || !attributeCode.MatchString(*ch.Code) {
			vs.Add("code", "invalid_code", "a lowercase letter, then letters, digits or _ (up to 64)")
		} else {
			a.Code = *ch.Code
		}
		if ch.Type == nil || !slices.Contains(attributeTypes, *ch.Type) {
			vs.Add("type", "invalid_choice", "one of "+strings.Join(attributeTypes, ", "))
		} else {
			a.Type = *ch.Type
		}
	}
	a.Key = keyPatch("key", ch.Key, &vs).Apply(a.Key)
	a.Name = Text(ch.Name.Apply(a.Name))
	if ch.Options != nil {
		a.Options = []string{}
		seen := map[string]bool{}
		for i, o := range *ch.Options {
			o = strings.TrimSpace(o)
			if o == "" || seen[o] {
				vs.Add(fmt.Sprintf("options[%d]", i), "invalid_option", "options must be non-empty and distinct")
				continue
			}
			seen[o] = true
			a.Options = append(a.Options, o)
		}
	}
	if ch.Required != nil {
		a.Required = *ch.Required
	}
	if (a.Type == "select" || a.Type == "multiselect") && len(a.Options) == 0 && len(vs) == 0 {
		vs.Add("options", "required", "select attributes need options")
	}
	return a, vs.Err()
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// checkValue validates one value against its attribute's type and options.
func checkValue(a Attribute, v any) (string, string, bool) {
	str, isStr := v.(string)
	switch a.Type {
	case "text", "textarea":
		limit := 255
		if a.Type == "textarea" {
			limit = 65535
		}
		if !isStr || utf8.RuneCountInString(str) > limit {
			return "invalid_type", fmt.Sprintf("a text of at most %d characters", limit), false
		}
	case "number":
		if _, ok := v.(float64); !ok {
			if _, ok := v.(json.Number); !ok {
				return "invalid_type", "a number", false
			}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return "invalid_type", "true or false", false
		}
	case "date":
		if !isStr || !isoDate.MatchString(str) {
			return "invalid_type", "a date, YYYY-MM-DD", false
		}
		if _, err := time.Parse("2006-01-02", str); err != nil {
			return "invalid_type", "a date, YYYY-MM-DD", false
		}
	case "url":
		u, err := url.Parse(str)
		if !isStr || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "invalid_type", "an absolute http or https URL", false
		}
	case "select":
		if !isStr || !slices.Contains(a.Options, str) {
			return "unknown_option", "one of the attribute's options: " + strings.Join(a.Options, ", "), false
		}
	case "multiselect":
		list, ok := v.([]any)
		if !ok {
			return "invalid_type", "a list of the attribute's options", false
		}
		for _, e := range list {
			if s, ok := e.(string); !ok || !slices.Contains(a.Options, s) {
				return "unknown_option", "each entry one of the attribute's options: " + strings.Join(a.Options, ", "), false
			}
		}
	}
	return "", "", true
}

// attributeValues validates values against the category's attribute set; active enforces the
// set's required attributes.
func attributeValues(set []Attribute, in []AttributeValueInput, active bool) ([]AttributeValue, error) {
	var vs fault.Violations
	byID := map[uuid.UUID]Attribute{}
	for _, a := range set {
		byID[a.ID] = a
	}
	out := []AttributeValue{}
	seen := map[uuid.UUID]bool{}
	for i, v := range in {
		path := fmt.Sprintf("attributeValues[%d]", i)
		id := v.Attribute
		a, inSet := byID[id]
		switch {
		case !inSet:
			vs.Add(path+".attribute", "not_in_attribute_set", "this attribute is not in the attribute set of the product's category")
			continue
		case seen[id]:
			vs.Add(path+".attribute", "duplicate_attribute", "one value per attribute")
			continue
		}
		seen[id] = true
		if code, msg, ok := checkValue(a, v.Value); !ok {
			vs.Add(path+".value", code, msg)
			continue
		}
		raw, err := json.Marshal(v.Value)
		if err != nil {
			vs.Add(path+".value", "invalid_type", "not a JSON value")
			continue
		}
		out = append(out, AttributeValue{Attribute: id, Value: raw})
	}
	if active && len(vs) == 0 {
		var missing []string
		for _, a := range set {
			if a.Required && !seen[a.ID] {
				missing = append(missing, a.Code)
			}
		}
		if len(missing) > 0 {
			vs.Add("attributeValues", "required_attributes_missing", "an active product needs values for: "+strings.Join(missing, ", "))
		}
	}
	return out, vs.Err()
}

// Attributes lists a page of attributes.
func (s *Service) Attributes(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Attribute, int, error) {
	return s.attributes.Attributes(ctx, instance, loc, page, perPage)
}

// Attribute reads one attribute.
func (s *Service) Attribute(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Attribute, error) {
	list, err := s.attributes.AttributesByID(ctx, instance, []uuid.UUID{id}, loc)
	return first(list, err, "no such attribute")
}

// CreateAttribute validates and stores an attribute (its name in locale).
func (s *Service) CreateAttribute(ctx context.Context, instance uuid.UUID, locale string, ch AttributeChange) (Attribute, error) {
	a, err := ApplyAttribute(Attribute{}, ch)
	if err != nil {
		return Attribute{}, err
	}
	return save(ctx, s, instance, KindAttribute, Created, a.ID, Touch{},
		func(ctx context.Context) error {
			return s.attributes.SaveAttribute(ctx, instance, a, locale, a.Name != nil, true)
		},
		func(ctx context.Context) (Attribute, error) {
			return s.Attribute(ctx, instance, a.ID, ReadLocale{Code: locale})
		})
}

// UpdateAttribute applies a patch to an attribute (its code and type never change).
func (s *Service) UpdateAttribute(ctx context.Context, instance, id uuid.UUID, locale string, ch AttributeChange) (Attribute, error) {
	cur, err := s.Attribute(ctx, instance, id, ReadLocale{Code: locale})
	if err != nil {
		return Attribute{}, err
	}
	a, err := ApplyAttribute(cur, ch)
	if err != nil {
		return Attribute{}, err
	}
	return save(ctx, s, instance, KindAttribute, Updated, id, Touch{},
		func(ctx context.Context) error {
			return s.attributes.SaveAttribute(ctx, instance, a, locale, ch.Name.Present(), false)
		},
		func(ctx context.Context) (Attribute, error) {
			return s.Attribute(ctx, instance, id, ReadLocale{Code: locale})
		})
}

// DeleteAttribute removes an attribute no category or product uses.
func (s *Service) DeleteAttribute(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindAttribute, id.String(), Touch{}, func(ctx context.Context) error { return s.attributes.DeleteAttribute(ctx, instance, id) })
}

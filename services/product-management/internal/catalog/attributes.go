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
)

// Attribute is a typed product property.
type Attribute struct {
	ID        uuid.UUID
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
	Code, Name, Type *string
	ClearName        bool
	Options          *[]string
	Required         *bool
}

// Category groups products and decides their attribute set.
type Category struct {
	ID         uuid.UUID
	Name       *string // in the read locale
	Handle     string
	Parent     *uuid.UUID
	Attributes []uuid.UUID // own set, in order
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CategoryChange creates or patches a category; Parent and Attributes are IRIs.
type CategoryChange struct {
	Name, Handle *string
	ClearName    bool
	Parent       *string
	ClearParent  bool
	Attributes   *[]string
}

// AttributeValue is a product's value of an attribute (JSON of the attribute's type).
type AttributeValue struct {
	Attribute uuid.UUID
	Value     json.RawMessage
}

// AttributeValueInput is a value as sent: an attribute IRI and any JSON value.
type AttributeValueInput struct {
	Attribute string
	Value     any
}

// AttributeStore persists attributes and categories.
type AttributeStore interface {
	Attributes(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Attribute, int, error)
	AttributesByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Attribute, error)
	SaveAttribute(ctx context.Context, instance uuid.UUID, a Attribute, locale string, setName, create bool) error
	DeleteAttribute(ctx context.Context, instance, id uuid.UUID) error
	Categories(ctx context.Context, instance uuid.UUID, loc ReadLocale, page, perPage int) ([]Category, int, error)
	CategoriesByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Category, error)
	SaveCategory(ctx context.Context, instance uuid.UUID, c Category, locale string, setName, create bool) error
	DeleteCategory(ctx context.Context, instance, id uuid.UUID) error
	// Ancestors returns the category and its ancestors, nearest first.
	Ancestors(ctx context.Context, instance, id uuid.UUID) ([]uuid.UUID, error)
	// AttributeSet returns the attributes of the category and its ancestors.
	AttributeSet(ctx context.Context, instance, category uuid.UUID) ([]Attribute, error)
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
	switch {
	case ch.ClearName:
		a.Name = nil
	case ch.Name != nil:
		a.Name = text(ch.Name)
	}
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
		id, ok := ParseIRI(v.Attribute, "/rest/api/attributes/")
		a, inSet := byID[id]
		switch {
		case !ok || !inSet:
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

// productCategory checks a category IRI and returns its id and attribute set.
func (s *Service) productCategory(ctx context.Context, instance uuid.UUID, iri string) (uuid.UUID, []Attribute, error) {
	id, ok := ParseIRI(iri, "/rest/api/categories/")
	if !ok {
		return uuid.Nil, nil, fault.Invalid("category", "unknown_category", "no such category in this instance")
	}
	found, err := s.store.CategoriesByID(ctx, instance, []uuid.UUID{id}, ReadLocale{})
	if err != nil {
		return uuid.Nil, nil, err
	}
	if len(found) == 0 {
		return uuid.Nil, nil, fault.Invalid("category", "unknown_category", "no such category in this instance")
	}
	set, err := s.store.AttributeSet(ctx, instance, id)
	return id, set, err
}

// ApplyCategory validates a change to c (new when c.ID is nil): a parent that is the category or
// one of its descendants would make a cycle.
func (s *Service) ApplyCategory(ctx context.Context, instance uuid.UUID, c Category, ch CategoryChange) (Category, error) {
	var vs fault.Violations
	if c.ID == uuid.Nil {
		c.ID = newID()
		c.Attributes = []uuid.UUID{}
		if ch.Handle == nil || !collectionHandle.MatchString(*ch.Handle) || len(*ch.Handle) > 255 {
			vs.Add("handle", "invalid_handle", "lowercase letters, digits and single hyphens")
		} else {
			c.Handle = *ch.Handle
		}
	} else if ch.Handle != nil {
		c.Handle = *ch.Handle
	}
	switch {
	case ch.ClearName:
		c.Name = nil
	case ch.Name != nil:
		c.Name = text(ch.Name)
	}
	switch {
	case ch.ClearParent:
		c.Parent = nil
	case ch.Parent != nil:
		pid, ok := ParseIRI(*ch.Parent, "/rest/api/categories/")
		if !ok {
			vs.Add("parent", "unknown_category", "no such category in this instance")
			break
		}
		chain, err := s.store.Ancestors(ctx, instance, pid)
		if err != nil {
			return c, err
		}
		switch {
		case len(chain) == 0:
			vs.Add("parent", "unknown_category", "no such category in this instance")
		case slices.Contains(chain, c.ID):
			vs.Add("parent", "cycle", "a category cannot be below itself")
		default:
			c.Parent = &pid
		}
	}
	if ch.Attributes != nil {
		ids := []uuid.UUID{}
		for i, iri := range *ch.Attributes {
			id, ok := ParseIRI(iri, "/rest/api/attributes/")
			if !ok {
				vs.Add(fmt.Sprintf("attributes[%d]", i), "unknown_attribute", "no such attribute in this instance")
				continue
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			found, err := s.store.AttributesByID(ctx, instance, ids, ReadLocale{})
			if err != nil {
				return c, err
			}
			if len(found) != len(ids) {
				vs.Add("attributes", "unknown_attribute", "some attributes do not exist in this instance")
			}
		}
		c.Attributes = ids
	}
	return c, vs.Err()
}

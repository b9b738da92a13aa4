package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// Size limits like the leading platforms'.
const (
	MaxMetafieldValue = 64 << 10
	MaxJSONValue      = 128 << 10
)

// FieldDefinition is one field of a metaobject definition.
type FieldDefinition struct {
	Key      string `json:"key"`
	Name     string `json:"name,omitempty"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
}

// MetaobjectDefinition defines a metaobject type.
type MetaobjectDefinition struct {
	ID        uuid.UUID
	Type      string
	Name      *string
	Fields    []FieldDefinition
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Metaobject is a value of a definition.
type Metaobject struct {
	ID           uuid.UUID
	DefinitionID uuid.UUID
	Type         string
	Handle       string
	Fields       map[string]string
	References   []FieldReference // set by BuildMetaobject: what its reference fields point at
	CheckedAt    time.Time        // set by BuildMetaobject: the definition's version it was checked against
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// FieldReference is a metaobject referenced by a field of another metaobject.
type FieldReference struct {
	Key string
	ID  uuid.UUID
}

// MetaobjectStore persists metaobject definitions and metaobjects.
type MetaobjectStore interface {
	Definitions(ctx context.Context, instance uuid.UUID, page, perPage int) ([]MetaobjectDefinition, int, error)
	DefinitionByID(ctx context.Context, instance, id uuid.UUID) (MetaobjectDefinition, error)
	DefinitionByType(ctx context.Context, instance uuid.UUID, typ string) (MetaobjectDefinition, error)
	SaveDefinition(ctx context.Context, instance uuid.UUID, d MetaobjectDefinition, create bool) error
	DeleteDefinition(ctx context.Context, instance, id uuid.UUID) error
	Metaobjects(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Metaobject, int, error)
	MetaobjectsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]Metaobject, error)
	SaveMetaobject(ctx context.Context, instance uuid.UUID, m Metaobject, create bool) error
	DeleteMetaobject(ctx context.Context, instance, id uuid.UUID) error
	// MetaobjectsWrittenWith reads the metaobjects of a definition the transaction of ctx wrote.
	MetaobjectsWrittenWith(ctx context.Context, instance, definition uuid.UUID) ([]Metaobject, error)
}

var metaKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
var metaName = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)
var color = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

var metafieldTypes = map[string]bool{"single_line_text_field": true, "multi_line_text_field": true, "number_integer": true,
	"number_decimal": true, "boolean": true, "date": true, "date_time": true, "json": true, "url": true, "color": true,
	"metaobject_reference": true, "list__single_line_text_field": true, "list__metaobject_reference": true}

// checkTyped validates a value of a metafield type and returns the metaobjects it references.
func (s *Service) checkTyped(path, typ, value string) ([]uuid.UUID, *fault.Violation) {
	bad := func(msg string) *fault.Violation {
		return &fault.Violation{Path: path, Code: "invalid_value", Message: msg}
	}
	limit := MaxMetafieldValue
	if typ == "json" {
		limit = MaxJSONValue
	}
	if len(value) > limit {
		return nil, &fault.Violation{Path: path, Code: "too_long", Message: fmt.Sprintf("at most %d bytes for this type", limit)}
	}
	switch typ {
	case "single_line_text_field":
		if strings.ContainsAny(value, "\r\n") || utf8.RuneCountInString(value) > 255 {
			return nil, bad("one line of at most 255 characters")
		}
	case "multi_line_text_field":
	case "number_integer":
		if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			return nil, bad("an integer")
		}
	case "number_decimal":
		if _, err := strconv.ParseFloat(value, 64); err != nil || strings.ContainsAny(value, "eEnN") {
			return nil, bad("a decimal number such as 12.5")
		}
	case "boolean":
		if value != "true" && value != "false" {
			return nil, bad("true or false")
		}
	case "date":
		if _, err := time.Parse("2006-01-02", value); err != nil {
			return nil, bad("a date, YYYY-MM-DD")
		}
	case "date_time":
		if _, err := time.Parse(time.RFC3339, value); err != nil {
			return nil, bad("an RFC 3339 date-time")
		}
	case "json":
		if !json.Valid([]byte(value)) {
			return nil, bad("valid JSON")
		}
	case "url":
		if u, err := url.Parse(value); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, bad("an absolute http or https URL")
		}
	case "color":
		if !color.MatchString(value) {
			return nil, bad("a color, #rrggbb")
		}
	case "metaobject_reference":
		id, ok := s.parseRef(value)
		if !ok {
			return nil, bad("a metaobject IRI")
		}
		return []uuid.UUID{id}, nil
	case "list__single_line_text_field":
		var list []string
		if json.Unmarshal([]byte(value), &list) != nil {
			return nil, bad(`a JSON list of strings, ["a","b"]`)
		}
	case "list__metaobject_reference":
		var list []string
		if json.Unmarshal([]byte(value), &list) != nil {
			return nil, bad("a JSON list of metaobject IRIs")
		}
		ids := make([]uuid.UUID, 0, len(list))
		for _, ref := range list {
			id, ok := s.parseRef(ref)
			if !ok {
				return nil, bad("a JSON list of metaobject IRIs")
			}
			ids = append(ids, id)
		}
		return ids, nil
	default:
		return nil, &fault.Violation{Path: path, Code: "invalid_choice", Message: "unknown type"}
	}
	return nil, nil
}

// checkReferences makes sure referenced metaobjects exist in this instance.
func (s *Service) checkReferences(ctx context.Context, instance uuid.UUID, path string, ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := s.metaobjects.MetaobjectsByID(ctx, instance, ids)
	if err != nil {
		return err
	}
	known := map[uuid.UUID]bool{}
	for _, m := range found {
		known[m.ID] = true
	}
	for _, id := range ids {
		if !known[id] {
			return fault.Invalid(path, "unknown_metaobject", "the value refers to a metaobject that does not exist in this instance")
		}
	}
	return nil
}

// DefinitionChange creates or patches a metaobject definition.
type DefinitionChange struct {
	Type   *string // on create only
	Name   mergepatch.Field[string]
	Fields *[]FieldDefinition // replaces the fields
}

// ApplyDefinition validates a definition (new when d.ID is nil).
func ApplyDefinition(d MetaobjectDefinition, ch DefinitionChange) (MetaobjectDefinition, error) {
	typ, fields := ch.Type, ch.Fields
	var vs fault.Violations
	if d.ID == uuid.Nil {
		d.ID = newID()
		if typ == nil || !metaKey.MatchString(*typ) {
			vs.Add("type", "invalid_type_name", "a lowercase letter, then letters, digits or _")
		} else {
			d.Type = *typ
		}
	}
	d.Name = Text(ch.Name.Apply(d.Name))
	if fields != nil {
		seen := map[string]bool{}
		before := map[string]string{}
		for _, f := range d.Fields {
			before[f.Key] = f.Type
		}
		for i, f := range *fields {
			if old, ok := before[f.Key]; ok && old != f.Type {
				// Stored values were checked against the old type.
				vs.Add(fmt.Sprintf("fields[%d].type", i), "immutable_type", "a field's type cannot change; add a field with another key instead")
			}
			if !metaKey.MatchString(f.Key) || seen[f.Key] {
				vs.Add(fmt.Sprintf("fields[%d].key", i), "invalid_key", "distinct keys: a lowercase letter, then letters, digits or _")
			}
			if !metafieldTypes[f.Type] {
				vs.Add(fmt.Sprintf("fields[%d].type", i), "invalid_choice", "unknown type")
			}
			seen[f.Key] = true
		}
		d.Fields = *fields
	}
	return d, vs.Err()
}

// buildMetaobject validates a metaobject's fields against its definition.
// Its references are recorded in m.References, so what it points at cannot be deleted.
func (s *Service) buildMetaobject(ctx context.Context, instance uuid.UUID, m Metaobject, def MetaobjectDefinition) (Metaobject, error) {
	var vs fault.Violations
	m.References, m.CheckedAt = nil, def.UpdatedAt
	byKey := map[string]FieldDefinition{}
	for _, f := range def.Fields {
		byKey[f.Key] = f
	}
	for _, k := range slices.Sorted(maps.Keys(m.Fields)) {
		v := m.Fields[k]
		f, ok := byKey[k]
		if !ok {
			vs.Add("fields."+k, "unknown_field", "the definition has no such field")
			continue
		}
		ids, bad := s.checkTyped("fields."+k, f.Type, v)
		if bad != nil {
			vs = append(vs, *bad)
			continue
		}
		if err := s.checkReferences(ctx, instance, "fields."+k, ids); err != nil {
			if vs.Take(err) {
				continue
			}
			return m, err
		}
		for _, id := range ids {
			m.References = append(m.References, FieldReference{Key: k, ID: id})
		}
	}
	for _, f := range def.Fields {
		if _, ok := m.Fields[f.Key]; f.Required && !ok {
			vs.Add("fields."+f.Key, "required", "this field is required by the definition")
		}
	}
	return m, vs.Err()
}

// Definitions lists a page of metaobject definitions.
func (s *Service) Definitions(ctx context.Context, instance uuid.UUID, page, perPage int) ([]MetaobjectDefinition, int, error) {
	return s.metaobjects.Definitions(ctx, instance, page, perPage)
}

// Definition reads one metaobject definition.
func (s *Service) Definition(ctx context.Context, instance, id uuid.UUID) (MetaobjectDefinition, error) {
	return s.metaobjects.DefinitionByID(ctx, instance, id)
}

// CreateDefinition validates and stores a metaobject definition.
func (s *Service) CreateDefinition(ctx context.Context, instance uuid.UUID, ch DefinitionChange) (MetaobjectDefinition, error) {
	d, err := ApplyDefinition(MetaobjectDefinition{}, ch)
	if err != nil {
		return MetaobjectDefinition{}, err
	}
	return save(ctx, s, instance, KindDefinition, Created, d.ID, Touch{},
		func(ctx context.Context) error { return s.metaobjects.SaveDefinition(ctx, instance, d, true) },
		func(ctx context.Context) (MetaobjectDefinition, error) { return s.Definition(ctx, instance, d.ID) })
}

// UpdateDefinition applies a patch to a definition; the store keeps its metaobjects valid.
func (s *Service) UpdateDefinition(ctx context.Context, instance, id uuid.UUID, ch DefinitionChange) (MetaobjectDefinition, error) {
	cur, err := s.Definition(ctx, instance, id)
	if err != nil {
		return MetaobjectDefinition{}, err
	}
	ch.Type = nil
	d, err := ApplyDefinition(cur, ch)
	if err != nil {
		return MetaobjectDefinition{}, err
	}
	var out MetaobjectDefinition
	_, err = s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		if err := s.metaobjects.SaveDefinition(ctx, instance, d, false); err != nil {
			return nil, err
		}
		if out, err = s.Definition(ctx, instance, id); err != nil {
			return nil, err
		}
		// Its metaobjects that lost a removed field's value changed too.
		changed, err := s.metaobjects.MetaobjectsWrittenWith(ctx, instance, id)
		if err != nil {
			return nil, err
		}
		changes := one(KindDefinition, Updated, id, out)
		for _, m := range changed {
			changes = append(changes, Change{Kind: KindMetaobject, Op: Updated, ID: m.ID.String(), Resource: m})
		}
		return changes, nil
	})
	return out, err
}

// DeleteDefinition removes a definition without metaobjects.
func (s *Service) DeleteDefinition(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindDefinition, id.String(), Touch{}, func(ctx context.Context) error { return s.metaobjects.DeleteDefinition(ctx, instance, id) })
}

// Metaobjects lists a page of metaobjects.
func (s *Service) Metaobjects(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Metaobject, int, error) {
	return s.metaobjects.Metaobjects(ctx, instance, page, perPage)
}

// Metaobject reads one metaobject.
func (s *Service) Metaobject(ctx context.Context, instance, id uuid.UUID) (Metaobject, error) {
	list, err := s.metaobjects.MetaobjectsByID(ctx, instance, []uuid.UUID{id})
	return first(list, err, "no such metaobject")
}

// CreateMetaobject validates a metaobject of the definition of typ and stores it.
func (s *Service) CreateMetaobject(ctx context.Context, instance uuid.UUID, typ, handle string, fields map[string]string) (Metaobject, error) {
	def, err := s.metaobjects.DefinitionByType(ctx, instance, typ)
	if fault.Is(err, fault.KindNotFound) {
		return Metaobject{}, fault.Invalid("type", "unknown_type", "no metaobject definition of this type in this instance")
	}
	if err != nil {
		return Metaobject{}, err
	}
	m, err := s.buildMetaobject(ctx, instance, Metaobject{ID: uuid.New(), DefinitionID: def.ID, Type: def.Type, Handle: handle, Fields: fields}, def)
	if err != nil {
		return Metaobject{}, err
	}
	return save(ctx, s, instance, KindMetaobject, Created, m.ID, Touch{},
		func(ctx context.Context) error { return s.metaobjects.SaveMetaobject(ctx, instance, m, true) },
		func(ctx context.Context) (Metaobject, error) { return s.Metaobject(ctx, instance, m.ID) })
}

// MergeFields applies a merge patch (RFC 7396) of field values to fields, which it leaves as they
// are: a value sets its key, nil (null) removes it, keys the patch leaves out stay.
func MergeFields(fields map[string]string, patch map[string]*string) map[string]string {
	out := make(map[string]string, len(fields)+len(patch))
	maps.Copy(out, fields)
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	return out
}

// UpdateMetaobject merges a patch into a metaobject's fields (MergeFields; nil: unchanged) and
// checks the result against its definition.
func (s *Service) UpdateMetaobject(ctx context.Context, instance, id uuid.UUID, fields *map[string]*string) (Metaobject, error) {
	cur, err := s.Metaobject(ctx, instance, id)
	if err != nil || fields == nil {
		return cur, err
	}
	def, err := s.metaobjects.DefinitionByID(ctx, instance, cur.DefinitionID)
	if err != nil {
		return Metaobject{}, err
	}
	cur.Fields = MergeFields(cur.Fields, *fields)
	if cur, err = s.buildMetaobject(ctx, instance, cur, def); err != nil {
		return Metaobject{}, err
	}
	return save(ctx, s, instance, KindMetaobject, Updated, id, Touch{},
		func(ctx context.Context) error { return s.metaobjects.SaveMetaobject(ctx, instance, cur, false) },
		func(ctx context.Context) (Metaobject, error) { return s.Metaobject(ctx, instance, id) })
}

// DeleteMetaobject removes a metaobject nothing refers to.
func (s *Service) DeleteMetaobject(ctx context.Context, instance, id uuid.UUID) error {
	return s.remove(ctx, instance, KindMetaobject, id.String(), Touch{}, func(ctx context.Context) error { return s.metaobjects.DeleteMetaobject(ctx, instance, id) })
}

package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// strictSchemas validates response bodies a second time, with a standard JSON Schema validator
// (santhosh-tekuri/jsonschema, draft 2020-12) over the spec's schemas converted the way strict
// OpenAPI 3.0 tools (Prism, ajv) read them: `nullable` only widens a schema that has a `type`.
// kin-openapi is more lenient (it honours `nullable` beside an `allOf` of a reference), so without
// this second look a null that partners' validators refuse would pass our tests.
type strictSchemas struct {
	mu       sync.Mutex
	compiled map[*openapi3.Schema]*jsonschema.Schema
}

func newStrictSchemas() *strictSchemas {
	return &strictSchemas{compiled: map[*openapi3.Schema]*jsonschema.Schema{}}
}

// validate checks body against the schema of a response.
func (s *strictSchemas) validate(ref *openapi3.SchemaRef, body []byte) error {
	if ref == nil || ref.Value == nil || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	sch, err := s.compile(ref)
	if err != nil {
		return fmt.Errorf("strict schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(inst)
}

func (s *strictSchemas) compile(ref *openapi3.SchemaRef) (*jsonschema.Schema, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sch, ok := s.compiled[ref.Value]; ok {
		return sch, nil
	}
	c := converter{names: map[*openapi3.Schema]string{}, defs: map[string]any{}}
	root := c.schema(ref)
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$defs"] = c.defs
	// The compiler wants what a JSON decoder makes ([]any, float64...), not Go's own types.
	raw, err := json.Marshal(root)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	compiler := jsonschema.NewCompiler()
	if err := compiler.AddResource("mem://response.json", doc); err != nil {
		return nil, err
	}
	sch, err := compiler.Compile("mem://response.json")
	if err != nil {
		return nil, err
	}
	s.compiled[ref.Value] = sch
	return sch, nil
}

// converter turns OpenAPI 3.0 schemas into JSON Schema 2020-12; named (referenced) schemas become
// $defs, so recursive schemas stay finite.
type converter struct {
	names map[*openapi3.Schema]string
	defs  map[string]any
}

func (c *converter) schema(ref *openapi3.SchemaRef) map[string]any {
	if ref == nil || ref.Value == nil {
		return map[string]any{}
	}
	if ref.Ref != "" {
		name, seen := c.names[ref.Value]
		if !seen {
			name = ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
			for taken := c.defs[name] != nil; taken; taken = c.defs[name] != nil {
				name += "_"
			}
			c.names[ref.Value] = name
			c.defs[name] = map[string]any{} // placeholder against cycles
			c.defs[name] = c.value(ref.Value)
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	return c.value(ref.Value)
}

func (c *converter) value(v *openapi3.Schema) map[string]any {
	out := map[string]any{}
	if v.Type != nil && len(*v.Type) > 0 {
		types := make([]any, 0, len(*v.Type)+1)
		for _, t := range *v.Type {
			types = append(types, t)
		}
		if v.Nullable {
			types = append(types, "null") // nullable widens only a typed schema, as strict tools read 3.0
		}
		out["type"] = types
	}
	if len(v.Enum) > 0 {
		enum := append([]any(nil), v.Enum...)
		if v.Nullable && v.Type != nil {
			enum = append(enum, nil)
		}
		out["enum"] = enum
	}
	if len(v.Properties) > 0 {
		props := map[string]any{}
		for name, p := range v.Properties {
			props[name] = c.schema(p)
		}
		out["properties"] = props
	}
	if len(v.Required) > 0 {
		out["required"] = append([]string(nil), v.Required...)
	}
	if v.AdditionalProperties.Has != nil && !*v.AdditionalProperties.Has {
		out["additionalProperties"] = false
	} else if v.AdditionalProperties.Schema != nil {
		out["additionalProperties"] = c.schema(v.AdditionalProperties.Schema)
	}
	if v.Items != nil {
		out["items"] = c.schema(v.Items)
	}
	for key, list := range map[string]openapi3.SchemaRefs{"allOf": v.AllOf, "oneOf": v.OneOf, "anyOf": v.AnyOf} {
		if len(list) == 0 {
			continue
		}
		subs := make([]any, len(list))
		for i, r := range list {
			subs[i] = c.schema(r)
		}
		out[key] = subs
	}
	if v.Not != nil {
		out["not"] = c.schema(v.Not)
	}
	if v.Pattern != "" {
		out["pattern"] = v.Pattern
	}
	if v.MinLength > 0 {
		out["minLength"] = v.MinLength
	}
	if v.MaxLength != nil {
		out["maxLength"] = *v.MaxLength
	}
	if v.Min != nil {
		key := "minimum"
		if v.ExclusiveMin.IsTrue() {
			key = "exclusiveMinimum"
		}
		out[key] = *v.Min
	}
	if v.Max != nil {
		key := "maximum"
		if v.ExclusiveMax.IsTrue() {
			key = "exclusiveMaximum"
		}
		out[key] = *v.Max
	}
	if v.MinItems > 0 {
		out["minItems"] = v.MinItems
	}
	if v.MaxItems != nil {
		out["maxItems"] = *v.MaxItems
	}
	if v.UniqueItems {
		out["uniqueItems"] = true
	}
	return out
}

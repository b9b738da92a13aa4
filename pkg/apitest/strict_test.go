package apitest

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const nullableSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Bank:
      type: object
      required: [iban]
      properties:
        iban: {type: string}
    NullableBank:
      type: object
      nullable: true
      properties:
        iban: {type: string}
    Org:
      type: object
      properties:
        beside:            # the idiom strict validators refuse null for
          type: object
          nullable: true
          allOf: [{$ref: '#/components/schemas/Bank'}]
        onTheSchema:
          $ref: '#/components/schemas/NullableBank'
        name: {type: string, nullable: true, maxLength: 3}
        kind: {type: string, enum: [a, b]}
`

// The strict validator reads OpenAPI 3.0 as Prism and ajv do: kin-openapi accepts null beside an
// allOf of a reference, the strict one does not; nullable on a typed schema is null-able for both.
func TestStrictSchemas(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(nullableSpec))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	org := doc.Components.Schemas["Org"]
	strict := newStrictSchemas()
	for _, c := range []struct {
		body string
		ok   bool
	}{
		{`{"onTheSchema": null, "name": null}`, true},
		{`{"beside": {"iban": "DE89"}, "kind": "a"}`, true},
		{`{"beside": null}`, false},
		{`{"name": "long"}`, false},
		{`{"kind": "c"}`, false},
		{`{"beside": {}}`, false},
	} {
		err := strict.validate(org, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: %v, want ok=%v", c.body, err, c.ok)
		}
		// kin-openapi itself lets the null beside allOf through: why the second validator exists.
		if c.body == `{"beside": null}` {
			var v any = map[string]any{"beside": nil}
			if err := org.Value.VisitJSON(v); err != nil {
				t.Logf("kin-openapi now refuses it too: %v", err)
			}
		}
	}
}

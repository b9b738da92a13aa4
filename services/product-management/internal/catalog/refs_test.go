package catalog

import (
	"testing"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

func TestVariantMedias(t *testing.T) {
	t.Parallel()
	a, b := Media{ID: uuid.New(), Src: "https://cdn.example.com/a.jpg"}, Media{ID: uuid.New(), Src: "https://cdn.example.com/b.jpg"}
	product := []Media{a, b}
	ref := func(id uuid.UUID) *uuid.UUID { return &id }
	for _, tc := range []struct {
		name string
		refs []MediaRef
		want []uuid.UUID
		path string // of the first violation; "" when valid
	}{
		{"by src, in the order given", []MediaRef{{Src: b.Src}, {Src: a.Src}}, []uuid.UUID{b.ID, a.ID}, ""},
		{"by id", []MediaRef{{Media: ref(a.ID)}}, []uuid.UUID{a.ID}, ""},
		{"repeats dropped", []MediaRef{{Media: ref(a.ID)}, {Src: a.Src}}, []uuid.UUID{a.ID}, ""},
		{"neither", []MediaRef{{}}, nil, "m[0]"},
		{"both", []MediaRef{{Media: ref(a.ID), Src: a.Src}}, nil, "m[0]"},
		{"another media", []MediaRef{{Media: ref(uuid.New())}}, nil, "m[0].media"},
		{"unreadable reference", []MediaRef{{Media: ref(uuid.Nil)}}, nil, "m[0].media"},
		{"unknown src", []MediaRef{{Src: a.Src}, {Src: "https://cdn.example.com/c.jpg"}}, nil, "m[1].src"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := variantMedias("m", tc.refs, product)
			if tc.path != "" {
				var vs fault.Violations
				if !vs.Take(err) || vs[0].Path != tc.path {
					t.Fatalf("err = %v, want a violation at %s", err, tc.path)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func TestCheckTypedReferences(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	ref := "/rest/api/metaobjects/" + id.String()
	for _, tc := range []struct {
		typ, value string
		refs       int
		ok         bool
	}{
		{"metaobject_reference", ref, 1, true},
		{"metaobject_reference", "/rest/api/products/" + id.String(), 0, false},
		{"list__metaobject_reference", `["` + ref + `","` + ref + `"]`, 2, true},
		{"list__metaobject_reference", `["x"]`, 0, false},
		{"list__metaobject_reference", `{}`, 0, false},
		{"single_line_text_field", "a\nb", 0, false},
		{"number_decimal", "1e5", 0, false},
		{"number_decimal", "12.50", 0, true},
		{"color", "#A0b1C2", 0, true},
		{"date_time", "2026-11-23T10:00:00Z", 0, true},
		{"url", "https://example.com/x", 0, true},
		{"url", "//example.com/x", 0, false},
	} {
		refs, bad := (&Service{parseRef: iri.Metaobjects.Parse}).checkTyped("value", tc.typ, tc.value)
		if (bad == nil) != tc.ok || len(refs) != tc.refs {
			t.Errorf("%s %q: refs %v, violation %v; want ok=%v with %d refs", tc.typ, tc.value, refs, bad, tc.ok, tc.refs)
		}
	}
}

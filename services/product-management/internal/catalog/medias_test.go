package catalog

import (
	"testing"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
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

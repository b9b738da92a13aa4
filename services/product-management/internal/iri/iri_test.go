package iri

import (
	"testing"

	"github.com/google/uuid"
)

func TestRoundTripAndRefusals(t *testing.T) {
	t.Parallel()
	id := uuid.New()
	cases := []struct {
		in string
		ok bool
	}{
		{Products.Of(id), true},
		{id.String(), true}, // a bare id
		{"  " + Products.Of(id) + " ", true},
		{Variants.Of(id), false}, // another collection
		{Products.Of(id) + "x", false},
		{Products.Path() + "/", false},
		{"", false},
		{"/rest/api/products/" + id.String()[:35], false},
	}
	for _, c := range cases {
		got, ok := Products.Parse(c.in)
		if ok != c.ok || ok && got != id {
			t.Errorf("Parse(%q) = %v, %v; want ok=%v", c.in, got, ok, c.ok)
		}
		if !ok && Products.ID(c.in) != uuid.Nil {
			t.Errorf("ID(%q) must be uuid.Nil for what is not a member", c.in)
		}
	}
	if Countries.Code(Countries.OfCode("DE")) != "DE" || Countries.Code("de") != "de" {
		t.Error("codes do not round-trip")
	}
	if Products.Path() != "/rest/api/products" || Context("Product") != "/rest/api/contexts/Product" {
		t.Error("unexpected IRI shapes")
	}
}

package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/apitest"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// expectConflict checks a 409 problem whose detail contains each of parts (the field it names, the
// value taken, the IRI of what it clashes with) and that lists no violations (those are 400/422's).
func expectConflict(t testing.TB, r apitest.Response, parts ...string) common.Problem {
	t.Helper()
	p := expectProblem(t, r, 409, "")
	if p.Detail == nil {
		t.Fatalf("a conflict without a detail: %s", r.GetBody())
	}
	for _, part := range parts {
		if !strings.Contains(*p.Detail, part) {
			t.Errorf("detail %q does not name %q", *p.Detail, part)
		}
	}
	if p.Violations != nil {
		t.Errorf("a 409 with violations: %s", r.GetBody())
	}
	return p
}

// TestTakenUniqueKeysAreConflicts: a key another resource of the instance already has is a 409
// naming the field and the value, on create and on the patches that can change it.
func TestTakenUniqueKeysAreConflicts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.channel(t, "web", "EUR")
	if resp, err := w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "hats"}); err != nil || resp.StatusCode() != 201 {
		t.Fatalf("category: %v %s", err, body(resp))
	}
	col, err := w.c.CreateCollectionWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"handle":"summer"}`))
	if err != nil || col.StatusCode() != 201 {
		t.Fatalf("collection: %v %s", err, body(col))
	}
	sale, err := w.c.CreateCollectionWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"handle":"sale"}`))
	if err != nil || sale.StatusCode() != 201 {
		t.Fatalf("collection: %v %s", err, body(sale))
	}
	w.metaobject(t, "Acme") // definition kind_acme, metaobject "one"

	for _, tc := range []struct {
		name  string
		call  func() (apitest.Response, error)
		parts []string
	}{
		{"channel code", func() (apitest.Response, error) {
			return w.c.CreateChannelWithResponse(ctx, nil, pm.ChannelCreate{Code: "web", Name: "Web again", Currency: "EUR"})
		}, []string{"code", `"web"`}},
		{"category handle", func() (apitest.Response, error) {
			return w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "hats"})
		}, []string{"handle", `"hats"`}},
		{"collection handle", func() (apitest.Response, error) {
			return w.c.CreateCollectionWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"handle":"summer"}`))
		}, []string{"handle", `"summer"`}},
		{"collection handle by patch", func() (apitest.Response, error) {
			return w.c.UpdateCollectionWithBodyWithResponse(ctx, sale.ApplicationldJSON201.Id, nil, "application/merge-patch+json", strings.NewReader(`{"handle":"summer"}`))
		}, []string{"handle", `"summer"`}},
		{"metaobject definition type", func() (apitest.Response, error) {
			return w.c.CreateMetaobjectDefinitionWithResponse(ctx, nil, pm.MetaobjectDefinitionCreate{Type: "kind_acme",
				Fields: []pm.MetaobjectFieldDefinition{{Key: "name", Type: pm.MetafieldTypeSingleLineTextField}}})
		}, []string{"type", `"kind_acme"`}},
		{"metaobject handle", func() (apitest.Response, error) {
			return w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "kind_acme", Handle: "one", Fields: map[string]string{"name": "Other"}})
		}, []string{"handle", `"one"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.call()
			if err != nil {
				t.Fatal(err)
			}
			expectConflict(t, resp, tc.parts...)
		})
	}
}

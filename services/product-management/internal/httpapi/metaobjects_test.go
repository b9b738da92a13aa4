package httpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestMetaobjectFieldsMergePatch: PATCH merges fields into the stored ones (RFC 7396): a value
// sets its key, null removes it, the others stay; the result is checked against the definition.
func TestMetaobjectFieldsMergePatch(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	city := w.metaobject(t, "Auckland") // kind_auckland "one"
	def, err := w.c.CreateMetaobjectDefinitionWithResponse(ctx, nil, pm.MetaobjectDefinitionCreate{Type: "brand", Fields: []pm.MetaobjectFieldDefinition{
		{Key: "name", Type: pm.MetafieldTypeSingleLineTextField, Required: ptr(true)},
		{Key: "founded", Type: pm.MetafieldTypeNumberInteger},
		{Key: "home", Type: pm.MetafieldTypeMetaobjectReference},
	}})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, def, 201)
	obj, err := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "brand", Handle: "acme",
		Fields: map[string]string{"name": "Acme", "founded": "1901", "home": city}})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, obj, 201)
	id := obj.ApplicationldJSON201.Id
	patch := func(t *testing.T, body string) *pm.UpdateMetaobjectResponse {
		t.Helper()
		resp, err := w.c.UpdateMetaobjectWithBodyWithResponse(ctx, id, nil, "application/merge-patch+json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	fields := func(t *testing.T, resp *pm.UpdateMetaobjectResponse, want map[string]string) {
		t.Helper()
		expectStatus(t, resp, 200)
		if diff := cmp.Diff(want, resp.ApplicationldJSON200.Fields); diff != "" {
			t.Fatalf("fields (-want +got):\n%s", diff)
		}
		read, err := w.c.GetMetaobjectWithResponse(ctx, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, read, 200)
		if diff := cmp.Diff(want, read.ApplicationldJSON200.Fields); diff != "" {
			t.Fatalf("read fields (-want +got):\n%s", diff)
		}
	}

	t.Run("a value sets one field and keeps the others", func(t *testing.T) {
		fields(t, patch(t, `{"fields":{"founded":"1902"}}`), map[string]string{"name": "Acme", "founded": "1902", "home": city})
	})
	t.Run("no fields member changes nothing", func(t *testing.T) {
		fields(t, patch(t, `{}`), map[string]string{"name": "Acme", "founded": "1902", "home": city})
	})
	t.Run("the merged fields are checked against the definition", func(t *testing.T) {
		expectProblem(t, patch(t, `{"fields":{"name":null}}`), 422, "fields.name")
		expectProblem(t, patch(t, `{"fields":{"founded":"soon"}}`), 422, "fields.founded")
		expectProblem(t, patch(t, `{"fields":{"shoe":"42"}}`), 422, "fields.shoe")
		fields(t, patch(t, `{}`), map[string]string{"name": "Acme", "founded": "1902", "home": city})
	})
	t.Run("null removes a field, and what it referred to is free", func(t *testing.T) {
		del, err := w.c.DeleteMetaobjectWithResponse(ctx, idOf(city), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, del, 409, "")
		resp, err := w.c.UpdateMetaobjectWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, id, nil,
			pm.MetaobjectPatch{Fields: &map[string]*string{"home": nil, "name": ptr("Acme Ltd")}})
		if err != nil {
			t.Fatal(err)
		}
		fields(t, resp, map[string]string{"name": "Acme Ltd", "founded": "1902"})
		del, err = w.c.DeleteMetaobjectWithResponse(ctx, idOf(city), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
	})
}

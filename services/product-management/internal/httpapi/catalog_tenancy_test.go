package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/pkg/apitest"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestCatalogResourcesRefuseOutsiders: attributes, categories, collections, medias, metaobject
// definitions, metaobjects and metafields are invisible to another tenant (404) and writable only
// with identity:products.write (403 listing it).
func TestCatalogResourcesRefuseOutsiders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	at, _ := w.c.CreateAttributeWithResponse(ctx, nil, pm.AttributeCreate{Code: "size_chart", Type: pm.AttributeTypeText})
	cat, _ := w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "hats"})
	col, _ := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "winter"})
	med, _ := w.c.CreateMediaWithResponse(ctx, nil, image("https://cdn.example.com/x.jpg"))
	def, _ := w.c.CreateMetaobjectDefinitionWithResponse(ctx, nil, pm.MetaobjectDefinitionCreate{Type: "brand", Fields: []pm.MetaobjectFieldDefinition{{Key: "name", Type: pm.MetafieldTypeSingleLineTextField}}})
	obj, _ := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: "brand", Handle: "acme", Fields: map[string]string{"name": "Acme"}})
	p := w.create(t, w.c, pm.ProductCreate{Title: some("x")})
	mf, _ := w.c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: p.LdID, Namespace: "custom", Key: "k", Type: pm.MetafieldTypeSingleLineTextField, Value: "v"})
	for _, r := range []apitest.Response{at, cat, col, med, def, obj, mf} {
		expectStatus(t, r, 201)
	}
	patch := func() *strings.Reader { return strings.NewReader(`{}`) }
	const mp = "application/merge-patch+json"
	type call = func() (apitest.Response, error)
	// Every item operation of every catalog resource, by name ("get …", "patch …", "delete …").
	calls := func(c *pm.ClientWithResponses) map[string]call {
		atID, catID, colID, medID := at.ApplicationldJSON201.Id, cat.ApplicationldJSON201.Id, col.ApplicationldJSON201.Id, med.ApplicationldJSON201.Id
		defID, objID, mfID := def.ApplicationldJSON201.Id, obj.ApplicationldJSON201.Id, mf.ApplicationldJSON201.Id
		return map[string]call{
			"get attribute": func() (apitest.Response, error) { return c.GetAttributeWithResponse(ctx, atID, nil) },
			"patch attribute": func() (apitest.Response, error) {
				return c.UpdateAttributeWithBodyWithResponse(ctx, atID, nil, mp, patch())
			},
			"delete attribute": func() (apitest.Response, error) { return c.DeleteAttributeWithResponse(ctx, atID, nil) },
			"get category":     func() (apitest.Response, error) { return c.GetCategoryWithResponse(ctx, catID, nil) },
			"patch category": func() (apitest.Response, error) {
				return c.UpdateCategoryWithBodyWithResponse(ctx, catID, nil, mp, patch())
			},
			"delete category": func() (apitest.Response, error) { return c.DeleteCategoryWithResponse(ctx, catID, nil) },
			"get collection":  func() (apitest.Response, error) { return c.GetCollectionWithResponse(ctx, colID, nil) },
			"patch collection": func() (apitest.Response, error) {
				return c.UpdateCollectionWithBodyWithResponse(ctx, colID, nil, mp, patch())
			},
			"delete collection": func() (apitest.Response, error) { return c.DeleteCollectionWithResponse(ctx, colID, nil) },
			"get media":         func() (apitest.Response, error) { return c.GetMediaWithResponse(ctx, medID, nil) },
			"patch media": func() (apitest.Response, error) {
				return c.UpdateMediaWithBodyWithResponse(ctx, medID, nil, mp, patch())
			},
			"delete media":   func() (apitest.Response, error) { return c.DeleteMediaWithResponse(ctx, medID, nil) },
			"get definition": func() (apitest.Response, error) { return c.GetMetaobjectDefinitionWithResponse(ctx, defID, nil) },
			"patch definition": func() (apitest.Response, error) {
				return c.UpdateMetaobjectDefinitionWithBodyWithResponse(ctx, defID, nil, mp, patch())
			},
			"delete definition": func() (apitest.Response, error) { return c.DeleteMetaobjectDefinitionWithResponse(ctx, defID, nil) },
			"get metaobject":    func() (apitest.Response, error) { return c.GetMetaobjectWithResponse(ctx, objID, nil) },
			"patch metaobject": func() (apitest.Response, error) {
				return c.UpdateMetaobjectWithBodyWithResponse(ctx, objID, nil, mp, patch())
			},
			"delete metaobject": func() (apitest.Response, error) { return c.DeleteMetaobjectWithResponse(ctx, objID, nil) },
			"get metafield":     func() (apitest.Response, error) { return c.GetMetafieldWithResponse(ctx, mfID, nil) },
			"patch metafield": func() (apitest.Response, error) {
				return c.UpdateMetafieldWithBodyWithResponse(ctx, mfID, nil, mp, patch())
			},
			"delete metafield": func() (apitest.Response, error) { return c.DeleteMetafieldWithResponse(ctx, mfID, nil) },
		}
	}
	// totals lists every catalog collection and returns each one's totalItems.
	totals := func(t *testing.T, c *pm.ClientWithResponses) map[string]int {
		t.Helper()
		out := map[string]int{}
		a, err1 := c.ListAttributesWithResponse(ctx, nil)
		cg, err2 := c.ListCategoriesWithResponse(ctx, nil)
		cl, err3 := c.ListCollectionsWithResponse(ctx, nil)
		md, err4 := c.ListMediasWithResponse(ctx, nil)
		df, err5 := c.ListMetaobjectDefinitionsWithResponse(ctx, nil)
		ob, err6 := c.ListMetaobjectsWithResponse(ctx, nil)
		mf, err7 := c.ListMetafieldsWithResponse(ctx, nil)
		for _, err := range []error{err1, err2, err3, err4, err5, err6, err7} {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range []apitest.Response{a, cg, cl, md, df, ob, mf} {
			expectStatus(t, r, 200)
		}
		out["attributes"], out["categories"], out["collections"] = a.ApplicationldJSON200.TotalItems, cg.ApplicationldJSON200.TotalItems, cl.ApplicationldJSON200.TotalItems
		out["medias"], out["definitions"] = md.ApplicationldJSON200.TotalItems, df.ApplicationldJSON200.TotalItems
		out["metaobjects"], out["metafields"] = ob.ApplicationldJSON200.TotalItems, mf.ApplicationldJSON200.TotalItems
		return out
	}
	mine := totals(t, w.c)
	for name, n := range mine {
		if n == 0 {
			t.Fatalf("the owner lists no %s", name)
		}
	}
	t.Run("another tenant gets 404", func(t *testing.T) {
		other := w.id.Partner("Other")
		org := other.Org(t, "Other")
		other.Instance(t, org, "other-cat")
		for name, call := range calls(w.pm.Client(other, "other-cat", org)) {
			resp, err := call()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != 404 {
				t.Errorf("%s: %d, want 404", name, resp.StatusCode())
			}
		}
		for name, n := range totals(t, w.pm.Client(other, "other-cat", org)) {
			if n != 0 {
				t.Errorf("another tenant lists %d of our %s", n, name)
			}
		}
		if after := totals(t, w.c); fmt.Sprint(after) != fmt.Sprint(mine) {
			t.Errorf("outsiders changed our catalog: %v -> %v", mine, after)
		}
	})
	t.Run("a viewer gets 403 on writes", func(t *testing.T) {
		viewer := w.id.Partner("Viewer")
		if r, err := w.owner.Identity.PutMemberWithResponse(ctx, w.org, viewer.ID, identity.MemberWrite{Role: identity.Viewer}); err != nil || r.StatusCode() != 201 {
			t.Fatalf("member: %v", err)
		}
		for name, call := range calls(w.pm.Client(viewer, w.handle, w.org)) {
			resp, err := call()
			if err != nil {
				t.Fatal(err)
			}
			want := 403
			if strings.HasPrefix(name, "get ") {
				want = 200
			}
			if resp.StatusCode() != want {
				t.Errorf("%s: %d, want %d", name, resp.StatusCode(), want)
			}
			if want == 403 && !strings.Contains(string(body(resp)), `"missingPermissions":["identity:products.write"]`) {
				t.Errorf("%s: the 403 does not list the missing permission: %s", name, body(resp))
			}
		}
	})
}

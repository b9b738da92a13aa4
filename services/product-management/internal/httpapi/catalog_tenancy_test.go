package httpapi_test

import (
	"context"
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
	calls := func(c *pm.ClientWithResponses) map[string]func() (apitest.Response, error) {
		return map[string]func() (apitest.Response, error){
			"get attribute": func() (apitest.Response, error) {
				return c.GetAttributeWithResponse(ctx, at.ApplicationldJSON201.Id, nil)
			},
			"delete attribute": func() (apitest.Response, error) {
				return c.DeleteAttributeWithResponse(ctx, at.ApplicationldJSON201.Id, nil)
			},
			"get category": func() (apitest.Response, error) {
				return c.GetCategoryWithResponse(ctx, cat.ApplicationldJSON201.Id, nil)
			},
			"delete category": func() (apitest.Response, error) {
				return c.DeleteCategoryWithResponse(ctx, cat.ApplicationldJSON201.Id, nil)
			},
			"get collection": func() (apitest.Response, error) {
				return c.GetCollectionWithResponse(ctx, col.ApplicationldJSON201.Id, nil)
			},
			"delete collection": func() (apitest.Response, error) {
				return c.DeleteCollectionWithResponse(ctx, col.ApplicationldJSON201.Id, nil)
			},
			"patch media": func() (apitest.Response, error) {
				return c.UpdateMediaWithBodyWithResponse(ctx, med.ApplicationldJSON201.Id, nil, "application/merge-patch+json", patch())
			},
			"delete media": func() (apitest.Response, error) {
				return c.DeleteMediaWithResponse(ctx, med.ApplicationldJSON201.Id, nil)
			},
			"delete definition": func() (apitest.Response, error) {
				return c.DeleteMetaobjectDefinitionWithResponse(ctx, def.ApplicationldJSON201.Id, nil)
			},
			"patch metaobject": func() (apitest.Response, error) {
				return c.UpdateMetaobjectWithBodyWithResponse(ctx, obj.ApplicationldJSON201.Id, nil, "application/merge-patch+json", patch())
			},
			"delete metafield": func() (apitest.Response, error) {
				return c.DeleteMetafieldWithResponse(ctx, mf.ApplicationldJSON201.Id, nil)
			},
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
		}
	})
}

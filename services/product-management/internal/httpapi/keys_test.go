package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/apitest"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestKeysNameResources: a product, category, collection and attribute created with a key are
// read, patched (the key too) and deleted through /rest/api/{collection}/key={key}, which
// answers as the by-id IRI does; a key that names nothing is a 404.
func TestKeysNameResources(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()

	p := w.create(t, w.c, pm.ProductCreate{Key: some("PIM:SHIRT-42"), Title: some("Shirt")})
	if p.Key.MustGet() != "PIM:SHIRT-42" {
		t.Fatalf("created product key = %v", p.Key)
	}
	got, err := w.c.GetProductByKeyWithResponse(ctx, "PIM:SHIRT-42", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, got, 200)
	if got.ApplicationldJSON200.Id != p.Id || got.ApplicationldJSON200.LdID != p.LdID || got.HTTPResponse.Header.Get("ETag") == "" {
		t.Fatalf("by key: %s", body(got))
	}
	patched, err := w.c.UpdateProductByKeyWithBodyWithResponse(ctx, "PIM:SHIRT-42", nil, "application/merge-patch+json",
		strings.NewReader(`{"title":"Linen shirt","key":"PIM:SHIRT-43"}`))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, patched, 200)
	if patched.ApplicationldJSON200.Title.MustGet() != "Linen shirt" || patched.ApplicationldJSON200.Key.MustGet() != "PIM:SHIRT-43" {
		t.Fatalf("patched: %s", body(patched))
	}
	old, err := w.c.GetProductByKeyWithResponse(ctx, "PIM:SHIRT-42", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, old, 404, "")
	// null removes the key; the by-id read shows it gone.
	removed, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(`{"key":null}`))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, removed, 200)
	if !removed.ApplicationldJSON200.Key.IsNull() {
		t.Fatalf("key after null: %s", body(removed))
	}
	gone, err := w.c.GetProductByKeyWithResponse(ctx, "PIM:SHIRT-43", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, gone, 404, "")

	del := w.create(t, w.c, pm.ProductCreate{Key: some("DEL-1")})
	deleted, err := w.c.DeleteProductByKeyWithResponse(ctx, "DEL-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, deleted, 204)
	byID, err := w.c.GetProductWithResponse(ctx, del.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, byID, 404, "")

	cat, err := w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "shirts", Key: some("cat:shirts")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, cat, 201)
	col, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "summer", Key: some("col.summer")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, col, 201)
	attr, err := w.c.CreateAttributeWithResponse(ctx, nil, pm.AttributeCreate{Code: "material", Type: pm.AttributeTypeText, Key: some("attr_material")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, attr, 201)
	for _, tc := range []struct {
		name          string
		get, del      func(key string) (apitest.Response, error)
		patch         func(key, body string) (apitest.Response, error)
		key, id, body string
	}{
		{"category",
			func(k string) (apitest.Response, error) { return w.c.GetCategoryByKeyWithResponse(ctx, k, nil) },
			func(k string) (apitest.Response, error) { return w.c.DeleteCategoryByKeyWithResponse(ctx, k, nil) },
			func(k, b string) (apitest.Response, error) {
				return w.c.UpdateCategoryByKeyWithBodyWithResponse(ctx, k, nil, "application/merge-patch+json", strings.NewReader(b))
			}, "cat:shirts", cat.ApplicationldJSON201.LdID, `{"name":"Shirts"}`},
		{"collection",
			func(k string) (apitest.Response, error) { return w.c.GetCollectionByKeyWithResponse(ctx, k, nil) },
			func(k string) (apitest.Response, error) { return w.c.DeleteCollectionByKeyWithResponse(ctx, k, nil) },
			func(k, b string) (apitest.Response, error) {
				return w.c.UpdateCollectionByKeyWithBodyWithResponse(ctx, k, nil, "application/merge-patch+json", strings.NewReader(b))
			}, "col.summer", col.ApplicationldJSON201.LdID, `{"title":"Summer"}`},
		{"attribute",
			func(k string) (apitest.Response, error) { return w.c.GetAttributeByKeyWithResponse(ctx, k, nil) },
			func(k string) (apitest.Response, error) { return w.c.DeleteAttributeByKeyWithResponse(ctx, k, nil) },
			func(k, b string) (apitest.Response, error) {
				return w.c.UpdateAttributeByKeyWithBodyWithResponse(ctx, k, nil, "application/merge-patch+json", strings.NewReader(b))
			}, "attr_material", attr.ApplicationldJSON201.LdID, `{"name":"Material"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read, err := tc.get(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, read, 200)
			if !strings.Contains(string(read.GetBody()), fmt.Sprintf(`"@id":%q`, tc.id)) || !strings.Contains(string(read.GetBody()), fmt.Sprintf(`"key":%q`, tc.key)) {
				t.Fatalf("by key: %s", read.GetBody())
			}
			changed, err := tc.patch(tc.key, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, changed, 200)
			renamed, err := tc.patch(tc.key, `{"key":"renamed-`+tc.name+`"}`)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, renamed, 200)
			missing, err := tc.get(tc.key)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, missing, 404, "")
			deleted, err := tc.del("renamed-" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, deleted, 204)
			again, err := tc.del("renamed-" + tc.name)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, again, 404, "")
		})
	}
}

// TestKeysAreValidatedAndUnique: a key outside the allowed characters or length is a 422 at
// "key"; a key another resource of the same kind has is a 409 naming it, on create and patch; the
// same key on resources of different kinds is fine.
func TestKeysAreValidatedAndUnique(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.create(t, w.c, pm.ProductCreate{Key: some("SKU-1")})
	other := w.create(t, w.c, pm.ProductCreate{Key: some("SKU-2")})
	for _, tc := range []struct{ name, create string }{
		{"slash", `{"key":"a/b"}`},
		{"space", `{"key":"a b"}`},
		{"empty", `{"key":""}`},
		{"too long", `{"key":"` + strings.Repeat("k", 257) + `"}`},
		{"not ASCII", `{"key":"café"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := w.c.CreateProductWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(tc.create))
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, "key")
		})
	}
	longest := w.create(t, w.c, pm.ProductCreate{Key: some(strings.Repeat("k", 256))})
	if len(longest.Key.MustGet()) != 256 {
		t.Fatalf("a 256-character key: %v", longest.Key)
	}
	taken, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Key: some("SKU-1")})
	if err != nil {
		t.Fatal(err)
	}
	expectConflict(t, taken, "key", `"SKU-1"`)
	patched, err := w.c.UpdateProductWithBodyWithResponse(ctx, other.Id, nil, "application/merge-patch+json", strings.NewReader(`{"key":"SKU-1"}`))
	if err != nil {
		t.Fatal(err)
	}
	expectConflict(t, patched, "key", `"SKU-1"`)
	for _, tc := range []struct {
		name string
		call func(key, n string) (apitest.Response, error) // n makes the handle or code unique
	}{
		{"category", func(k, n string) (apitest.Response, error) {
			return w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "c-" + n, Key: some(k)})
		}},
		{"collection", func(k, n string) (apitest.Response, error) {
			return w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "c-" + n, Key: some(k)})
		}},
		{"attribute", func(k, n string) (apitest.Response, error) {
			return w.c.CreateAttributeWithResponse(ctx, nil, pm.AttributeCreate{Code: "a_" + n, Type: pm.AttributeTypeText, Key: some(k)})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, err := tc.call("SKU-1", "first") // a product's key, on another kind
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, first, 201)
			// Another handle or code: the key alone clashes.
			second, err := tc.call("SKU-1", "second")
			if err != nil {
				t.Fatal(err)
			}
			expectConflict(t, second, "key", `"SKU-1"`)
		})
	}
}

// TestKeyIRIsAreReferences: wherever a request takes the IRI of a product, category, collection
// or attribute, its key IRI works, resolved in the caller's instance only; a key that names
// nothing is a 422 at that field, and another instance's key names nothing.
func TestKeyIRIsAreReferences(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	attr, err := w.c.CreateAttributeWithResponse(ctx, nil, pm.AttributeCreate{Code: "material", Type: pm.AttributeTypeText, Key: some("material")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, attr, 201)
	parent, err := w.c.CreateCategoryWithBodyWithResponse(ctx, nil, "application/json",
		strings.NewReader(`{"handle":"clothing","key":"clothing","attributes":["/rest/api/attributes/key=material"]}`))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, parent, 201)
	if a := parent.ApplicationldJSON201.Attributes; len(a) != 1 || a[0] != attr.ApplicationldJSON201.LdID {
		t.Fatalf("category attributes by key: %s", body(parent))
	}
	child, err := w.c.CreateCategoryWithBodyWithResponse(ctx, nil, "application/json",
		strings.NewReader(`{"handle":"shirts","key":"shirts","parent":"/rest/api/categories/key=clothing"}`))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, child, 201)
	if child.ApplicationldJSON201.Parent.MustGet() != parent.ApplicationldJSON201.LdID {
		t.Fatalf("parent by key: %s", body(child))
	}
	col, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "summer", Key: some("summer")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, col, 201)

	p := w.create(t, w.c, pm.ProductCreate{Key: some("SHIRT"), Title: some("Shirt"),
		Category:        some("/rest/api/categories/key=shirts"),
		Collections:     &[]pm.CollectionAssignment{{Collection: "/rest/api/collections/key=summer"}},
		AttributeValues: &[]pm.AttributeValue{{Attribute: "/rest/api/attributes/key=material", Value: "linen"}}})
	if cat, _ := p.Category.AsNullableIri(); cat != child.ApplicationldJSON201.LdID {
		t.Fatalf("category by key: %s", document(t, p))
	}
	if c, _ := (*p.Collections)[0].AsIri(); c != col.ApplicationldJSON201.LdID {
		t.Fatalf("collection by key: %s", document(t, p))
	}
	if v := *p.AttributeValues; len(v) != 1 || v[0].Attribute != attr.ApplicationldJSON201.LdID {
		t.Fatalf("attribute by key: %s", document(t, p))
	}
	patched, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json",
		strings.NewReader(`{"category":"/rest/api/categories/key=clothing"}`))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, patched, 200)
	list, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{Collection: ptr("/rest/api/collections/key=summer")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, list, 200)
	if *list.ApplicationldJSON200.TotalItems != 1 {
		t.Fatalf("filter by collection key: %s", body(list))
	}
	none, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{Collection: ptr("/rest/api/collections/key=winter")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, none, 200)
	if *none.ApplicationldJSON200.TotalItems != 0 {
		t.Fatalf("filter by a key that names nothing: %s", body(none))
	}
	mf, err := w.c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: "/rest/api/products/key=SHIRT", Namespace: "pim", Key: "origin",
		Type: pm.MetafieldTypeSingleLineTextField, Value: "Portugal"})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, mf, 201)
	if mf.ApplicationldJSON201.Owner != p.LdID {
		t.Fatalf("metafield owner by key: %s", body(mf))
	}

	// Another instance of the same owner has its own keys: ours name nothing there.
	w.owner.Instance(t, w.org, "acme-us")
	other := w.pm.Client(w.owner, "acme-us", w.org)
	for _, tc := range []struct {
		name string
		body string
		path string
	}{
		{"category", `{"category":"/rest/api/categories/key=shirts"}`, "category"},
		{"collection", `{"collections":[{"collection":"/rest/api/collections/key=summer"}]}`, "collections[0].collection"},
		{"attribute", `{"attributeValues":[{"attribute":"/rest/api/attributes/key=material","value":"x"}]}`, "attributeValues[0].attribute"},
	} {
		t.Run("unknown "+tc.name, func(t *testing.T) {
			for _, c := range []*pm.ClientWithResponses{w.c, other} {
				b := tc.body
				if c == w.c {
					b = strings.ReplaceAll(b, "key=", "key=nothing-")
				}
				resp, err := c.CreateProductWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				expectProblem(t, resp, 422, tc.path)
			}
		})
	}
	t.Run("by-key operations in another instance", func(t *testing.T) {
		for _, call := range []func() (apitest.Response, error){
			func() (apitest.Response, error) { return other.GetProductByKeyWithResponse(ctx, "SHIRT", nil) },
			func() (apitest.Response, error) { return other.GetCategoryByKeyWithResponse(ctx, "shirts", nil) },
			func() (apitest.Response, error) { return other.GetCollectionByKeyWithResponse(ctx, "summer", nil) },
			func() (apitest.Response, error) { return other.GetAttributeByKeyWithResponse(ctx, "material", nil) },
			func() (apitest.Response, error) { return other.DeleteProductByKeyWithResponse(ctx, "SHIRT", nil) },
		} {
			resp, err := call()
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 404, "")
		}
	})
	t.Run("references by key cost one lookup", func(t *testing.T) {
		for i := range 5 {
			if r, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: fmt.Sprint("c", i), Key: some(fmt.Sprint("c", i))}); err != nil || r.StatusCode() != 201 {
				t.Fatalf("collection: %v %s", err, body(r))
			}
		}
		create := func(n int) func() {
			return func() {
				cols := make([]pm.CollectionAssignment, n)
				for i := range cols {
					cols[i] = pm.CollectionAssignment{Collection: fmt.Sprintf("/rest/api/collections/key=c%d", i)}
				}
				resp, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Collections: &cols, Category: nullable.NewNullableWithValue("/rest/api/categories/key=shirts")})
				if err != nil || resp.StatusCode() != 201 {
					t.Fatalf("create: %v %s", err, body(resp))
				}
			}
		}
		one, _ := w.pm.Queries.Fewest(3, create(1))
		five, _ := w.pm.Queries.Fewest(3, create(5))
		if one != five {
			t.Fatalf("a create naming 1 collection by key: %d statements; 5: %d", one, five)
		}
	})
}

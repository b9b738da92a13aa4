package httpapi_test

import (
	"context"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func TestCollections(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	create := func(handle, title string) pm.Collection {
		t.Helper()
		resp, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: handle, Title: some(title)})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		return *resp.ApplicationldJSON201
	}
	summer := create("summer", "Summer")
	sale := create("sale", "Sale")
	t.Run("validation", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body string
			path string
		}{
			{"bad handle", `{"handle":"Summer Sale"}`, "handle"},
			{"no handle", `{"title":"x"}`, "handle"},
		} {
			resp, err := w.c.CreateCollectionWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, tc.path)
		}
		taken, err := w.c.CreateCollectionWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"handle":"summer"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectConflict(t, taken, "handle", `"summer"`)
	})
	p := w.create(t, w.c, pm.ProductCreate{Title: some("Hat"), Collections: &[]pm.CollectionAssignment{{Collection: sale.LdID}, {Collection: summer.LdID}}})
	w.create(t, w.c, pm.ProductCreate{Title: some("Scarf"), Collections: &[]pm.CollectionAssignment{{Collection: sale.LdID}}})
	t.Run("products keep the order given", func(t *testing.T) {
		got := *p.Collections
		a, _ := got[0].AsIri()
		b, _ := got[1].AsIri()
		if len(got) != 2 || a != sale.LdID || b != summer.LdID {
			t.Fatalf("collections = %v", got)
		}
	})
	t.Run("filter and expand", func(t *testing.T) {
		resp, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{Collection: &summer.LdID, Expand: ptr("collections")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if *resp.ApplicationldJSON200.TotalItems != 1 {
			t.Fatalf("summer has %d products", *resp.ApplicationldJSON200.TotalItems)
		}
		c, err := (*resp.ApplicationldJSON200.Member[0].Collections)[1].AsCollection()
		if err != nil || c.Handle != "summer" || c.Title.MustGet() != "Summer" {
			t.Fatalf("embedded = %+v %v", c, err)
		}
		// The Hydra search template advertises the filter.
		search := resp.ApplicationldJSON200.Search
		found := false
		for _, m := range search.Mapping {
			found = found || m.Variable == "collection" && m.Property.MustGet() == "collections"
		}
		if !found || !strings.Contains(search.Template, "collection") {
			t.Fatalf("search = %+v", search)
		}
	})
	t.Run("join later, in order", func(t *testing.T) {
		scarf := w.create(t, w.c, pm.ProductCreate{Title: some("Gloves")})
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, scarf.Id, nil, "application/merge-patch+json",
			strings.NewReader(`{"collections":[{"collection":"`+summer.LdID+`"},{"collection":"`+sale.LdID+`"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		got := *resp.ApplicationldJSON200.Collections
		first, _ := got[0].AsIri()
		if len(got) != 2 || first != summer.LdID {
			t.Fatalf("collections = %s", resp.Body)
		}
		resp, err = w.c.UpdateProductWithBodyWithResponse(ctx, scarf.Id, nil, "application/merge-patch+json", strings.NewReader(`{"collections":[{"collection":"/rest/api/collections/0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "collections[0].collection")
		resp, err = w.c.UpdateProductWithBodyWithResponse(ctx, scarf.Id, nil, "application/merge-patch+json", strings.NewReader(`{"collections":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if len(*resp.ApplicationldJSON200.Collections) != 0 {
			t.Fatalf("collections = %s", resp.Body)
		}
	})
	t.Run("unknown collection at creation", func(t *testing.T) {
		resp, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: some("x"),
			Collections: &[]pm.CollectionAssignment{{Collection: summer.LdID}, {Collection: "/rest/api/collections/0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"}}})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "collections[1].collection")
	})
	t.Run("rename, translate, delete", func(t *testing.T) {
		resp, err := w.c.UpdateCollectionWithBodyWithResponse(ctx, summer.Id, nil, "application/merge-patch+json", strings.NewReader(`{"title":"Summer 2027","description":null}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if resp.ApplicationldJSON200.Title.MustGet() != "Summer 2027" || resp.ApplicationldJSON200.Handle != "summer" {
			t.Fatalf("updated = %s", resp.Body)
		}
		del, err := w.c.DeleteCollectionWithResponse(ctx, summer.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		got, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, got, 200)
		if len(*got.ApplicationldJSON200.Collections) != 1 {
			t.Fatalf("the product should have left the deleted collection: %s", got.Body)
		}
	})
	t.Run("other tenants see nothing", func(t *testing.T) {
		other := w.id.Partner("Other")
		org := other.Org(t, "Other")
		other.Instance(t, org, "other-hats")
		c := w.pm.Client(other, "other-hats", org)
		g, err := c.GetCollectionWithResponse(ctx, sale.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, g, 404, "")
		d, err := c.DeleteCollectionWithResponse(ctx, sale.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, d, 404, "")
		l, err := c.ListCollectionsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if l.ApplicationldJSON200.TotalItems != 0 {
			t.Fatal("another tenant lists our collections")
		}
	})
}

package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestExpandCostsAFixedNumberOfQueries reads products of different sizes, with every expand token,
// and list pages of different lengths: the number of SQL statements depends on neither.
func TestExpandCostsAFixedNumberOfQueries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	ref := w.metaobject(t, "QRY")
	rich := func(sku string, n int) pm.Product { return w.richProduct(t, sku, n, ref) }
	small := rich("SMALL", 1)
	large := rich("LARGE", 6)
	expand := ptr("variants,options,optionValues,medias,category,collections,channels,metafields,metaobject")
	count := func(f func()) [2]int64 {
		n, trips := w.pm.Queries.Fewest(3, f)
		return [2]int64{n, trips}
	}
	read := func(id pm.Id) func() {
		return func() {
			resp, err := w.c.GetProductWithResponse(ctx, id, &pm.GetProductParams{Expand: expand})
			if err != nil || resp.StatusCode() != 200 {
				t.Fatalf("read: %v %s", err, body(resp))
			}
		}
	}
	one, six := count(read(small.Id)), count(read(large.Id))
	if one != six {
		t.Fatalf("item read: %d queries for 1 variant, %d for 6", one, six)
	}
	// The product's document, then the shared embeds in one round trip.
	if one[1] != 2 {
		t.Errorf("item read with every expand token: %d round trips, want 2", one[1])
	}
	// A storefront's read (variants, options, values, metafields) is its document: one statement.
	plain, _ := w.pm.Queries.Fewest(3, func() {
		resp, err := w.c.GetProductWithResponse(ctx, large.Id, &pm.GetProductParams{Expand: ptr("variants,options,optionValues,metafields")})
		if err != nil || resp.StatusCode() != 200 {
			t.Fatalf("read: %v %s", err, body(resp))
		}
	})
	if plain != 1 {
		t.Errorf("expanded item read: %d statements, want 1", plain)
	}
	t.Logf("expanded item read: %d statements in %d round trips", one[0], one[1])

	list := func(n int) func() {
		return func() {
			resp, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{ItemsPerPage: ptr(n), Expand: expand})
			if err != nil || resp.StatusCode() != 200 || len(resp.ApplicationldJSON200.Member) != n {
				t.Fatalf("list: %v %s", err, body(resp))
			}
		}
	}
	for i := range 10 {
		rich(fmt.Sprint("MORE", i), 6)
	}
	two, twelve := count(list(2)), count(list(12))
	if two != twelve {
		t.Fatalf("list: %d queries for 2 products, %d for 12", two, twelve)
	}
	t.Logf("expanded list page: %d statements in %d round trips", two[0], two[1])
}

package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestExpandCostsAFixedNumberOfQueries reads expanded products of different sizes, and list pages of
// different lengths: the number of SQL statements does not depend on either.
func TestExpandCostsAFixedNumberOfQueries(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	small := w.create(t, w.c, tshirt("SMALL", 1))
	large := w.create(t, w.c, tshirt("LARGE", 6))
	expand := ptr("variants,options,optionValues")
	count := func(f func()) int64 {
		f() // warm the access cache: count only what the read itself costs
		before := w.pm.Queries.Count()
		f()
		return w.pm.Queries.Count() - before
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
	t.Logf("expanded item read: %d statements", one)

	list := func(n int) func() {
		return func() {
			resp, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{ItemsPerPage: ptr(n), Expand: expand})
			if err != nil || resp.StatusCode() != 200 || len(resp.ApplicationldJSON200.Member) != n {
				t.Fatalf("list: %v %s", err, body(resp))
			}
		}
	}
	for i := range 10 {
		w.create(t, w.c, tshirt(fmt.Sprint("MORE", i), 6))
	}
	two, twelve := count(list(2)), count(list(12))
	if two != twelve {
		t.Fatalf("list: %d queries for 2 products, %d for 12", two, twelve)
	}
	t.Logf("expanded list page: %d statements", two)
}

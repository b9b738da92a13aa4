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
	w := newWorld(t)
	ctx := context.Background()
	ref := w.metaobject(t, "QRY")
	// rich creates a product using every part, with a metafield on it and on each variant, all
	// referencing a metaobject.
	rich := func(sku string, n int) pm.Product {
		p := w.create(t, w.c, fullProductN(w, t, sku, n))
		owners := []string{p.LdID}
		for _, v := range p.Variants {
			iri, _ := v.AsIri()
			owners = append(owners, iri)
		}
		for _, owner := range owners {
			resp, err := w.c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: owner, Namespace: "custom", Key: "ref", Type: pm.MetafieldTypeMetaobjectReference, Value: ref})
			if err != nil || resp.StatusCode() != 201 {
				t.Fatalf("metafield: %v %s", err, body(resp))
			}
		}
		return p
	}
	small := rich("SMALL", 1)
	large := rich("LARGE", 6)
	expand := ptr("variants,options,optionValues,medias,category,collections,channels,metafields,metaobject")
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
		rich(fmt.Sprint("MORE", i), 6)
	}
	two, twelve := count(list(2)), count(list(12))
	if two != twelve {
		t.Fatalf("list: %d queries for 2 products, %d for 12", two, twelve)
	}
	t.Logf("expanded list page: %d statements", two)
}

package httpapi_test

import (
	"context"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// With every cache of the read path off (internal/README.md's off switches), the service still
// answers: a create, reads, a patch and a list show each write, and a bad query is refused.
func TestEveryCacheOffStillAnswers(t *testing.T) {
	t.Parallel()
	w := newWorldWith(t, testenv.PMOptions{Env: map[string]string{"RENDERED_PRODUCTS": "0", "ITEM_READ_COALESCING": "off",
		"DECODED_DOCUMENTS": "0", "VALIDATION_VERDICTS": "0", "LOCALE_CACHE_TTL": "0", "TOKEN_CACHE": "off"}})
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("OFF", 2))
	for _, title := range []string{"First", "Second"} {
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(`{"title":"`+title+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		for range 2 {
			read, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, read, 200)
			if read.ApplicationldJSON200.Title.MustGet() != title {
				t.Fatalf("read %s after writing %s", read.Body, title)
			}
			list, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{})
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, list, 200)
			if got := list.ApplicationldJSON200.Member[0].Title.MustGet(); got != title {
				t.Fatalf("listed %s after writing %s", got, title)
			}
		}
	}
	bad, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{ItemsPerPage: ptr(0)})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, bad, 400, "query.itemsPerPage")
}

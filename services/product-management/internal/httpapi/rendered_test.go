package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// Kept renderings go out through encodedProduct and productPage: each writes what the generated
// response would write for the same value, byte for byte, with the same headers and a
// Content-Length that is the body's.
func TestKeptResponsesWriteWhatTheGeneratedOnesWould(t *testing.T) {
	t.Parallel()
	p, q := sampleProduct(6), sampleProduct(2)
	q.ID = uuid.New()
	r := render.Of(catalog.View{Products: []catalog.Product{p, q}, Expand: catalog.Expand{Variants: true, Options: true, OptionValues: true}})
	etag := `"3;en"`

	item := r.Product(p, true)
	want := httptest.NewRecorder()
	if err := (api.GetProduct200ApplicationLdPlusJSONResponse{Body: item, Headers: api.GetProduct200ResponseHeaders{ETag: &etag}}).VisitGetProductResponse(want); err != nil {
		t.Fatal(err)
	}
	body, err := encodeProduct(item)
	if err != nil {
		t.Fatal(err)
	}
	got := httptest.NewRecorder()
	if err := (encodedProduct{body: body, etag: etag}).VisitGetProductResponse(got); err != nil {
		t.Fatal(err)
	}
	same(t, "item", got, want)

	total := 2
	for _, members := range [][]catalog.Product{{p, q}, {}} {
		page := api.ListProducts200ApplicationLdPlusJSONResponse{LdContext: render.Context("Product"), LdID: iri.Products.Path(),
			LdType: hydraCollection, Search: productSearch(), TotalItems: &total, View: pageView(iri.Products.Path(), url.Values{}, 1, 30, total)}
		encoded := [][]byte{}
		page.Member = []api.Product{}
		for _, m := range members {
			page.Member = append(page.Member, r.Product(m, false))
			b, err := json.Marshal(r.Product(m, false))
			if err != nil {
				t.Fatal(err)
			}
			encoded = append(encoded, b)
		}
		want := httptest.NewRecorder()
		if err := page.VisitListProductsResponse(want); err != nil {
			t.Fatal(err)
		}
		page.Member = nil
		got := httptest.NewRecorder()
		if err := (productPage{page: page, members: encoded, writers: &sync.Pool{}}).VisitListProductsResponse(got); err != nil {
			t.Fatal(err)
		}
		same(t, "list of "+strconv.Itoa(len(members)), got, want)
	}
}

func same(t *testing.T, what string, got, want *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatalf("%s: wrote %d %s\nthe generated response writes %d %s", what, got.Code, got.Body, want.Code, want.Body)
	}
	for _, h := range []string{"Content-Type", "ETag"} {
		if got.Header().Get(h) != want.Header().Get(h) {
			t.Fatalf("%s: %s %q, the generated response's %q", what, h, got.Header().Get(h), want.Header().Get(h))
		}
	}
	if n := got.Header().Get("Content-Length"); n != strconv.Itoa(got.Body.Len()) {
		t.Fatalf("%s: Content-Length %s for a body of %d bytes", what, n, got.Body.Len())
	}
}

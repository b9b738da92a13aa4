package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// BenchmarkKeptReads serves the storefront's reads in process, from the replica's kept renderings
// (each asks the database only whether its documents moved): an expanded product, the same read
// priced, and a 50-item expanded page, to count the service's allocations and statements per
// request apart from the network.
//
//	go test -run '^$' -bench BenchmarkKeptReads -benchmem ./internal/httpapi/
func BenchmarkKeptReads(b *testing.B) {
	w := newWorld(b)
	web := w.channel(b, "web", "EUR")
	c := w.pm.WithoutValidation().Client(w.owner, w.handle, w.org)
	ids := seed(b, c, 50, web.LdID)
	expand := "variants,options,optionValues"
	for _, read := range []struct{ name, path string }{
		{"item", "/rest/api/products/" + ids[7].String() + "?expand=" + expand},
		{"item-priced", "/rest/api/products/" + ids[7].String() + "?expand=" + expand +
			"&resolveContext%5Bchannel%5D=" + url.QueryEscape(web.LdID) + "&resolveContext%5Bcountry%5D=DE"},
		{"list-50", "/rest/api/products?itemsPerPage=50&expand=" + expand},
	} {
		b.Run(read.name, func(b *testing.B) {
			get := func() int {
				r := httptest.NewRequestWithContext(context.Background(), http.MethodGet, read.path, nil)
				r.Host = w.handle + "." + testenv.BaseDomain
				r.Header.Set("Authorization", "Bearer "+w.owner.Token)
				r.Header.Set("X-Flowkiwi-Organization-Id", w.org.String())
				out := &discard{header: http.Header{}}
				w.pm.App.Handler.ServeHTTP(out, r)
				return out.code
			}
			if code := get(); code != http.StatusOK { // and the copies are kept
				b.Fatalf("%s: %d", read.name, code)
			}
			statements, _ := w.pm.Queries.Fewest(3, func() { get() })
			b.ReportAllocs()
			for b.Loop() {
				if code := get(); code != http.StatusOK {
					b.Fatal(fmt.Sprint(code))
				}
			}
			b.ReportMetric(float64(statements), "statements/op")
		})
	}
}

// discard is a ResponseWriter that keeps only the status: a recorder's growing body would be
// counted as the service's allocations.
type discard struct {
	header http.Header
	code   int
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) WriteHeader(code int)        { d.code = code }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }

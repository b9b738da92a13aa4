package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// TestBadInputNeverFails500 sends malformed bodies, headers, ids and query values: each gets a
// 4xx problem document, never a 5xx.
func TestBadInputNeverFails500(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.create(t, w.c, tshirt("BAD", 1))
	prod := "/rest/api/products/" + p.Id.String()
	huge := append(append([]byte(`{"title":"`), bytes.Repeat([]byte("a"), 2<<20)...), '"', '}')
	for _, tc := range []struct {
		name, method, path, contentType string
		body                            []byte
		headers                         map[string]string
		status                          int
	}{
		{"body over 1 MiB", "POST", "/rest/api/products", "application/json", huge, nil, 413},
		{"malformed JSON", "POST", "/rest/api/products", "application/json", []byte(`{"title":`), nil, 400},
		{"trailing data", "POST", "/rest/api/products", "application/ld+json", []byte(`{} {}`), nil, 400},
		{"invalid UTF-8", "POST", "/rest/api/products", "application/json", []byte("{\"title\":\"\xff\"}"), nil, 400},
		{"NUL in text", "POST", "/rest/api/products", "application/json", []byte(`{"title":"a\u0000b"}`), nil, 400},
		{"array body", "POST", "/rest/api/products", "application/json", []byte(`[]`), nil, 422},
		{"options not a list", "POST", "/rest/api/products", "application/json", []byte(`{"options":{"name":"x"}}`), nil, 422},
		{"variant without sku", "POST", "/rest/api/products", "application/json", []byte(`{"variants":[{}]}`), nil, 422},
		{"optionValues of the wrong shape", "POST", "/rest/api/products", "application/json", []byte(`{"variants":[{"sku":"x","optionValues":[7]}]}`), nil, 422},
		{"xml", "POST", "/rest/api/products", "application/xml", []byte(`<product/>`), nil, 415},
		{"merge patch as JSON", "PATCH", prod, "application/json", []byte(`{}`), nil, 415},
		{"patch null status", "PATCH", prod, "application/merge-patch+json", []byte(`{"status":null}`), nil, 422},
		{"patch a read-only field", "PATCH", prod, "application/merge-patch+json", []byte(`{"id":"x"}`), nil, 422},
		{"id not a UUID", "GET", "/rest/api/products/42", "", nil, nil, 400},
		{"unknown product", "GET", "/rest/api/products/0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21", "", nil, nil, 404},
		{"unknown status code", "GET", "/rest/api/statuses/deleted", "", nil, nil, 404},
		{"page 0", "GET", "/rest/api/products?page=0", "", nil, nil, 400},
		{"itemsPerPage 1000", "GET", "/rest/api/products?itemsPerPage=1000", "", nil, nil, 400},
		{"bad date", "GET", "/rest/api/products?createdAt%5Bafter%5D=yesterday", "", nil, nil, 400},
		{"bad order", "GET", "/rest/api/products?order%5Btitle%5D=sideways", "", nil, nil, 400},
		{"two orders", "GET", "/rest/api/products?order%5Btitle%5D=asc&order%5BcreatedAt%5D=desc", "", nil, nil, 400},
		{"forged cursor", "GET", "/rest/api/products?cursor=Zm9vLmJhcg", "", nil, nil, 400},
		{"cursor with title order", "GET", "/rest/api/products?cursor=first&order%5Btitle%5D=asc", "", nil, nil, 400},
		{"unknown status filter", "GET", "/rest/api/products?status=gone", "", nil, nil, 400},
		{"NUL in a filter", "GET", "/rest/api/products?vendor=%00", "", nil, nil, 400},
		{"SQL in a filter", "GET", "/rest/api/products?title=%27%3B%20drop%20table%20products%3B--", "", nil, nil, 200},
		{"locale fallback not a boolean", "GET", prod, "", nil, map[string]string{"X-Flowkiwi-Locale-Fallback": "maybe"}, 400},
		{"variant media of the wrong shape", "POST", "/rest/api/products", "application/json", []byte(`{"variants":[{"sku":"x","medias":[{"media":5}]}]}`), nil, 422},
		{"variant media naming nothing", "POST", "/rest/api/products", "application/json", []byte(`{"variants":[{"sku":"x","medias":[{}]}]}`), nil, 422},
		{"patch medias not IRIs", "PATCH", prod, "application/merge-patch+json", []byte(`{"medias":[{"media":"../../etc/passwd"}]}`), nil, 422},
		{"option without values", "POST", prod + "/options", "application/json", []byte(`{"name":"Color","values":[]}`), nil, 422},
		{"empty option value", "POST", "/rest/api/product_options/" + p.Id.String() + "/values", "application/json", []byte(`{"value":""}`), nil, 422},
		{"If-Match garbage", "PATCH", prod, "application/merge-patch+json", []byte(`{}`), map[string]string{"If-Match": `"'; drop table products;--"`}, 412},
		{"If-Match too long", "DELETE", prod, "", nil, map[string]string{"If-Match": strings.Repeat("9", 200)}, 400},
		{"If-Match overflowing", "DELETE", prod, "", nil, map[string]string{"If-Match": `"99999999999999999999999"`}, 412},
		{"unknown route", "GET", "/rest/api/nothing", "", nil, nil, 404},
		{"wrong method", "PUT", prod, "application/json", []byte(`{}`), nil, 405},
		{"unknown query parameter", "GET", "/rest/api/products?colour=red", "", nil, nil, 400},
		{"a misspelt resolve context", "GET", "/rest/api/products?resolveContex[channel]=x", "", nil, nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, w.pm.URL+tc.path, bytes.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = w.handle + "." + testenv.BaseDomain
			req.Header.Set("Authorization", "Bearer "+w.owner.Token)
			req.Header.Set("X-Flowkiwi-Organization-Id", w.org.String())
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			if tc.status == http.StatusMethodNotAllowed && !strings.Contains(resp.Header.Get("Allow"), "PATCH") {
				t.Fatalf("405 without the resource's methods in Allow: %q", resp.Header.Get("Allow"))
			}
			if tc.status >= 400 && (resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(b), `"@type"`)) {
				t.Fatalf("not a JSON-LD problem: %s %s", resp.Header.Get("Content-Type"), b)
			}
		})
	}
}

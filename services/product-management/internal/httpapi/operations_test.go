package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/pkg/apitest"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
)

// TestOperationsEndpoints: probes answer on any host without a token; readiness follows identity's
// JWKS being loadable; /openapi.yaml is a self-contained valid document.
func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	get := func(path string) (int, []byte) {
		resp, err := http.Get(w.pm.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if s, b := get(path); s != 200 {
			t.Fatalf("%s = %d %s", path, s, b)
		}
	}
	s, raw := get("/openapi.yaml")
	if s != 200 {
		t.Fatalf("/openapi.yaml = %d", s)
	}
	if !bytes.Equal(raw, api.Published) {
		t.Fatal("/openapi.yaml is not the bundle make generate embeds")
	}
	apitest.ExpectPublishedContract(t, raw, "../../../../openapi/product-management.yaml")
	if s, b := get("/"); s != 200 || !strings.Contains(string(b), `"openapi":"/openapi.yaml"`) {
		t.Fatalf("GET / = %d %s", s, b)
	}
	// Traffic first, then the metrics must describe it by route template.
	p := w.create(t, w.c, tshirt("MET", 1))
	for range 3 {
		if _, err := w.c.GetProductWithResponse(context.Background(), p.Id, nil); err != nil {
			t.Fatal(err)
		}
	}
	s, m := get("/metrics")
	if s != 200 {
		t.Fatalf("/metrics = %d", s)
	}
	for _, want := range []string{
		`http_requests_total{method="GET",route="/rest/api/products/:id",service="product-management",status="200"} 3`,
		`token_verifications_total{result="cached",service="product-management"}`,
		`access_cache_hits_total`, `identity_access_check_duration_seconds_bucket{outcome="grant"`,
		`db_pool_total_connections`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestDocsPageRenders opens /docs in headless Chromium: the page renders the catalog operations.
func TestDocsPageRenders(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	dom := apitest.RenderedDOM(t, w.pm.URL+"/docs")
	for _, want := range []string{"Flowkiwi Product Management API", "opblock", "/rest/api/products/{id}"} {
		if !strings.Contains(dom, want) {
			t.Fatalf("rendered page lacks %q", want)
		}
	}
}

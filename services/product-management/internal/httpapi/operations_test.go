package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flowkiwi/platform/pkg/apitest"
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
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("published spec does not load on its own: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("published spec is invalid: %v", err)
	}
	if doc.Paths.Value("/rest/api/products/{id}") == nil {
		t.Fatal("published spec lacks operations")
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

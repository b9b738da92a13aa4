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

// TestOperationsEndpoints: probes answer without a token, and /openapi.yaml is a self-contained,
// valid document with every operation of the API.
func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s = %d", path, resp.StatusCode)
		}
	}
	resp, err := http.Get(e.url + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	loader := openapi3.NewLoader() // external references are not allowed: the document must stand alone
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatalf("published spec does not load on its own: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("published spec is invalid: %v", err)
	}
	if doc.Paths.Value("/organizations/{organizationId}/instances/{instanceId}/transfer") == nil || doc.Components.Schemas["common_Problem"] == nil {
		t.Fatalf("published spec lacks operations or shared components: %v", doc.Components.Schemas)
	}
}

// TestDocsPageRenders opens /docs in headless Chromium: the reference page renders the operations
// from /openapi.yaml with the assets embedded in the binary.
func TestDocsPageRenders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dom := apitest.RenderedDOM(t, e.url+"/docs")
	for _, want := range []string{"Flowkiwi Identity API", "opblock", "/organizations/{organizationId}/instances", "Issue an access token"} {
		if !strings.Contains(dom, want) {
			t.Fatalf("rendered page lacks %q", want)
		}
	}
}

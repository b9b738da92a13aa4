package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/pkg/apitest"
	"github.com/flowkiwi/platform/services/identity/internal/api"
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
	if !bytes.Equal(raw, api.Published) {
		t.Fatal("/openapi.yaml is not the bundle make generate embeds")
	}
	apitest.ExpectPublishedContract(t, raw, "../../../../openapi/identity.yaml")
	if !strings.Contains(string(raw), "operationId: getOrganization\n") {
		t.Fatal("operationIds are not as written in openapi/identity.yaml")
	}
	root, err := http.Get(e.url + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer root.Body.Close()
	var index struct{ Links map[string]string }
	if err := json.NewDecoder(root.Body).Decode(&index); err != nil || root.StatusCode != 200 {
		t.Fatalf("GET / = %d: %v", root.StatusCode, err)
	}
	for _, want := range []string{"docs", "openapi", "health", "metadata"} {
		if index.Links[want] == "" {
			t.Errorf("GET / does not link %s: %v", want, index.Links)
		}
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

package httpapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// TestTypeScriptClient proves the contracts outside Go: TypeScript types generated from the specs
// with openapi-typescript, a scenario using openapi-fetch type-checked by tsc, then run with node
// against both services (token, organization, instance, product with variants, expanded read).
func TestTypeScriptClient(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("npm"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is required in CI")
		}
		t.Skip("npm not installed")
	}
	dir, err := filepath.Abs("../../../../tools/ts-client")
	if err != nil {
		t.Fatal(err)
	}
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(nil, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	run(nil, "npm", "run", "-s", "generate")
	run(nil, "npx", "tsc") // type-checks the scenario against the generated types, then compiles it

	w := newWorld(t)
	p := w.id.Partner("TypeScript")
	out := run([]string{
		"IDENTITY_URL=" + w.id.URL, "PRODUCT_MANAGEMENT_URL=" + w.pm.URL, "TENANT_BASE_DOMAIN=" + testenv.BaseDomain,
		"HANDLE=ts-shop", "CLIENT_ID=" + p.ClientID, "CLIENT_SECRET=" + p.ClientSecret,
	}, "node", "dist/scenario.js")
	if !strings.Contains(out, "passed, 0 failed") {
		t.Fatalf("scenario: %s", out)
	}
	t.Log(strings.TrimSpace(out))
}

package main_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// `identity partner create` prints its JSON and nothing else, on either stream: scripts parse it.
func TestPartnerCreatePrintsOnlyJSON(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "identity")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "partner", "create", "--name", "Quiet Ltd")
	// No IDENTITY_KEY_ENCRYPTION_KEYS: serve warns about it, the CLI must not.
	cmd.Env = append(os.Environ(), "DATABASE_URL="+testdb.NewURL(t, identitydb.Migrations()), "IDENTITY_KEY_ENCRYPTION_KEYS=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("partner create: %v\n%s", err, stderr.String())
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr is not empty: %q", stderr.String())
	}
	var creds map[string]any
	dec := json.NewDecoder(&stdout)
	if err := dec.Decode(&creds); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	for _, k := range []string{"partner_id", "client_id", "client_secret"} {
		if s, _ := creds[k].(string); s == "" {
			t.Errorf("no %s in %v", k, creds)
		}
	}
	if dec.More() {
		t.Error("stdout holds more than the one JSON document")
	}
}

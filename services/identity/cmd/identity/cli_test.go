package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// `identity partner create` prints its JSON and nothing else, on either stream: scripts parse it.
func TestPartnerCreatePrintsOnlyJSON(t *testing.T) {
	t.Parallel()
	bin := buildOnce(t)
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

var (
	build    sync.Once
	buildBin string
	buildErr error
)

func buildOnce(t *testing.T) string {
	t.Helper()
	build.Do(func() {
		dir, err := os.MkdirTemp("", "identity-cli-")
		if err != nil {
			buildErr = err
			return
		}
		buildBin = filepath.Join(dir, "identity")
		if out, err := exec.Command("go", "build", "-o", buildBin, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// cli runs the identity CLI against dbURL and decodes its JSON output into out.
func cli(t *testing.T, dbURL string, out any, args ...string) {
	t.Helper()
	cmd := exec.Command(buildOnce(t), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("identity %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("identity %s printed %q: %v", strings.Join(args, " "), stdout.String(), err)
	}
}

// cliFails runs the CLI and returns its error output, failing the test if it succeeds.
func cliFails(t *testing.T, dbURL string, args ...string) string {
	t.Helper()
	cmd := exec.Command(buildOnce(t), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("identity %s succeeded: %s", strings.Join(args, " "), out)
	}
	return string(out)
}

// Operators manage partners' credentials with the same binary: list, add a client, rotate, revoke,
// disable and enable, each printing JSON.
func TestOperatorCommands(t *testing.T) {
	t.Parallel()
	db := testdb.NewURL(t, identitydb.Migrations())
	var p struct {
		PartnerID    string `json:"partner_id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	cli(t, db, &p, "partner", "create", "--name", "Operated Ltd")

	var second struct {
		PartnerID    string `json:"partner_id"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	cli(t, db, &second, "partner", "client", "create", "--partner", p.PartnerID, "--name", "Backup")
	if second.PartnerID != p.PartnerID || second.ClientID == "" || second.ClientSecret == "" || second.ClientID == p.ClientID {
		t.Fatalf("client create printed %+v", second)
	}

	type listed struct {
		ID            string  `json:"id"`
		Name          string  `json:"name"`
		DisabledAt    *string `json:"disabled_at"`
		ActiveClients int     `json:"active_clients"`
	}
	var list []listed
	cli(t, db, &list, "partner", "list")
	if len(list) != 1 || list[0].ID != p.PartnerID || list[0].ActiveClients != 2 || list[0].DisabledAt != nil {
		t.Fatalf("partner list printed %+v", list)
	}

	var rotated struct {
		ClientID     string  `json:"client_id"`
		ClientSecret string  `json:"client_secret"`
		Until        *string `json:"previous_secret_expires_at"`
	}
	cli(t, db, &rotated, "partner", "client", "rotate", "--client", second.ClientID, "--overlap", "1h")
	if rotated.ClientID != second.ClientID || rotated.ClientSecret == "" || rotated.ClientSecret == second.ClientSecret || rotated.Until == nil {
		t.Fatalf("client rotate printed %+v", rotated)
	}
	if msg := cliFails(t, db, "partner", "client", "rotate", "--client", second.ClientID, "--overlap", "169h"); !strings.Contains(msg, "604800") {
		t.Errorf("an overlap over 7 days: %s", msg)
	}

	var revoked map[string]any
	cli(t, db, &revoked, "partner", "client", "revoke", "--client", second.ClientID)
	if revoked["revoked"] != true {
		t.Fatalf("client revoke printed %v", revoked)
	}
	if msg := cliFails(t, db, "partner", "client", "revoke", "--client", p.ClientID); !strings.Contains(msg, "last active API client") {
		t.Errorf("revoking the last client: %s", msg)
	}

	var disabled listed
	cli(t, db, &disabled, "partner", "disable", "--id", p.PartnerID, "--reason", "fraud")
	if disabled.DisabledAt == nil {
		t.Fatalf("disable printed %+v", disabled)
	}
	// A disabled partner's last client may go.
	cli(t, db, &revoked, "partner", "client", "revoke", "--client", p.ClientID)
	var enabled listed
	cli(t, db, &enabled, "partner", "enable", "--id", p.PartnerID)
	if enabled.DisabledAt != nil || enabled.ActiveClients != 0 {
		t.Fatalf("enable printed %+v", enabled)
	}
}

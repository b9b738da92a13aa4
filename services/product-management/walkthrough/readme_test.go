// Package walkthrough_test runs README.md as a new user does: `make run`'s script starts both
// services, and the README's own shell blocks (read from the file, not copied) run against them in
// bash, twice, with `make reset` between, as the README says to start over.
package walkthrough_test

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flowkiwi/platform/pkg/pgcluster"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// The walkthrough: from its heading to the next top-level section.
const (
	walkthroughStart = "## Walkthrough (identity)"
	walkthroughEnd   = "## Configuration"
)

// fence matches a shell block: ```sh or ```bash, up to its closing fence.
var fence = regexp.MustCompile("(?ms)^```(?:sh|bash)\n(.*?)^```$")

func TestReadmeWalkthroughPassesTwiceInARow(t *testing.T) {
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := walkthroughBlocks(t, string(readme))

	bin := t.TempDir() // what `make build` writes to bin/, built by the tests' own cache
	for name, pkg := range map[string]string{
		"identity":           "github.com/flowkiwi/platform/services/identity/cmd/identity",
		"product-management": "github.com/flowkiwi/platform/services/product-management/cmd/product-management",
	} {
		if err := os.Symlink(testenv.Binary(t, pkg, false), filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	server := serverOf(t, testdb.ServerURL(t))
	run := runEnv{
		root: root, bin: bin, server: server,
		prefix:       fmt.Sprintf("readme_%d", time.Now().UnixNano()),
		identityPort: freePort(t), pmPort: freePort(t),
	}
	t.Cleanup(func() { run.reset(t) })

	for pass := 1; pass <= 2; pass++ {
		t.Run(fmt.Sprint("pass ", pass), func(t *testing.T) {
			creds := run.start(t)
			script := "set -euo pipefail\nset -x\n" + run.localize(strings.Join(blocks, "\n"))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-c", script)
			cmd.Dir = t.TempDir() // the walkthrough writes catalog.ndjson where it runs
			if err := os.Symlink(bin, filepath.Join(cmd.Dir, "bin")); err != nil {
				t.Fatal(err)
			}
			cmd.Env = append(os.Environ(), creds...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the README's walkthrough failed: %v\n%s", err, tail(string(out), 60))
			}
			for _, want := range []string{`"handle":"acme-shop"`, `"title":"Organic cotton T-shirt"`, `"resolvedPrice"`} {
				if !strings.Contains(string(out), want) {
					t.Errorf("the walkthrough's output lacks %s:\n%s", want, tail(string(out), 40))
				}
			}
		})
		if t.Failed() {
			return
		}
		run.reset(t)
	}
}

// walkthroughBlocks returns the README's shell blocks between walkthroughStart and walkthroughEnd.
func walkthroughBlocks(t *testing.T, readme string) []string {
	t.Helper()
	start, end := strings.Index(readme, walkthroughStart), strings.Index(readme, walkthroughEnd)
	if start < 0 || end < start {
		t.Fatalf("README.md has no %q section before %q", walkthroughStart, walkthroughEnd)
	}
	var blocks []string
	for _, m := range fence.FindAllStringSubmatch(readme[start:end], -1) {
		blocks = append(blocks, m[1])
	}
	if len(blocks) < 8 {
		t.Fatalf("found %d shell blocks in the walkthrough; the README has more", len(blocks))
	}
	return blocks
}

// runEnv is one `make run` of the test: its ports, databases and binaries moved out of the way of
// a developer's own.
type runEnv struct {
	root, bin, server, prefix string
	identityPort, pmPort      int
}

func (r *runEnv) environ() []string {
	return append(os.Environ(),
		"DATABASE_SERVER_URL="+r.server, "BIN="+r.bin, "RUN_DATABASE_PREFIX="+r.prefix,
		fmt.Sprint("IDENTITY_PORT=", r.identityPort), fmt.Sprint("PM_PORT=", r.pmPort))
}

// start runs tools/run.sh (what `make run` runs after building), waits for its export lines and
// returns them as environment entries; the services stop when the test does.
func (r *runEnv) start(t *testing.T) []string {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(r.root, "tools/run.sh"))
	cmd.Env = r.environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // run.sh's trap stops both services
		_ = cmd.Wait()
	})
	lines := make(chan string)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	var creds, printed []string
	deadline := time.After(90 * time.Second)
	for len(creds) < 2 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("make run ended before printing its export lines:\n%s", strings.Join(printed, "\n"))
			}
			printed = append(printed, line)
			if v, ok := strings.CutPrefix(line, "export "); ok {
				creds = append(creds, v)
			}
		case <-deadline:
			t.Fatalf("make run printed no export lines within 90 s:\n%s", strings.Join(printed, "\n"))
		}
	}
	go func() {
		for range lines { // drain, so that run.sh never blocks on its output
		}
	}()
	for _, c := range creds {
		if !strings.HasPrefix(c, "CLIENT_ID=") && !strings.HasPrefix(c, "CLIENT_SECRET=") {
			t.Fatalf("make run printed export %s; the README uses CLIENT_ID and CLIENT_SECRET", c)
		}
	}
	return creds
}

// localize points the README's commands at this run's ports, database and binaries.
func (r *runEnv) localize(script string) string {
	return strings.NewReplacer(
		"127.0.0.1:8080", fmt.Sprint("127.0.0.1:", r.identityPort),
		"localhost:8081", fmt.Sprint("localhost:", r.pmPort),
		"127.0.0.1:5432/flowkiwi_identity?sslmode=disable", strings.TrimPrefix(r.server, "postgres://postgres@")+"/"+r.prefix+"_identity?sslmode=disable",
	).Replace(script)
}

// reset runs `make reset`'s script for this run's databases.
func (r *runEnv) reset(t *testing.T) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(r.root, "tools/run.sh"), "reset")
	cmd.Env = r.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("make reset: %v\n%s", err, out)
	}
}

// serverOf turns a database URL into the server URL run.sh takes (no database, no options).
func serverOf(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path, u.RawQuery = "", ""
	return u.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.work")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.work above the test's directory")
		}
		dir = parent
	}
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

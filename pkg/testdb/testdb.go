// Package testdb gives tests a fresh, migrated PostgreSQL database. The server is found the way
// `make run` finds one, in this order: TEST_DATABASE_URL when set; the local PostgreSQL at
// 127.0.0.1:5432 when it answers; a private cluster started from the machine's PostgreSQL binaries
// (package pgcluster, in .data/testdb-pg of the checkout, port 55433, left running for the next run);
// a testcontainers-go container when a Docker engine answers. When none works the test fails, never
// skips: a green run that tested nothing is worse than a red one.
//
// Migrations run once into a template database named by their hash; each test then gets a cheap
// copy, so test packages run in parallel without sharing rows.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/flowkiwi/platform/pkg/migrate"
	"github.com/flowkiwi/platform/pkg/pgcluster"
	"github.com/flowkiwi/platform/pkg/pgpool"
)

// LocalURL is the local PostgreSQL tried when TEST_DATABASE_URL is not set.
const LocalURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// PrivatePort is the port of the private test cluster (make run's own private cluster uses 55432).
const PrivatePort = 55433

// Sources are the ways to a server, tried in order; the zero value of a field disables that way.
type Sources struct {
	EnvURL   string             // TEST_DATABASE_URL
	LocalURL string             // the local server
	Private  *pgcluster.Options // a private cluster from the machine's binaries
	// DockerHost is the Docker engine testcontainers-go would use (DOCKER_HOST or the default
	// socket); it is only asked when something answers there.
	DockerHost string
}

// DefaultSources are the four ways, configured from the environment.
func DefaultSources() Sources {
	return Sources{
		EnvURL:     os.Getenv("TEST_DATABASE_URL"),
		LocalURL:   LocalURL,
		Private:    &pgcluster.Options{Dir: privateDir(), Port: PrivatePort, Fast: true},
		DockerHost: dockerHost(),
	}
}

func dockerHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return h
	}
	return "unix:///var/run/docker.sock"
}

// privateDir is .data/testdb-pg in the checkout (found from go.work), else in the user's cache.
func privateDir() string {
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
				return filepath.Join(d, ".data", "testdb-pg")
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if c, err := os.UserCacheDir(); err == nil {
		return filepath.Join(c, "flowkiwi", "testdb-pg")
	}
	return filepath.Join(os.TempDir(), "flowkiwi-testdb-pg")
}

// Find returns the URL of the first server the sources lead to, or one error naming every way
// tried and why it did not work.
func Find(ctx context.Context, src Sources) (string, error) {
	var why []string
	if src.EnvURL != "" {
		// An explicit choice is never second-guessed: if it does not answer, that is the failure.
		if pgcluster.Answers(ctx, src.EnvURL) {
			return src.EnvURL, nil
		}
		return "", fmt.Errorf("testdb: TEST_DATABASE_URL=%s does not answer", redact(src.EnvURL))
	}
	why = append(why, "1. TEST_DATABASE_URL: not set")
	if src.LocalURL != "" {
		if pgcluster.Answers(ctx, src.LocalURL) {
			return src.LocalURL, nil
		}
		why = append(why, "2. local PostgreSQL: nothing answers at "+redact(src.LocalURL))
	} else {
		why = append(why, "2. local PostgreSQL: not tried")
	}
	if src.Private != nil {
		c, err := pgcluster.New(*src.Private)
		if err == nil {
			err = c.Start(ctx)
		}
		if err == nil {
			return c.URL(), nil
		}
		why = append(why, "3. private cluster from the machine's PostgreSQL binaries: "+err.Error())
	} else {
		why = append(why, "3. private cluster: not tried")
	}
	if src.DockerHost != "" {
		u, err := startContainer(ctx, src.DockerHost)
		if err == nil {
			return u, nil
		}
		why = append(why, "4. testcontainers-go: "+err.Error())
	} else {
		why = append(why, "4. testcontainers-go: not tried")
	}
	return "", errors.New("testdb: no PostgreSQL for the tests; tried, in order:\n  " + strings.Join(why, "\n  ") +
		"\nInstall PostgreSQL's server binaries (Debian: postgresql), start a server at 127.0.0.1:5432, or set TEST_DATABASE_URL.")
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
)

// ServerURL returns the URL of a PostgreSQL server tests may create databases on; the test fails
// when there is none.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		serverURL, serverErr = Find(ctx, DefaultSources())
	})
	return mustServer(tb, serverURL, serverErr)
}

func mustServer(tb testing.TB, url string, err error) string {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	return url
}

// dockerAnswers reports whether a Docker engine accepts connections at host, so that
// testcontainers is only asked when it can work.
func dockerAnswers(host string) bool {
	u, err := url.Parse(host)
	if err != nil {
		return false
	}
	network, addr := "tcp", u.Host
	if u.Scheme == "unix" {
		network, addr = "unix", u.Path
	}
	c, err := net.DialTimeout(network, addr, 2*time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func startContainer(ctx context.Context, host string) (url string, err error) {
	if !dockerAnswers(host) {
		return "", fmt.Errorf("no Docker engine answers at %s", host)
	}
	defer func() {
		// testcontainers may panic when no Docker provider can be built.
		if r := recover(); r != nil {
			err = fmt.Errorf("testcontainers: %v", r)
		}
	}()
	c, err := tcpostgres.Run(ctx, "postgres:17-alpine",
		tcpostgres.WithDatabase("postgres"), tcpostgres.WithUsername("postgres"), tcpostgres.WithPassword("postgres"),
		tcpostgres.BasicWaitStrategies())
	if err != nil {
		return "", err
	}
	_ = testcontainers.Container(c) // removed by the testcontainers reaper when the test process exits
	return c.ConnectionString(ctx, "sslmode=disable")
}

// New returns a pool on a fresh database holding the migrations in fsys. The database is dropped
// when the test ends.
func New(tb testing.TB, migrations fs.FS) *pgxpool.Pool {
	tb.Helper()
	return NewOn(tb, ServerURL(tb), migrations)
}

// NewOn returns a pool on a fresh database holding the migrations in fsys, on the server at base.
func NewOn(tb testing.TB, base string, migrations fs.FS) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgpool.New(context.Background(), NewURLOn(tb, base, migrations), pgpool.Options{})
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// PrivateCluster starts a PostgreSQL cluster of the test's own from the machine's binaries (in a
// temporary directory, on a free port), for tests that stop the database under a running service.
// It is stopped when the test ends.
func PrivateCluster(tb testing.TB) *pgcluster.Cluster {
	tb.Helper()
	dir, err := os.MkdirTemp("", "flowkiwi-pg-")
	if err != nil {
		tb.Fatal(err)
	}
	port, err := pgcluster.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	c, err := pgcluster.New(pgcluster.Options{Dir: dir, Port: port, Fast: true})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = c.Kill(context.Background())
		_ = os.RemoveAll(dir)
	})
	return c
}

// NewURL creates a fresh migrated database and returns its URL (for starting a real service).
func NewURL(tb testing.TB, migrations fs.FS) string {
	tb.Helper()
	return NewURLOn(tb, ServerURL(tb), migrations)
}

// NewURLOn creates a fresh migrated database on the server at base (a private cluster a test
// controls, for example) and returns its URL.
func NewURLOn(tb testing.TB, base string, migrations fs.FS) string {
	tb.Helper()
	ctx := context.Background()
	tmpl, err := template(ctx, base, migrations)
	if err != nil {
		tb.Fatalf("testdb: template: %v", err)
	}
	name := "test_" + randomHex(8)
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("testdb: connect: %v", err)
	}
	defer admin.Close(ctx)
	if err := retry(func() error {
		_, err := admin.Exec(ctx, fmt.Sprintf("create database %s template %s", name, tmpl))
		return err
	}); err != nil {
		tb.Fatalf("testdb: create database: %v", err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf("drop database if exists %s with (force)", name))
	})
	return withDatabase(base, name)
}

// template returns the name of a database holding the migrations, creating it once per set of
// migration files (across test processes, guarded by an advisory lock).
func template(ctx context.Context, base string, migrations fs.FS) (string, error) {
	sum, err := hashFS(migrations)
	if err != nil {
		return "", err
	}
	name := "tmpl_" + sum[:16]
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "select pg_advisory_lock(4242)"); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, "select pg_advisory_unlock(4242)") //nolint:errcheck
	var ready bool
	if err := admin.QueryRow(ctx, "select exists(select 1 from pg_database where datname = $1 and datistemplate)", name).Scan(&ready); err != nil {
		return "", err
	}
	if ready {
		return name, nil
	}
	_, _ = admin.Exec(ctx, fmt.Sprintf("drop database if exists %s with (force)", name))
	if _, err := admin.Exec(ctx, "create database "+name); err != nil {
		return "", err
	}
	pool, err := pgpool.New(ctx, withDatabase(base, name), pgpool.Options{})
	if err != nil {
		return "", err
	}
	err = migrate.Up(ctx, pool, migrations, "schema_version")
	pool.Close()
	if err != nil {
		return "", err
	}
	// Marking it a template only after migrating means a crashed run leaves no half-built template.
	if _, err := admin.Exec(ctx, fmt.Sprintf("alter database %s is_template true", name)); err != nil {
		return "", err
	}
	return name, nil
}

func hashFS(fsys fs.FS) (string, error) {
	var names []string
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// withDatabase replaces the database name in a postgres:// URL.
func withDatabase(url, name string) string {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return url
	}
	rest := ""
	if i := strings.Index(url, "?"); i >= 0 {
		rest = url[i:]
	}
	prefix := url
	if i := strings.Index(prefix, "?"); i >= 0 {
		prefix = prefix[:i]
	}
	if cfg.Database != "" && strings.HasSuffix(prefix, "/"+cfg.Database) {
		prefix = strings.TrimSuffix(prefix, "/"+cfg.Database)
	} else {
		prefix = strings.TrimSuffix(prefix, "/")
	}
	return prefix + "/" + name + rest
}

func retry(f func() error) error {
	var err error
	for i := 0; i < 20; i++ {
		if err = f(); err == nil || !strings.Contains(err.Error(), "being accessed by other users") {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

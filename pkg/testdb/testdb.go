// Package testdb gives tests a fresh, migrated PostgreSQL database: on TEST_DATABASE_URL when set,
// otherwise in a testcontainers-go container. Migrations run once into a template database named by
// their hash; each test then gets a cheap copy, so test packages run in parallel without sharing rows.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
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
	"github.com/flowkiwi/platform/pkg/pgpool"
)

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
)

// ServerURL returns the URL of a PostgreSQL server tests may create databases on.
func ServerURL(tb testing.TB) string {
	tb.Helper()
	serverOnce.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			serverURL = u
			return
		}
		serverURL, serverErr = startContainer()
	})
	if serverErr != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("testdb: no database: set TEST_DATABASE_URL or provide Docker: %v", serverErr)
		}
		tb.Skipf("testdb: no database (set TEST_DATABASE_URL or provide Docker): %v", serverErr)
	}
	return serverURL
}

func startContainer() (url string, err error) {
	defer func() {
		// testcontainers may panic when no Docker provider can be built.
		if r := recover(); r != nil {
			err = fmt.Errorf("testcontainers: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
	url := NewURL(tb, migrations)
	pool, err := pgpool.New(context.Background(), url)
	if err != nil {
		tb.Fatalf("testdb: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// NewURL creates a fresh migrated database and returns its URL (for starting a real service).
func NewURL(tb testing.TB, migrations fs.FS) string {
	tb.Helper()
	ctx := context.Background()
	base := ServerURL(tb)
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
	pool, err := pgpool.New(ctx, withDatabase(base, name))
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

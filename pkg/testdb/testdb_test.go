package testdb

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flowkiwi/platform/pkg/pgcluster"
)

// closedURL points at a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
}

// recorder is a testing.TB that records how a helper ended the test.
type recorder struct {
	testing.TB
	fatal, skipped bool
	msg            string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatal(args ...any) {
	r.fatal, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) { r.Fatal(fmt.Sprintf(format, args...)) }
func (r *recorder) Skip(args ...any) {
	r.skipped, r.msg = true, fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) { r.Skip(fmt.Sprintf(format, args...)) }
func (r *recorder) SkipNow()                         { r.Skip() }

func TestNoWayFailsNamingAllFour(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src := Sources{
		LocalURL:   closedURL(t),
		Private:    &pgcluster.Options{Dir: t.TempDir(), Port: 1, BinDirs: []string{t.TempDir()}, OnlyBinDirs: true},
		DockerHost: "unix://" + filepath.Join(t.TempDir(), "no-docker.sock"),
	}
	_, err := Find(ctx, src)
	if err == nil {
		t.Fatal("Find found a server although no way can work")
	}
	for _, want := range []string{"TEST_DATABASE_URL", "local PostgreSQL", "private cluster", "testcontainers-go", "initdb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q:\n%v", want, err)
		}
	}

	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		mustServer(rec, "", err)
	}()
	<-done
	if !rec.fatal || rec.skipped {
		t.Fatalf("with no database the test must fail, not skip: fatal=%v skipped=%v", rec.fatal, rec.skipped)
	}
	if !strings.Contains(rec.msg, "testcontainers-go") {
		t.Errorf("the failure does not explain itself: %s", rec.msg)
	}
}

func TestUnreachableTestDatabaseURLFails(t *testing.T) {
	t.Parallel()
	u := closedURL(t)
	_, err := Find(context.Background(), Sources{EnvURL: u, LocalURL: LocalURL})
	if err == nil || !strings.Contains(err.Error(), "TEST_DATABASE_URL") {
		t.Fatalf("an explicit TEST_DATABASE_URL that does not answer must fail, got %v", err)
	}
}

func TestPrivateClusterWhenNothingElseAnswers(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	opts := pgcluster.Options{Dir: t.TempDir(), Port: port, Fast: true}
	u, err := Find(ctx, Sources{LocalURL: closedURL(t), Private: &opts})
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgcluster.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.Background()) })
	if u != c.URL() {
		t.Fatalf("Find returned %s, want the private cluster %s", u, c.URL())
	}
	if !pgcluster.Answers(ctx, u) {
		t.Fatal("the private cluster does not answer")
	}
	// A later run reuses the running cluster instead of starting another.
	again, err := Find(ctx, Sources{LocalURL: closedURL(t), Private: &opts})
	if err != nil || again != u {
		t.Fatalf("second Find: %s, %v", again, err)
	}
}

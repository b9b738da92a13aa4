package pgcluster

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A standby made from the machine's binaries streams the primary's writes (a slot keeps them for
// it), a delayed one applies them only after its delay, and a promoted standby accepts writes.
func TestStandbysStreamLagAndPromote(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	cluster := func(name string) Options {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		return Options{Dir: filepath.Join(dir, name), Port: port, Fast: true}
	}
	primary, err := New(cluster("primary"))
	if err != nil {
		t.Fatal(err)
	}
	if err := primary.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Kill(context.Background()) })
	standby, err := primary.Standby(ctx, cluster("standby"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = standby.Kill(context.Background()) })
	delayed, err := primary.Standby(ctx, cluster("delayed"), "recovery_min_apply_delay = '2s'")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = delayed.Kill(context.Background()) })

	connect := func(c *Cluster) *pgx.Conn {
		t.Helper()
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}
	p, s, d := connect(primary), connect(standby), connect(delayed)
	var lsn string
	if _, err := p.Exec(ctx, `create table t (n int)`); err != nil {
		t.Fatal(err)
	}
	written := time.Now() // before the commit, whose time the delay counts from
	if _, err := p.Exec(ctx, `insert into t values (1)`); err != nil {
		t.Fatal(err)
	}
	if err := p.QueryRow(ctx, `select pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	replayed := func(conn *pgx.Conn) bool {
		var ok bool
		if err := conn.QueryRow(ctx, `select pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	waitFor := func(conn *pgx.Conn, within time.Duration) time.Duration {
		t.Helper()
		for !replayed(conn) {
			if time.Since(written) > within {
				t.Fatalf("not replayed %s after the write", within)
			}
			time.Sleep(20 * time.Millisecond)
		}
		return time.Since(written)
	}
	streamed := waitFor(s, 5*time.Second)
	if replayed(d) && time.Since(written) < 1500*time.Millisecond {
		t.Fatal("the delayed standby applied the write before its delay")
	}
	lagged := waitFor(d, 10*time.Second)
	if lagged < 2*time.Second {
		t.Fatalf("the delayed standby applied the write after %s, before its 2 s delay", lagged)
	}
	var n int
	if err := s.QueryRow(ctx, `select count(*) from t`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the standby reads %d rows (%v), want 1", n, err)
	}
	t.Logf("replayed after %s on the standby, %s on the delayed one", streamed, lagged)

	if err := standby.Promote(ctx); err != nil {
		t.Fatal(err)
	}
	promoted := connect(standby)
	if _, err := promoted.Exec(ctx, `insert into t values (2)`); err != nil {
		t.Fatalf("the promoted standby refuses a write: %v", err)
	}
}

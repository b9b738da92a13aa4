package pgcluster

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// ForTest starts a primary and one streaming standby per entry of standbys (each entry that
// standby's settings: nil for a plain one, {"recovery_min_apply_delay = '2s'"} for a late one), in
// t's temporary directory on free ports, all killed when the test ends. setup, when not nil, runs
// on the started primary before the standbys are made from it: what it creates (a database, a
// schema) the standbys hold too.
func ForTest(t testing.TB, setup func(ctx context.Context, primary *Cluster) error, standbys ...[]string) (primary *Cluster, replicas []*Cluster) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	opts := func(name string) Options {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		return Options{Dir: filepath.Join(dir, name), Port: port, Fast: true}
	}
	primary, err := New(opts("primary"))
	if err != nil {
		t.Fatal(err)
	}
	if err := primary.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Kill(context.Background()) })
	if setup != nil {
		if err := setup(ctx, primary); err != nil {
			t.Fatal(err)
		}
	}
	for i, settings := range standbys {
		s, err := primary.Standby(ctx, opts(fmt.Sprint("standby", i)), settings...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Kill(context.Background()) })
		replicas = append(replicas, s)
	}
	return primary, replicas
}

package readreplicas

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/pgcluster"
)

func TestParseLSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want LSN
		ok   bool
	}{{"0/0", 0, true}, {"16/B374D848", 0x16B374D848, true}, {"FFFFFFFF/FFFFFFFF", ^LSN(0), true}, {"16", 0, false}, {"x/1", 0, false}} {
		got, err := ParseLSN(tc.in)
		if (err == nil) != tc.ok || got != tc.want || (tc.ok && got.String() != tc.in) {
			t.Errorf("ParseLSN(%q) = %v (%s), %v", tc.in, got, got, err)
		}
	}
}

// cluster is a primary with a standby and a standby delayed by 2 s, on ports of their own.
func cluster(t *testing.T) (primary, standby, delayed *pgcluster.Cluster) {
	t.Helper()
	primary, standbys := pgcluster.ForTest(t, nil, nil, []string{"recovery_min_apply_delay = '2s'"})
	return primary, standbys[0], standbys[1]
}

func pool(t *testing.T, c *pgcluster.Cluster) *pgxpool.Pool {
	t.Helper()
	p, err := pgxpool.New(context.Background(), c.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// 1,000 writes, each read back at once with its token, never read stale, though a standby lags
// 2 s; most reads go to the standby that keeps up. The lagging one leaves the rotation under
// writes and returns once they stop; a standby stopped mid-load fails no read (it goes to the
// primary and leaves the rotation).
func TestReadsWithATokenSeeTheirWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary, standby, delayed := cluster(t)
	p, s, d := pool(t, primary), pool(t, standby), pool(t, delayed)
	if _, err := p.Exec(ctx, `create table w (n int primary key)`); err != nil {
		t.Fatal(err)
	}
	r := New(p, []*pgxpool.Pool{s, d}, Options{MaxLag: time.Second})
	running, stop := context.WithCancel(ctx)
	defer stop()
	go r.Run(running)
	inRota := func(i int) bool { return r.standbys[i].inRota.Load() }
	for deadline := time.Now().Add(10 * time.Second); !inRota(0); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the standby never joined the rotation")
		}
	}

	stale, fromStandby := 0, 0
	delayedLeft := false
	for n := range 1000 {
		if _, err := p.Exec(ctx, `insert into w values ($1)`, n); err != nil {
			t.Fatal(err)
		}
		token, err := r.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = r.Read(ctx, token, func(pool *pgxpool.Pool) error {
			var seen bool
			if err := pool.QueryRow(ctx, `select exists (select 1 from w where n = $1)`, n).Scan(&seen); err != nil {
				return err
			}
			if !seen {
				stale++
			}
			if pool == d {
				t.Errorf("write %d read on the delayed standby", n)
			}
			if pool != p {
				fromStandby++
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read %d: %v", n, err)
		}
		if n > 200 && !inRota(1) {
			delayedLeft = true
		}
	}
	if stale != 0 {
		t.Fatalf("%d of 1,000 reads did not see their write", stale)
	}
	if !delayedLeft {
		t.Error("the standby 2 s behind never left the rotation under writes")
	}
	if fromStandby < 900 {
		t.Errorf("%d of 1,000 reads went to a standby, want at least 900", fromStandby)
	}
	t.Logf("1,000 write-then-read pairs: 0 stale, %d read on the standby", fromStandby)

	for deadline := time.Now().Add(10 * time.Second); !inRota(1); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the delayed standby did not return to the rotation once writes stopped")
		}
	}

	// A standby stopped mid-load: every read still answers.
	stopped := make(chan error, 1)
	go func() {
		time.Sleep(50 * time.Millisecond)
		stopped <- standby.Stop(ctx)
	}()
	failed := 0
	for n := range 300 {
		err := r.Read(ctx, 0, func(pool *pgxpool.Pool) error {
			var one int
			return pool.QueryRow(ctx, `select 1 from w where n = $1`, n).Scan(&one)
		})
		if err != nil {
			failed++
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if failed != 0 {
		t.Fatalf("%d of 300 reads failed while a standby stopped", failed)
	}
	if inRota(0) {
		t.Fatal("the stopped standby is still in the rotation")
	}
}

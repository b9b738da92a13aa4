package keys_test

import (
	"context"
	"sync"
	"testing"
	"time"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/identity/internal/keys"
	"github.com/flowkiwi/platform/services/identity/internal/postgres"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func kids(t *testing.T, r *keys.Ring) []string {
	t.Helper()
	pub, err := r.Published(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range pub {
		out = append(out, k.Kid)
	}
	return out
}

// TestRotation walks a key through its life: published before it signs, signing, retired but
// still published while its tokens live, then unpublished.
func TestRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.New(testdb.New(t, identitydb.Migrations()))
	clk := &clock{t: time.Now().UTC()}
	policy := keys.Policy{RotateEvery: 24 * time.Hour, PublishLead: time.Hour, TokenTTL: 15 * time.Minute, CacheFor: time.Nanosecond}
	r := keys.NewRing(store, policy, clk.now)

	if err := r.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	first, err := r.Signing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := kids(t, r); len(got) != 1 || got[0] != first.Kid {
		t.Fatalf("published = %v, want only %s", got, first.Kid)
	}

	// Within the rotation period and before the lead time: nothing happens.
	clk.add(22 * time.Hour)
	if err := r.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kids(t, r); len(got) != 1 {
		t.Fatalf("rotated too early: %v", got)
	}

	// Inside the lead time: the successor is published but does not sign yet.
	clk.add(90 * time.Minute)
	if err := r.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	published := kids(t, r)
	if len(published) != 2 {
		t.Fatalf("successor not published: %v", published)
	}
	if s, _ := r.Signing(ctx); s.Kid != first.Kid {
		t.Fatalf("successor signs before its activation")
	}
	// A second replica rotating at the same moment adds nothing.
	if err := keys.NewRing(store, policy, clk.now).Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kids(t, r); len(got) != 2 {
		t.Fatalf("a second rotation added a key: %v", got)
	}

	// After activation the successor signs; the old key stays published for its tokens.
	clk.add(time.Hour)
	second, err := r.Signing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.Kid == first.Kid {
		t.Fatal("the successor did not take over")
	}
	if got := kids(t, r); len(got) != 2 {
		t.Fatalf("old key unpublished too early: %v", got)
	}
	if _, err := r.PublicKey(ctx, first.Kid); err != nil {
		t.Fatalf("tokens of the old key no longer verify: %v", err)
	}

	// Once every token of the old key has expired, it is no longer published.
	clk.add(policy.TokenTTL + 10*time.Minute)
	if got := kids(t, r); len(got) != 1 || got[0] != second.Kid {
		t.Fatalf("published = %v, want only %s", got, second.Kid)
	}
	if _, err := r.PublicKey(ctx, first.Kid); err == nil {
		t.Fatal("an expired key still verifies")
	}
}

// TestConcurrentBootstrap starts several replicas on an empty key table at once: one key results.
func TestConcurrentBootstrap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.New(testdb.New(t, identitydb.Migrations()))
	policy := keys.Policy{RotateEvery: 24 * time.Hour, PublishLead: time.Hour, TokenTTL: 15 * time.Minute}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if err := keys.NewRing(store, policy, nil).Rotate(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	stored, err := store.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 {
		t.Fatalf("%d keys after concurrent bootstrap, want 1", len(stored))
	}
}

package access

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/fault"
)

// A caller that joins another's call to a slow identity waits only as long as its own context
// allows, then is told to retry (503): its request's deadline bounds it, not the shared call's.
func TestAJoinedCheckEndsWithItsCallersContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer slow.Close()
	defer close(release)
	client, err := identity.NewClientWithResponses(slow.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker(client, Options{Timeout: 5 * time.Second})
	p := accesstoken.Principal{PartnerID: uuid.New(), ClientID: "c", Token: "t"}
	org := uuid.New()
	go func() { _, _ = c.Check(context.Background(), p, "shop", org) }() // starts the shared call
	time.Sleep(50 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.Check(ctx, p, "shop", org)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("the joined check took %v, its context allowed 100ms", took)
	}
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Kind != fault.KindUnavailable || fe.RetryAfter == 0 {
		t.Fatalf("the joined check answered %v, want unavailable with Retry-After", err)
	}
}

// Forget drops the answers a narrowing names and no other (a member of one organization, a
// client, a partner, an organization), and an answer being asked for while it runs is not kept:
// it may predate the revocation.
func TestForgetDropsWhatANarrowingNames(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	release := make(chan struct{}, 2)
	identityAPI := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path == "/access/instances/slow" {
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"instance_id":"` + uuid.NewString() + `","handle":"shop","organization_id":"` + uuid.NewString() +
			`","ownership_version":1,"permissions":["identity:products.read"],"role":"viewer"}`))
	}))
	defer identityAPI.Close()
	client, err := identity.NewClientWithResponses(identityAPI.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := NewChecker(client, Options{})
	ctx := context.Background()
	a := accesstoken.Principal{PartnerID: uuid.New(), ClientID: "a", Token: "t"}
	b := accesstoken.Principal{PartnerID: uuid.New(), ClientID: "b", Token: "t"}
	orgA, orgB := uuid.New(), uuid.New()
	check := func(p accesstoken.Principal, org uuid.UUID) {
		t.Helper()
		if _, err := c.Check(ctx, p, "shop", org); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		forget Narrowed
		asked  int // how many of the four answers are asked for again
	}{
		{"a member of one organization", Narrowed{Partner: a.PartnerID, Organization: orgA}, 1},
		{"a partner", Narrowed{Partner: a.PartnerID}, 2},
		{"a client", Narrowed{Client: "b"}, 2},
		{"an organization", Narrowed{Organization: orgB}, 2},
		{"nothing", Narrowed{}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range []accesstoken.Principal{a, b} {
				for _, org := range []uuid.UUID{orgA, orgB} {
					check(p, org)
				}
			}
			c.Forget(tc.forget)
			before := calls.Load()
			for _, p := range []accesstoken.Principal{a, b} {
				for _, org := range []uuid.UUID{orgA, orgB} {
					check(p, org)
				}
			}
			if got := calls.Load() - before; got != int64(tc.asked) {
				t.Fatalf("%d answers asked again, want %d", got, tc.asked)
			}
		})
	}
	inFlight := func(p accesstoken.Principal, during func()) {
		t.Helper()
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = c.Check(ctx, p, "slow", orgA)
		}()
		time.Sleep(100 * time.Millisecond) // the call is at identity
		during()
		release <- struct{}{}
		<-done
	}
	t.Run("an answer in flight is not kept", func(t *testing.T) {
		inFlight(a, func() { c.Forget(Narrowed{Partner: a.PartnerID}) })
		before := calls.Load()
		go func() { release <- struct{}{} }()
		if _, err := c.Check(ctx, a, "slow", orgA); err != nil {
			t.Fatal(err)
		}
		if calls.Load() == before {
			t.Fatal("the answer asked for before the Forget was kept")
		}
	})
	t.Run("a request after a Forget does not join a call made before it", func(t *testing.T) {
		inFlight(b, func() {
			c.Forget(Narrowed{Partner: b.PartnerID})
			began := calls.Load()
			joined := make(chan struct{})
			go func() {
				defer close(joined)
				_, _ = c.Check(ctx, b, "slow", orgA)
			}()
			time.Sleep(100 * time.Millisecond)
			if calls.Load() != began+1 {
				t.Errorf("the request after the Forget made %d calls of its own, want 1", calls.Load()-began)
			}
			release <- struct{}{}
			<-joined
		})
	})
}

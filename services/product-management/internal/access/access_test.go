package access

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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

package httpapi_test

import (
	"context"
	"testing"
	"time"

	"github.com/flowkiwi/platform/pkg/clients/identity"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// A stolen token stops working in product-management within the access cache bound (5 s) once
// its client is revoked or its partner disabled: identity's access check, which
// product-management asks with the caller's own token, refuses such tokens.
func TestRevokedCredentialsLoseAccess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.create(t, w.c, pm.ProductCreate{Title: some("Guarded")})
	status := func(c *pm.ClientWithResponses) int {
		resp, err := c.ListProductsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode()
	}
	// lost waits until c is refused; meanwhile keeps (when not nil) must keep working: its fresh
	// grants must not keep c's token alive.
	lost := func(t *testing.T, c, keeps *pm.ClientWithResponses, what string) {
		t.Helper()
		start := time.Now()
		for s := status(c); s != 401 && s != 404; s = status(c) {
			if s != 200 {
				t.Fatalf("status %d while access is being revoked", s)
			}
			if keeps != nil {
				if s := status(keeps); s != 200 {
					t.Fatalf("the partner's other client lost access: %d", s)
				}
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("the token still works 5 s after %s", what)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("access lost %v after %s", time.Since(start).Round(time.Millisecond), what)
	}

	t.Run("revoked client", func(t *testing.T) {
		created, err := w.owner.Identity.CreateApiClientWithResponse(ctx, nil, identity.ApiClientCreate{Name: "to be stolen"})
		if err != nil || created.JSON201 == nil {
			t.Fatalf("create client: %v %s", err, body(created))
		}
		stolen := *w.owner
		stolen.Token = w.id.Token(created.JSON201.ClientId, created.JSON201.ClientSecret)
		c := w.pm.Client(&stolen, w.handle, w.org)
		if s := status(c); s != 200 {
			t.Fatalf("before revocation: %d", s)
		}
		rev, err := w.owner.Identity.RevokeApiClientWithResponse(ctx, created.JSON201.ClientId)
		if err != nil || rev.StatusCode() != 204 {
			t.Fatalf("revoke: %v %s", err, body(rev))
		}
		lost(t, c, w.c, "the revocation")
		if s := status(w.c); s != 200 {
			t.Fatalf("the partner's other client lost access too: %d", s)
		}
	})
	t.Run("disabled partner", func(t *testing.T) {
		var out map[string]any
		w.id.CLI(&out, "partner", "disable", "--id", w.owner.ID.String(), "--reason", "test")
		lost(t, w.c, nil, "disabling the partner")
	})
}

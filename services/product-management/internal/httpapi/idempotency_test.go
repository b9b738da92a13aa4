package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func withKey(key string) pm.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Idempotency-Key", key)
		return nil
	}
}

func (w *world) productCount(t *testing.T) int {
	t.Helper()
	resp, err := w.c.ListProductsWithResponse(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
	return *resp.ApplicationldJSON200.TotalItems
}

// A create whose answer is lost and which is sent again with its key answers the first outcome,
// marked as replayed, and makes nothing more.
func TestIdempotentRetryAfterALostResponse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	first, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("IDEM", 2), withKey("retry-1"))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, first, 201)
	retry, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("IDEM", 2), withKey("retry-1"))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, retry, 201)
	if retry.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" || first.HTTPResponse.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("Idempotent-Replayed: first %q, retry %q", first.HTTPResponse.Header.Get("Idempotent-Replayed"), retry.HTTPResponse.Header.Get("Idempotent-Replayed"))
	}
	if string(retry.Body) != string(first.Body) || retry.HTTPResponse.Header.Get("Location") != first.HTTPResponse.Header.Get("Location") ||
		retry.HTTPResponse.Header.Get("ETag") != first.HTTPResponse.Header.Get("ETag") {
		t.Fatalf("the retry answered another outcome:\n%s\n%s", first.Body, retry.Body)
	}
	if n := w.productCount(t); n != 1 {
		t.Fatalf("%d products after a create and its retry, want 1", n)
	}
	// Without a key, the same request is a new one.
	again, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("IDEM2", 1))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, again, 201)
}

// Eight concurrent first attempts with one key make one product: the one that claims the key runs,
// the others are told to retry (409 with Retry-After) or, if it finished, answered its outcome.
func TestIdempotentConcurrentAttempts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	bodies := make([]string, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("RACE", 6), withKey("race-1"))
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode()
			if resp.StatusCode() == 201 {
				bodies[i] = string(resp.Body)
			} else if s, err := strconv.Atoi(resp.HTTPResponse.Header.Get("Retry-After")); resp.StatusCode() != 409 || err != nil || s < 1 {
				t.Errorf("attempt %d: %d with Retry-After %q", i, resp.StatusCode(), resp.HTTPResponse.Header.Get("Retry-After"))
			}
		}()
	}
	wg.Wait()
	created := ""
	for i, b := range bodies {
		if b == "" {
			continue
		}
		if created != "" && b != created {
			t.Fatalf("attempt %d answered another product", i)
		}
		created = b
	}
	if created == "" {
		t.Fatalf("no attempt created the product: %v", statuses)
	}
	if n := w.productCount(t); n != 1 {
		t.Fatalf("%d products from 8 attempts with one key (%v), want 1", n, statuses)
	}
}

// The same key with another request is refused, naming the header; a malformed key is a 400; a
// refused request's outcome is kept like any other.
func TestIdempotencyKeyMisuse(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	ok, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("ONE", 1), withKey("reuse-1"))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, ok, 201)
	other, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("TWO", 1), withKey("reuse-1"))
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, other, 422, "header.Idempotency-Key")

	bad, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("BAD", 1), withKey(strings.Repeat("k", 256)))
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, bad, 400, "header.Idempotency-Key")

	invalid := pm.ProductCreate{Status: ptr("deleted")}
	r1, err := w.c.CreateProductWithResponse(ctx, nil, invalid, withKey("invalid-1"))
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, r1, 422, "status")
	r2, err := w.c.CreateProductWithResponse(ctx, nil, invalid, withKey("invalid-1"))
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, r2, 422, "status")
	if r2.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a refused request's outcome was not kept")
	}
	// Keys are per instance and partner: another partner's identical key is its own.
	if n := w.productCount(t); n != 1 {
		t.Fatalf("%d products, want 1", n)
	}
}

// Keys are scoped to the partner and the instance: another tenant, or the same partner on another
// instance, sending the same key with the same body runs its own request.
func TestIdempotencyKeysAreScopedToPartnerAndInstance(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	first, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("SCOPE", 1), withKey("shared-key"))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, first, 201)
	other := w.id.Partner("Other")
	org := other.Org(t, "Other")
	other.Instance(t, org, "other-scope")
	w.owner.Instance(t, w.org, "second-scope")
	for name, c := range map[string]*pm.ClientWithResponses{
		"another partner":  w.pm.Client(other, "other-scope", org),
		"another instance": w.pm.Client(w.owner, "second-scope", w.org),
	} {
		resp, err := c.CreateProductWithResponse(ctx, nil, tshirt("SCOPE", 1), withKey("shared-key"))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		if resp.HTTPResponse.Header.Get("Idempotent-Replayed") != "" || resp.ApplicationldJSON201.Id == first.ApplicationldJSON201.Id {
			t.Errorf("%s got the first tenant's outcome replayed", name)
		}
	}
	if n := w.productCount(t); n != 1 {
		t.Errorf("%d products in the first instance, want 1", n)
	}
}

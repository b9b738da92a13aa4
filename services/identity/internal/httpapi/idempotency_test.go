package httpapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

func idempotent(key string) identity.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Idempotency-Key", key)
		return nil
	}
}

// Retrying an organization create with its key answers the first outcome and creates one
// organization, also when eight attempts race; the key with another body is refused.
func TestIdempotentOrganizationCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Careful Ltd")
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := p.CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: "Careful"}, idempotent("org-1"))
			if err != nil {
				t.Error(err)
				return
			}
			switch resp.StatusCode() {
			case 201:
				mu.Lock()
				ids[resp.JSON201.Id.String()] = true
				mu.Unlock()
			case 409:
				if resp.HTTPResponse.Header.Get("Retry-After") == "" {
					t.Error("409 without Retry-After")
				}
			default:
				t.Errorf("status %d: %s", resp.StatusCode(), resp.Body)
			}
		}()
	}
	wg.Wait()
	retry, err := p.CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: "Careful"}, idempotent("org-1"))
	noErr(t, err)
	expectStatus(t, retry, 201)
	ids[retry.JSON201.Id.String()] = true
	if len(ids) != 1 || retry.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("organizations answered: %v (replayed %q)", ids, retry.HTTPResponse.Header.Get("Idempotent-Replayed"))
	}
	list, err := p.ListOrganizationsWithResponse(ctx, &identity.ListOrganizationsParams{})
	noErr(t, err)
	if list.JSON200.Paging.TotalCount != 1 {
		t.Fatalf("%d organizations, want 1", list.JSON200.Paging.TotalCount)
	}
	other, err := p.CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: "Other"}, idempotent("org-1"))
	noErr(t, err)
	expectProblem(t, other, 422, "header.Idempotency-Key")
	// Another partner's same key is its own.
	q := e.partner("Other Ltd")
	theirs, err := q.CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: "Careful"}, idempotent("org-1"))
	noErr(t, err)
	expectStatus(t, theirs, 201)
	if theirs.HTTPResponse.Header.Get("Idempotent-Replayed") != "" || ids[theirs.JSON201.Id.String()] {
		t.Fatal("another partner got this partner's outcome")
	}
}

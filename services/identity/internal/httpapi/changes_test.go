package httpapi_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/services/identity/internal/changestream"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
)

// The change stream lists every organization's instance and member changes and the credential
// changes other services act on, numbered in commit order; a partner's token is refused, a
// waiting read is answered as soon as a change commits, and an empty wait ends at its bound.
func TestChangeStream(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	service := e.partner("service: product-management", changestream.Scope)
	owner, member := e.partner("Owner"), e.partner("Member")

	partnerRead, err := owner.ListServiceChangesWithResponse(ctx, &identity.ListServiceChangesParams{})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, partnerRead, http.StatusForbidden, "")
	if p := partnerRead.ApplicationproblemJSONDefault; p == nil || p.MissingPermissions == nil || len(*p.MissingPermissions) != 1 || (*p.MissingPermissions)[0] != changestream.Scope {
		t.Fatalf("a partner's read: %s, want 403 missing %s", body(partnerRead), changestream.Scope)
	}

	read := func(after int64, wait int) identity.ServiceChangeList {
		t.Helper()
		resp, err := service.ListServiceChangesWithResponse(ctx, &identity.ListServiceChangesParams{After: &after, Wait: &wait})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, http.StatusOK)
		return *resp.JSON200
	}
	start := read(0, 0).Head

	org := owner.org(t, "Acme")
	inst := owner.instance(t, org, "acme-stream")
	owner.addMember(t, org, member.id, identity.Editor)
	if resp, err := owner.DeleteMemberWithResponse(ctx, org, member.id); err != nil || resp.StatusCode() != http.StatusNoContent {
		t.Fatalf("remove member: %v %s", err, body(resp))
	}
	if resp, err := owner.DeleteInstanceWithResponse(ctx, org, inst.Id, nil); err != nil || resp.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete instance: %v %s", err, body(resp))
	}
	extra, err := e.app.Partners.AddClient(ctx, member.id, "second", partner.Operator)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Partners.Revoke(ctx, member.id, extra.ClientID, partner.Operator); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Partners.Disable(ctx, member.id, "test"); err != nil {
		t.Fatal(err)
	}

	page := read(start, 0)
	var got []string
	for i, c := range page.Items {
		if c.Position != start+int64(i)+1 {
			t.Fatalf("positions %d at %d: not 1, 2, 3, ... after %d", c.Position, i, start)
		}
		got = append(got, c.Type)
	}
	want := []string{"instance.created", "member.added", "member.removed", "instance.deleted", "client.revoked", "partner.disabled"}
	if len(got) != len(want) {
		t.Fatalf("types %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("types %v, want %v", got, want)
		}
	}
	deleted, revoked := page.Items[3], page.Items[4]
	if deleted.SubjectId != inst.Id || deleted.OrganizationId.MustGet() != org {
		t.Fatalf("instance.deleted names %v of %v, want %v of %v", deleted.SubjectId, deleted.OrganizationId, inst.Id, org)
	}
	if revoked.SubjectId != member.id || revoked.ClientId.MustGet() != extra.ClientID {
		t.Fatalf("client.revoked names %v %v", revoked.SubjectId, revoked.ClientId)
	}
	if page.Head != page.Items[len(page.Items)-1].Position {
		t.Fatalf("head %d, last position %d", page.Head, page.Items[len(page.Items)-1].Position)
	}

	// A waiting read is answered when a change commits, well before its wait ends.
	var wg sync.WaitGroup
	var waited time.Duration
	var woken identity.ServiceChangeList
	wg.Add(1)
	go func() {
		defer wg.Done()
		began := time.Now()
		woken = read(page.Head, 30)
		waited = time.Since(began)
	}()
	time.Sleep(300 * time.Millisecond)
	committed := time.Now()
	owner.instance(t, org, "acme-later")
	wg.Wait()
	if len(woken.Items) == 0 || time.Since(committed) > time.Second {
		t.Fatalf("a waiting read got %d changes %s after the commit (waited %s)", len(woken.Items), time.Since(committed), waited)
	}
	t.Logf("a waiting read answered %s after the commit", time.Since(committed))

	began := time.Now()
	if empty := read(read(0, 0).Head, 1); len(empty.Items) != 0 || time.Since(began) < 900*time.Millisecond {
		t.Fatalf("an empty wait of 1 s: %d changes after %s", len(empty.Items), time.Since(began))
	}
}

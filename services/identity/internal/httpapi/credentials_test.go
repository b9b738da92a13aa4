package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

// tokenFor asks the token endpoint with a client's credentials (client_secret_post).
func (e *env) tokenFor(t testing.TB, clientID, secret string) *identity.IssueTokenResponse {
	t.Helper()
	resp, err := e.anonymous().IssueTokenWithFormdataBodyWithResponse(context.Background(), identity.IssueTokenFormdataRequestBody{
		GrantType: ptr("client_credentials"), ClientId: &clientID, ClientSecret: &secret})
	noErr(t, err)
	return resp
}

// expectToken asserts the credentials get a token (true) or invalid_client (false).
func (e *env) expectToken(t testing.TB, clientID, secret string, works bool) string {
	t.Helper()
	resp := e.tokenFor(t, clientID, secret)
	if works {
		expectStatus(t, resp, http.StatusOK)
		return resp.JSON200.AccessToken
	}
	expectStatus(t, resp, http.StatusUnauthorized)
	var oe identity.OAuthError
	if err := json.Unmarshal(resp.Body, &oe); err != nil || oe.Error != identity.InvalidClient {
		t.Fatalf("want invalid_client, got %s", resp.Body)
	}
	return ""
}

func (c *caller) newClient(t testing.TB, name string) identity.ApiClientSecret {
	t.Helper()
	resp, err := c.CreateApiClientWithResponse(context.Background(), nil, identity.ApiClientCreate{Name: name})
	noErr(t, err)
	expectStatus(t, resp, http.StatusCreated)
	if cc := resp.HTTPResponse.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a response with a secret, want no-store", cc)
	}
	return *resp.JSON201
}

func (c *caller) rotate(t testing.TB, clientID string, overlapSeconds int) identity.ApiClientSecret {
	t.Helper()
	resp, err := c.RotateApiClientSecretWithResponse(context.Background(), clientID, nil, identity.SecretRotation{PreviousSecretExpiresIn: &overlapSeconds})
	noErr(t, err)
	expectStatus(t, resp, http.StatusOK)
	return *resp.JSON200
}

func TestSeveralClients(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Many Clients Ltd")
	ctx := context.Background()
	second := p.newClient(t, "ERP sync")
	if second.ClientId == p.clientID || second.ClientSecret == "" || second.Name != "ERP sync" {
		t.Fatalf("second client %+v", second)
	}
	tok := e.expectToken(t, second.ClientId, second.ClientSecret, true)
	me, err := e.client(tok).GetCurrentPartnerWithResponse(ctx)
	noErr(t, err)
	expectStatus(t, me, http.StatusOK)
	if me.JSON200.Id != p.id {
		t.Fatalf("the second client's token is for %s, want the partner %s", me.JSON200.Id, p.id)
	}

	list, err := p.ListApiClientsWithResponse(ctx)
	noErr(t, err)
	expectStatus(t, list, http.StatusOK)
	if len(list.JSON200.Items) != 2 || list.JSON200.Items[0].ClientId != p.clientID || list.JSON200.Items[1].ClientId != second.ClientId {
		t.Fatalf("clients %+v", list.JSON200.Items)
	}
	if !list.JSON200.Items[0].LastUsedAt.IsSpecified() || list.JSON200.Items[0].LastUsedAt.IsNull() {
		t.Error("the first client got a token but has no last_used_at")
	}
	if strings.Contains(string(list.Body), second.ClientSecret) || strings.Contains(string(list.Body), "client_secret") {
		t.Fatal("a listing shows a secret")
	}

	renamed, err := p.UpdateApiClientWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, second.ClientId, identity.ApiClientPatch{Name: ptr("ERP sync (prod)")})
	noErr(t, err)
	expectStatus(t, renamed, http.StatusOK)
	if renamed.JSON200.Name != "ERP sync (prod)" {
		t.Fatalf("renamed %+v", renamed.JSON200)
	}

	// Another partner sees none of it.
	other := e.partner("Other Ltd")
	got, err := other.GetApiClientWithResponse(ctx, second.ClientId)
	noErr(t, err)
	expectProblem(t, got, http.StatusNotFound, "")
	rev, err := other.RevokeApiClientWithResponse(ctx, second.ClientId)
	noErr(t, err)
	expectProblem(t, rev, http.StatusNotFound, "")
	rot, err := other.RotateApiClientSecretWithResponse(ctx, second.ClientId, nil, identity.SecretRotation{})
	noErr(t, err)
	expectProblem(t, rot, http.StatusNotFound, "")

	events, err := p.ListCredentialEventsWithResponse(ctx, &identity.ListCredentialEventsParams{})
	noErr(t, err)
	expectStatus(t, events, http.StatusOK)
	var types []string
	for _, ev := range events.JSON200.Items {
		types = append(types, string(ev.Type)+"/"+string(ev.ActorType))
	}
	want := []string{"client.renamed/partner", "client.created/partner", "client.created/operator"}
	if len(types) != len(want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("events %v, want %v (newest first)", types, want)
		}
	}
	if a := events.JSON200.Items[0].ActorId; !a.IsSpecified() || a.IsNull() || a.MustGet() != p.id {
		t.Errorf("the rename's actor is %v, want the partner", a)
	}
}

// A rotation with a 2-second overlap: the old secret works for those 2 seconds and not after; the
// new one works throughout. With 0 the old secret stops at once; rotating during an overlap ends
// the older secret at once.
func TestRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Rotating Ltd")

	t.Run("2 second overlap", func(t *testing.T) {
		c := p.newClient(t, "overlap")
		rotated := p.rotate(t, c.ClientId, 2)
		until := rotated.PreviousSecretExpiresAt
		if !until.IsSpecified() || until.IsNull() {
			t.Fatal("no previous_secret_expires_at during the overlap")
		}
		e.expectToken(t, c.ClientId, rotated.ClientSecret, true)
		e.expectToken(t, c.ClientId, c.ClientSecret, true)
		time.Sleep(time.Until(until.MustGet()) + 200*time.Millisecond)
		e.expectToken(t, c.ClientId, c.ClientSecret, false)
		e.expectToken(t, c.ClientId, rotated.ClientSecret, true)
	})
	t.Run("no overlap", func(t *testing.T) {
		c := p.newClient(t, "at once")
		rotated := p.rotate(t, c.ClientId, 0)
		if rotated.PreviousSecretExpiresAt.IsSpecified() && !rotated.PreviousSecretExpiresAt.IsNull() {
			t.Errorf("previous_secret_expires_at %v with no overlap", rotated.PreviousSecretExpiresAt)
		}
		e.expectToken(t, c.ClientId, c.ClientSecret, false)
		e.expectToken(t, c.ClientId, rotated.ClientSecret, true)
	})
	t.Run("rotating during an overlap ends the oldest secret", func(t *testing.T) {
		c := p.newClient(t, "twice")
		first := p.rotate(t, c.ClientId, 3600)
		second := p.rotate(t, c.ClientId, 3600)
		e.expectToken(t, c.ClientId, c.ClientSecret, false)
		e.expectToken(t, c.ClientId, first.ClientSecret, true)
		e.expectToken(t, c.ClientId, second.ClientSecret, true)
	})
	t.Run("overlap out of range", func(t *testing.T) {
		for _, secs := range []int{-1, 604801} {
			resp, err := p.RotateApiClientSecretWithResponse(context.Background(), p.clientID, nil, identity.SecretRotation{PreviousSecretExpiresIn: &secs})
			noErr(t, err)
			expectProblem(t, resp, http.StatusUnprocessableEntity, "previous_secret_expires_in")
		}
	})
}

// A revoked client's still-valid token is refused at once; its secret no longer gets tokens; the
// last active client cannot be revoked.
func TestRevocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Revoking Ltd")
	ctx := context.Background()
	second := p.newClient(t, "to revoke")
	tok := e.expectToken(t, second.ClientId, second.ClientSecret, true)
	stolen := e.client(tok)
	before, err := stolen.GetCurrentPartnerWithResponse(ctx)
	noErr(t, err)
	expectStatus(t, before, http.StatusOK)

	rev, err := p.RevokeApiClientWithResponse(ctx, second.ClientId)
	noErr(t, err)
	expectStatus(t, rev, http.StatusNoContent)
	after, err := stolen.GetCurrentPartnerWithResponse(ctx)
	noErr(t, err)
	expectProblem(t, after, http.StatusUnauthorized, "")
	e.expectToken(t, second.ClientId, second.ClientSecret, false)
	again, err := p.RevokeApiClientWithResponse(ctx, second.ClientId)
	noErr(t, err)
	expectProblem(t, again, http.StatusNotFound, "")

	last, err := p.RevokeApiClientWithResponse(ctx, p.clientID)
	noErr(t, err)
	expectProblem(t, last, http.StatusConflict, "")
	e.expectToken(t, p.clientID, p.clientSecret, true)
}

// A disabled partner gets no token and its tokens stop working; enabled again, both work.
func TestDisabledPartner(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Suspended Ltd")
	ctx := context.Background()
	if _, err := e.app.Partners.Disable(ctx, p.id, "unpaid invoices"); err != nil {
		t.Fatal(err)
	}
	e.expectToken(t, p.clientID, p.clientSecret, false)
	me, err := p.GetCurrentPartnerWithResponse(ctx)
	noErr(t, err)
	expectProblem(t, me, http.StatusUnauthorized, "")

	if _, err := e.app.Partners.Enable(ctx, p.id); err != nil {
		t.Fatal(err)
	}
	e.expectToken(t, p.clientID, p.clientSecret, true)
	me, err = p.GetCurrentPartnerWithResponse(ctx)
	noErr(t, err)
	expectStatus(t, me, http.StatusOK)
	events, err := p.ListCredentialEventsWithResponse(ctx, &identity.ListCredentialEventsParams{})
	noErr(t, err)
	expectStatus(t, events, http.StatusOK)
	if got := events.JSON200.Items; len(got) < 2 || got[0].Type != identity.PartnerEnabled || got[1].Type != identity.PartnerDisabled ||
		got[1].Detail == nil || *got[1].Detail != "unpaid invoices" || got[1].ActorType != identity.CredentialEventActorTypeOperator {
		t.Fatalf("events %+v", got)
	}
}

// A flood of wrong secrets for one client gets 429s (even the right secret waits); another
// client of the same partner is unaffected.
func TestWrongSecretFloodIsThrottled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Targeted Ltd")
	other := p.newClient(t, "unaffected")
	var throttled *identity.IssueTokenResponse
	for i := 0; i < 20 && throttled == nil; i++ {
		if resp := e.tokenFor(t, p.clientID, "fks_wrong"+strconv.Itoa(i)); resp.StatusCode() == http.StatusTooManyRequests {
			throttled = resp
		}
	}
	if throttled == nil {
		t.Fatal("20 wrong secrets in a row were never throttled")
	}
	if s, err := strconv.Atoi(throttled.HTTPResponse.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q", throttled.HTTPResponse.Header.Get("Retry-After"))
	}
	expectStatus(t, e.tokenFor(t, p.clientID, p.clientSecret), http.StatusTooManyRequests)
	e.expectToken(t, other.ClientId, other.ClientSecret, true)
}

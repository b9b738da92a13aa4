package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// The database stops under a running identity: every request is a 503 with Retry-After (the token
// endpoint as an RFC 6749 error), never a 500; once it is back, the same requests succeed without
// a restart.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	cluster := testdb.PrivateCluster(t)
	e := newEnvOn(t, testdb.NewOn(t, cluster.URL(), identitydb.Migrations()))
	p := e.partner("Outage Ltd")
	p.org(t, "Outage Org")
	ctx := context.Background()

	listOrgs := func() (*identity.ListOrganizationsResponse, error) {
		return p.ListOrganizationsWithResponse(ctx, &identity.ListOrganizationsParams{})
	}
	token := func() (*identity.IssueTokenResponse, error) {
		return e.anonymous().IssueTokenWithFormdataBodyWithResponse(ctx, identity.IssueTokenFormdataRequestBody{
			GrantType: ptr("client_credentials"), ClientId: &p.clientID, ClientSecret: &p.clientSecret})
	}
	retryAfter := func(t *testing.T, h http.Header) {
		t.Helper()
		if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("Retry-After = %q, want a positive number of seconds", h.Get("Retry-After"))
		}
	}

	if err := cluster.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("down", func(t *testing.T) {
		orgs, err := listOrgs()
		noErr(t, err)
		pr := expectProblem(t, orgs, http.StatusServiceUnavailable, "")
		retryAfter(t, orgs.HTTPResponse.Header)
		if pr.Detail == nil || !strings.Contains(*pr.Detail, "retry shortly") {
			t.Errorf("problem detail %v: want it to say to retry shortly", pr.Detail)
		}

		tok, err := token()
		noErr(t, err)
		expectStatus(t, tok, http.StatusServiceUnavailable)
		retryAfter(t, tok.HTTPResponse.Header)
		var oauthErr identity.OAuthError
		if err := json.Unmarshal(tok.Body, &oauthErr); err != nil || oauthErr.Error != identity.TemporarilyUnavailable {
			t.Errorf("token endpoint body %s: want an RFC 6749 temporarily_unavailable error", tok.Body)
		}
	})

	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("back", func(t *testing.T) {
		orgs, err := listOrgs()
		noErr(t, err)
		expectStatus(t, orgs, http.StatusOK)
		if len(orgs.JSON200.Items) != 1 {
			t.Errorf("%d organizations after the outage, want the 1 made before", len(orgs.JSON200.Items))
		}
		tok, err := token()
		noErr(t, err)
		expectStatus(t, tok, http.StatusOK)
	})
}

package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

func TestAuthorizationServerMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resp, err := e.anonymous().GetAuthorizationServerMetadataWithResponse(context.Background())
	noErr(t, err)
	expectStatus(t, resp, http.StatusOK)
	iss := e.cfg.Issuer
	want := identity.AuthorizationServerMetadata{
		Issuer:                            iss,
		TokenEndpoint:                     iss + "/oauth/token",
		JwksUri:                           iss + "/.well-known/jwks.json",
		GrantTypesSupported:               []string{"client_credentials"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		ResponseTypesSupported:            []string{},
	}
	if diff := cmp.Diff(want, *resp.JSON200); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
}

// A client nobody here wrote (golang.org/x/oauth2), configured from the metadata document alone,
// gets tokens with each advertised authentication method and calls the API with them.
func TestStandardClientFromMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Standard Client Ltd")
	meta, err := e.anonymous().GetAuthorizationServerMetadataWithResponse(context.Background())
	noErr(t, err)
	expectStatus(t, meta, http.StatusOK)
	styles := map[string]oauth2.AuthStyle{"client_secret_basic": oauth2.AuthStyleInHeader, "client_secret_post": oauth2.AuthStyleInParams}
	for _, method := range meta.JSON200.TokenEndpointAuthMethodsSupported {
		t.Run(method, func(t *testing.T) {
			style, ok := styles[method]
			if !ok {
				t.Fatalf("the metadata advertises %q, which x/oauth2 cannot do", method)
			}
			cfg := clientcredentials.Config{ClientID: p.clientID, ClientSecret: p.clientSecret, TokenURL: meta.JSON200.TokenEndpoint, AuthStyle: style}
			ctx := context.WithValue(context.Background(), oauth2.HTTPClient, e.hc) // validates the token responses too
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.Expiry.IsZero() {
				t.Fatalf("token %+v", tok)
			}
			api, err := identity.NewClientWithResponses(meta.JSON200.Issuer, identity.WithHTTPClient(cfg.Client(ctx)))
			if err != nil {
				t.Fatal(err)
			}
			me, err := api.GetCurrentPartnerWithResponse(ctx)
			noErr(t, err)
			expectStatus(t, me, http.StatusOK)
			if me.JSON200.Id != p.id {
				t.Fatalf("the token is for %s, want %s", me.JSON200.Id, p.id)
			}
		})
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

func TestIssueToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	anon := e.anonymous()
	basic := func(id, secret string) identity.RequestEditorFn {
		return func(_ context.Context, r *http.Request) error { r.SetBasicAuth(id, secret); return nil }
	}
	for _, tc := range []struct {
		name   string
		body   identity.TokenRequest
		editor identity.RequestEditorFn
		status int
		oauth  identity.OAuthErrorError
	}{
		{"client_secret_post", identity.TokenRequest{GrantType: ptr("client_credentials"), ClientId: &p.clientID, ClientSecret: &p.clientSecret}, nil, 200, ""},
		{"client_secret_basic", identity.TokenRequest{GrantType: ptr("client_credentials")}, basic(p.clientID, p.clientSecret), 200, ""},
		{"wrong secret", identity.TokenRequest{GrantType: ptr("client_credentials"), ClientId: &p.clientID, ClientSecret: ptr("fks_wrong")}, nil, 401, identity.InvalidClient},
		{"wrong basic secret", identity.TokenRequest{GrantType: ptr("client_credentials")}, basic(p.clientID, "nope"), 401, identity.InvalidClient},
		{"unknown client", identity.TokenRequest{GrantType: ptr("client_credentials"), ClientId: ptr("fkc_nobody"), ClientSecret: &p.clientSecret}, nil, 401, identity.InvalidClient},
		{"no credentials", identity.TokenRequest{GrantType: ptr("client_credentials")}, nil, 401, identity.InvalidClient},
		{"oversized secret", identity.TokenRequest{GrantType: ptr("client_credentials"), ClientId: &p.clientID, ClientSecret: ptr(strings.Repeat("x", 500))}, nil, 401, identity.InvalidClient},
		{"unsupported grant", identity.TokenRequest{GrantType: ptr("password"), ClientId: &p.clientID, ClientSecret: &p.clientSecret}, nil, 400, identity.UnsupportedGrantType},
		{"missing grant", identity.TokenRequest{ClientId: &p.clientID, ClientSecret: &p.clientSecret}, nil, 400, identity.InvalidRequest},
		{"two methods", identity.TokenRequest{GrantType: ptr("client_credentials"), ClientId: &p.clientID, ClientSecret: &p.clientSecret}, basic(p.clientID, p.clientSecret), 400, identity.InvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var editors []identity.RequestEditorFn
			if tc.editor != nil {
				editors = append(editors, tc.editor)
			}
			resp, err := anon.IssueTokenWithFormdataBodyWithResponse(ctx, tc.body, editors...)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, resp, tc.status)
			switch tc.status {
			case 200:
				if resp.JSON200.TokenType != identity.Bearer || resp.JSON200.ExpiresIn != 900 {
					t.Fatalf("token response = %+v", resp.JSON200)
				}
				if cc := resp.HTTPResponse.Header.Get("Cache-Control"); cc != "no-store" {
					t.Fatalf("Cache-Control = %q, want no-store", cc)
				}
			case 400:
				if resp.JSON400 == nil || resp.JSON400.Error != tc.oauth {
					t.Fatalf("error = %s, want %s", resp.Body, tc.oauth)
				}
			case 401:
				if resp.JSON401 == nil || resp.JSON401.Error != tc.oauth {
					t.Fatalf("error = %s, want %s", resp.Body, tc.oauth)
				}
			}
		})
	}
}

// Every failure of the token endpoint is an RFC 6749 error document, even those the request
// validation answers before the handler (body missing, unreadable, oversized, wrong media type).
func TestTokenEndpointFailuresAreOAuthErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct {
		name, contentType, body string
	}{
		{"empty body", "application/x-www-form-urlencoded", ""},
		{"JSON instead of a form", "application/json", `{"grant_type":"client_credentials"}`},
		{"no content type", "", "grant_type=client_credentials"},
		{"body over 1 MiB", "application/x-www-form-urlencoded", "grant_type=client_credentials&x=" + strings.Repeat("a", 2<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.anonymous().IssueTokenWithBodyWithResponse(context.Background(), tc.contentType, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != 400 || resp.JSON400 == nil || resp.JSON400.Error != identity.InvalidRequest {
				t.Fatalf("%d %s %s: want an RFC 6749 invalid_request", resp.StatusCode(), resp.ContentType(), resp.Body)
			}
			if resp.ContentType() != "application/json" || resp.HTTPResponse.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("Content-Type %q, Cache-Control %q", resp.ContentType(), resp.HTTPResponse.Header.Get("Cache-Control"))
			}
		})
	}
}

// TestAccessTokenClaims checks the RFC 9068 header and claims, and that the JWKS verifies the token.
func TestAccessTokenClaims(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	jwks, err := e.anonymous().GetJWKSWithResponse(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, jwks, 200)
	keys := map[string]*rsa.PublicKey{}
	for _, k := range jwks.JSON200.Keys {
		pub, err := jwkKey(k)
		if err != nil {
			t.Fatal(err)
		}
		keys[k.Kid] = pub
	}
	claims := jwt.MapClaims{}
	tok, err := jwt.ParseWithClaims(p.token, claims, func(tk *jwt.Token) (any, error) {
		return keys[tk.Header["kid"].(string)], nil
	}, jwt.WithValidMethods([]string{"RS256"}))
	if err != nil || !tok.Valid {
		t.Fatalf("token does not verify with the published JWKS: %v", err)
	}
	if tok.Header["typ"] != "at+jwt" {
		t.Fatalf("typ = %v, want at+jwt", tok.Header["typ"])
	}
	for _, c := range []string{"iss", "aud", "sub", "client_id", "iat", "exp", "jti"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing", c)
		}
	}
	if claims["sub"] != p.id.String() || claims["client_id"] != p.clientID || claims["iss"] != e.cfg.Issuer {
		t.Fatalf("claims = %v", claims)
	}
}

func jwkKey(k identity.JWK) (*rsa.PublicKey, error) {
	raw, _ := json.Marshal(k)
	var j struct{ N, E string }
	_ = json.Unmarshal(raw, &j)
	n, err := base64.RawURLEncoding.DecodeString(j.N)
	if err != nil {
		return nil, err
	}
	e, err := base64.RawURLEncoding.DecodeString(j.E)
	if err != nil {
		return nil, err
	}
	pub := &rsa.PublicKey{E: 0}
	pub.N = new(big.Int).SetBytes(n)
	for _, b := range e {
		pub.E = pub.E<<8 | int(b)
	}
	return pub, nil
}

// TestBadTokensAreRejected sends tokens that must all be refused with 401 and a Bearer challenge.
func TestBadTokensAreRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	signing, err := e.app.Keys.Signing(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	base := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": e.cfg.Issuer, "aud": e.cfg.Audience, "sub": p.id.String(), "client_id": p.clientID,
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "x"}
	}
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims, header map[string]any) string {
		tk := jwt.NewWithClaims(method, claims)
		tk.Header["typ"] = "at+jwt"
		tk.Header["kid"] = signing.Kid
		for k, v := range header {
			tk.Header[k] = v
		}
		s, err := tk.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	with := func(k string, v any) jwt.MapClaims { c := base(); c[k] = v; return c }
	pubDER := signing.Private.PublicKey.N.Bytes()
	noneToken := func() string {
		tk := jwt.NewWithClaims(jwt.SigningMethodNone, base())
		tk.Header["typ"] = "at+jwt"
		tk.Header["kid"] = signing.Kid
		s, _ := tk.SignedString(jwt.UnsafeAllowNoneSignatureType)
		return s
	}
	for _, tc := range []struct{ name, header string }{
		{"no token", ""},
		{"not bearer", "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b"))},
		{"garbage", "Bearer not.a.jwt"},
		{"huge", "Bearer " + strings.Repeat("a", 9000)},
		{"control: valid token", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, base(), nil)},
		{"expired", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, with("exp", now.Add(-time.Hour).Unix()), nil)},
		{"wrong key", "Bearer " + sign(jwt.SigningMethodRS256, other, base(), nil)},
		{"unknown kid", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, base(), map[string]any{"kid": "nope"})},
		{"alg none", "Bearer " + noneToken()},
		{"alg confusion HS256 with public key", "Bearer " + sign(jwt.SigningMethodHS256, pubDER, base(), nil)},
		{"wrong typ", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, base(), map[string]any{"typ": "JWT"})},
		{"wrong issuer", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, with("iss", "https://evil.example"), nil)},
		{"wrong audience", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, with("aud", "other-api"), nil)},
		{"no exp", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, func() jwt.MapClaims { c := base(); delete(c, "exp"); return c }(), nil)},
		{"subject not a partner id", "Bearer " + sign(jwt.SigningMethodRS256, signing.Private, with("sub", "admin"), nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.anonymous().GetCurrentPartnerWithResponse(ctx, func(_ context.Context, r *http.Request) error {
				if tc.header != "" {
					r.Header.Set("Authorization", tc.header)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(tc.name, "control") {
				expectStatus(t, resp, 200)
				return
			}
			expectProblem(t, resp, 401, "")
			if !strings.HasPrefix(resp.HTTPResponse.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatalf("WWW-Authenticate = %q", resp.HTTPResponse.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

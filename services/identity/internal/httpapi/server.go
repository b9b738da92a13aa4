// Package httpapi is the identity service's HTTP layer: it implements the generated strict-server
// interface by translating requests to domain calls and domain results back to responses. Errors are
// returned as they are and become problem documents in the one error handler (package problem).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/api"
	"github.com/flowkiwi/platform/services/identity/internal/changestream"
	"github.com/flowkiwi/platform/services/identity/internal/event"
	"github.com/flowkiwi/platform/services/identity/internal/instance"
	"github.com/flowkiwi/platform/services/identity/internal/keys"
	"github.com/flowkiwi/platform/services/identity/internal/oauth"
	"github.com/flowkiwi/platform/services/identity/internal/organization"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
)

// Server implements api.StrictServerInterface.
type Server struct {
	Partners      *partner.Service
	Organizations *organization.Service
	Instances     *instance.Service
	Events        *event.Service
	Changes       *changestream.Service
	Tokens        *oauth.Issuer
	Keys          *keys.Ring
	// RequestTimeout bounds each request (apiserver.Deadline; 0: no bound).
	RequestTimeout time.Duration
}

var _ api.StrictServerInterface = (*Server)(nil)

func actor(ctx context.Context) (uuid.UUID, error) {
	p, ok := accesstoken.FromContext(ctx)
	if !ok {
		return uuid.Nil, fault.Unauthenticated("a bearer token is required")
	}
	return p.PartnerID, nil
}

func page(number, size *int) organization.Page {
	p := organization.Page{Number: 1, Size: 20}
	if number != nil {
		p.Number = *number
	}
	if size != nil {
		p.Size = *size
	}
	return p
}

func paging(p organization.Page, total int) common.PageInfo {
	return common.PageInfo{PageNumber: p.Number, PageSize: p.Size, TotalCount: total}
}

func str(p *string) nullable.Nullable[string] {
	if p == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(*p)
}

func ptr(n nullable.Nullable[string]) *string {
	if !n.IsSpecified() || n.IsNull() {
		return nil
	}
	v := n.MustGet()
	return &v
}

// GetJWKS publishes the verification keys.
func (s *Server) GetJWKS(ctx context.Context, _ api.GetJWKSRequestObject) (api.GetJWKSResponseObject, error) {
	published, err := s.Keys.Published(ctx)
	if err != nil {
		return nil, err
	}
	out := api.JWKS{Keys: make([]api.JWK, len(published))}
	for i, k := range published {
		out.Keys[i] = api.JWK{Kty: k.Kty, Kid: k.Kid, Use: k.Use, Alg: k.Alg, N: k.N, E: k.E}
	}
	cc := "public, max-age=300"
	return api.GetJWKS200JSONResponse{Body: out, Headers: api.GetJWKS200ResponseHeaders{CacheControl: &cc}}, nil
}

// GetAuthorizationServerMetadata publishes RFC 8414 metadata, every URL built from the issuer.
func (s *Server) GetAuthorizationServerMetadata(context.Context, api.GetAuthorizationServerMetadataRequestObject) (api.GetAuthorizationServerMetadataResponseObject, error) {
	iss := strings.TrimSuffix(s.Tokens.Issuer, "/")
	return api.GetAuthorizationServerMetadata200JSONResponse{
		Body: api.AuthorizationServerMetadata{
			Issuer:                            s.Tokens.Issuer,
			TokenEndpoint:                     iss + "/oauth/token",
			JwksUri:                           iss + "/.well-known/jwks.json",
			GrantTypesSupported:               []string{"client_credentials"},
			TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
			ResponseTypesSupported:            []string{},
		},
		Headers: api.GetAuthorizationServerMetadata200ResponseHeaders{CacheControl: ptrTo("public, max-age=3600")},
	}, nil
}

// IssueToken implements the client-credentials grant; its errors follow RFC 6749 §5.2.
func (s *Server) IssueToken(ctx context.Context, req api.IssueTokenRequestObject) (api.IssueTokenResponseObject, error) {
	body := req.Body
	if body == nil {
		body = &api.TokenRequest{}
	}
	clientID, secret := deref(body.ClientId), deref(body.ClientSecret)
	basicID, basicSecret, basic := basicAuth(ctx)
	if basic {
		if clientID != "" || secret != "" {
			return api.IssueToken400JSONResponse{Error: api.InvalidRequest, ErrorDescription: ptrTo("use one client authentication method, not two")}, nil
		}
		clientID, secret = basicID, basicSecret
	}
	if deref(body.GrantType) != "client_credentials" {
		if body.GrantType == nil {
			return api.IssueToken400JSONResponse{Error: api.InvalidRequest, ErrorDescription: ptrTo("grant_type is required")}, nil
		}
		return api.IssueToken400JSONResponse{Error: api.UnsupportedGrantType, ErrorDescription: ptrTo("only client_credentials is supported")}, nil
	}
	if clientID == "" || secret == "" {
		return invalidClient(basic), nil
	}
	tok, err := s.Tokens.ClientCredentials(ctx, clientID, secret)
	if errors.Is(err, partner.ErrInvalidClient) {
		return invalidClient(basic), nil
	}
	if err != nil {
		return nil, err // an RFC 6749 error too (oauthErrors)
	}
	return api.IssueToken200JSONResponse{
		Body:    api.TokenResponse{AccessToken: tok.AccessToken, TokenType: api.Bearer, ExpiresIn: tok.ExpiresIn},
		Headers: api.IssueToken200ResponseHeaders{CacheControl: ptrTo("no-store")},
	}, nil
}

func invalidClient(basic bool) api.IssueToken401JSONResponse {
	r := api.IssueToken401JSONResponse{Body: api.OAuthError{Error: api.InvalidClient, ErrorDescription: ptrTo("client authentication failed")}}
	if basic {
		r.Headers.WWWAuthenticate = ptrTo(`Basic realm="flowkiwi"`)
	}
	return r
}

type requestKey struct{}

// WithRequest keeps the *http.Request on the context for the few handlers that read headers the
// spec does not model as parameters (HTTP Basic client authentication).
func WithRequest(ctx context.Context, r *http.Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func basicAuth(ctx context.Context) (string, string, bool) {
	r, ok := ctx.Value(requestKey{}).(*http.Request)
	if !ok {
		return "", "", false
	}
	return r.BasicAuth()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptrTo[T any](v T) *T { return &v }

// ListRoles returns the role catalogue.
func (s *Server) ListRoles(context.Context, api.ListRolesRequestObject) (api.ListRolesResponseObject, error) {
	var out api.ListRoles200JSONResponse
	for _, r := range permission.Roles() {
		out.Items = append(out.Items, api.Role{Name: api.RoleName(r), Description: r.Description(), Permissions: permission.Strings(r.Permissions())})
	}
	return out, nil
}

// CheckInstanceAccess answers the product services' access question.
func (s *Server) CheckInstanceAccess(ctx context.Context, req api.CheckInstanceAccessRequestObject) (api.CheckInstanceAccessResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.Instances.CheckAccess(ctx, id, req.Params.OrganizationId, req.Handle)
	if err != nil {
		return nil, err
	}
	return api.CheckInstanceAccess200JSONResponse{
		InstanceId: a.Instance.ID, Handle: a.Instance.Handle, OrganizationId: a.Instance.OrganizationID,
		OwnershipVersion: a.Instance.OwnershipVersion, Permissions: permission.Strings(a.Permissions),
	}, nil
}

// marshalPatch turns a decoded merge patch back into JSON for the domain; tri-state fields keep
// the difference between absent and null.
func marshalPatch(v any) ([]byte, error) {
	if v == nil {
		return []byte(`{}`), nil
	}
	return json.Marshal(v)
}

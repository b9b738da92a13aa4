// Package accesstoken verifies Flowkiwi OAuth 2.0 access tokens: RFC 9068 JWTs signed with RS256 by
// the identity service. Both services use it, with different key sources (identity reads its own
// signing keys, product-management fetches identity's JWKS).
package accesstoken

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Type is the JOSE "typ" of access tokens (RFC 9068 §2.1).
const Type = "at+jwt"

// Algorithm is the only signing algorithm accepted; anything else (none, HS256 with the public key
// as secret...) is rejected before any key is used.
const Algorithm = "RS256"

// MaxLength bounds the tokens parsed, so oversized headers cost nothing.
const MaxLength = 8 << 10

// Claims are the claims of an access token.
type Claims struct {
	jwt.RegisteredClaims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"` // space-separated (RFC 9068): a service's grants
}

// Principal is the authenticated caller.
type Principal struct {
	PartnerID uuid.UUID
	ClientID  string
	TokenID   string
	ExpiresAt time.Time
	Token     string   // the raw token, forwarded when calling other services on the caller's behalf
	Scopes    []string // what the token may do beyond a partner's API (a service's credential)
}

// KeySource finds the public key that verifies tokens signed under kid.
type KeySource interface {
	PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, error)
}

// ErrUnknownKey is returned by key sources that do not know a kid.
var ErrUnknownKey = errors.New("accesstoken: unknown signing key")

// ErrKeysUnavailable means the verification keys could not be obtained: the token may be fine, the
// caller should retry (503), not re-authenticate (401).
var ErrKeysUnavailable = errors.New("accesstoken: verification keys unavailable")

// ErrInvalid wraps every reason a token is refused.
var ErrInvalid = errors.New("invalid access token")

// Verifier checks access tokens.
type Verifier struct {
	Keys KeySource
	// Issuer is the only iss accepted. With IssuerFrom set instead, the issuer is learned at run
	// time (from the issuer's metadata); until it is known, tokens cannot be verified (503).
	Issuer     string
	IssuerFrom func() (string, bool)
	Audience   string
	Leeway     time.Duration       // clock skew tolerated on exp/iat/nbf; default 30s
	Now        func() time.Time    // default time.Now
	Cache      *Cache              // optional: remembers verified tokens
	Observe    func(result string) // optional: called with ok, cached, invalid, revoked or unavailable
	// Active, when set, is asked on every request (cached tokens too) whether the token's client
	// may still act: false refuses the token (revoked client, disabled partner); an error means it
	// cannot be told now (503).
	Active func(ctx context.Context, p Principal) (bool, error)
}

// ErrRevoked is returned for a well-signed token whose client or partner may no longer act.
var ErrRevoked = fmt.Errorf("%w: the client was revoked or the partner disabled", ErrInvalid)

func (v *Verifier) observe(result string) {
	if v.Observe != nil {
		v.Observe(result)
	}
}

// Verify parses and checks a token: type, algorithm, signature, issuer, audience, expiry, subject,
// and then whether its client may still act.
func (v *Verifier) Verify(ctx context.Context, raw string) (Principal, error) {
	p, err := v.verify(ctx, raw)
	if err != nil || v.Active == nil {
		return p, err
	}
	ok, err := v.Active(ctx, p)
	switch {
	case err != nil:
		v.observe("unavailable")
		return Principal{}, fmt.Errorf("%w: %w", ErrKeysUnavailable, err)
	case !ok:
		v.observe("revoked")
		return Principal{}, ErrRevoked
	}
	return p, nil
}

func (v *Verifier) verify(ctx context.Context, raw string) (Principal, error) {
	if raw == "" || len(raw) > MaxLength || strings.Count(raw, ".") != 2 {
		v.observe("invalid")
		return Principal{}, fmt.Errorf("%w: malformed", ErrInvalid)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if v.Cache != nil {
		if p, ok := v.Cache.get(raw, now()); ok {
			v.observe("cached")
			return p, nil
		}
	}
	issuer := v.Issuer
	if v.IssuerFrom != nil {
		var known bool
		if issuer, known = v.IssuerFrom(); !known {
			v.observe("unavailable")
			return Principal{}, fmt.Errorf("%w: the issuer's metadata has not been read yet", ErrKeysUnavailable)
		}
	}
	leeway := v.Leeway
	if leeway == 0 {
		leeway = 30 * time.Second
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{Algorithm}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(v.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	}
	if v.Now != nil {
		opts = append(opts, jwt.WithTimeFunc(v.Now))
	}
	var claims Claims
	tok, err := jwt.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		typ, _ := t.Header["typ"].(string)
		typ = strings.ToLower(typ)
		if typ != Type && typ != "application/"+Type {
			return nil, errors.New("not an access token (typ)")
		}
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no kid")
		}
		return v.Keys.PublicKey(ctx, kid)
	}, opts...)
	if errors.Is(err, ErrKeysUnavailable) {
		v.observe("unavailable")
		return Principal{}, err
	}
	if err != nil || !tok.Valid {
		v.observe("invalid")
		return Principal{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	partner, err := uuid.Parse(claims.Subject)
	if err != nil {
		v.observe("invalid")
		return Principal{}, fmt.Errorf("%w: subject is not a partner id", ErrInvalid)
	}
	if claims.ID == "" || claims.ClientID == "" {
		v.observe("invalid")
		return Principal{}, fmt.Errorf("%w: missing jti or client_id", ErrInvalid)
	}
	v.observe("ok")
	p := Principal{PartnerID: partner, ClientID: claims.ClientID, TokenID: claims.ID, ExpiresAt: claims.ExpiresAt.Time, Token: raw,
		Scopes: strings.Fields(claims.Scope)}
	if v.Cache != nil {
		v.Cache.put(raw, p, now())
	}
	return p, nil
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of the request, if authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// BearerToken extracts the token of an "Authorization: Bearer ..." header value.
func BearerToken(header string) (string, bool) {
	const prefix = "bearer "
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return "", false
	}
	tok := strings.TrimSpace(header[len(prefix):])
	return tok, tok != ""
}

// Package oauth issues OAuth 2.0 access tokens (client-credentials grant) as RFC 9068 JWTs.
package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/services/identity/internal/keys"
)

// Authenticator checks client credentials.
type Authenticator interface {
	Authenticate(ctx context.Context, clientID, secret string) (partnerID uuid.UUID, scopes []string, err error)
}

// Issuer issues access tokens.
type Issuer struct {
	Clients  Authenticator
	Keys     *keys.Ring
	Issuer   string
	Audience string
	TTL      time.Duration
	Now      func() time.Time
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   int
}

// ClientCredentials authenticates the client and issues a token whose subject is its partner.
func (i *Issuer) ClientCredentials(ctx context.Context, clientID, secret string) (Token, error) {
	partnerID, scopes, err := i.Clients.Authenticate(ctx, clientID, secret)
	if err != nil {
		return Token{}, err
	}
	return i.Issue(ctx, partnerID, clientID, scopes...)
}

// Issue signs a token for a partner's client, with the client's scopes (RFC 9068's scope claim).
func (i *Issuer) Issue(ctx context.Context, partnerID uuid.UUID, clientID string, scopes ...string) (Token, error) {
	key, err := i.Keys.Signing(ctx)
	if err != nil {
		return Token{}, err
	}
	now := time.Now
	if i.Now != nil {
		now = i.Now
	}
	iat := now().UTC().Truncate(time.Second)
	jti := make([]byte, 16)
	_, _ = rand.Read(jti)
	claims := accesstoken.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.Issuer,
			Subject:   partnerID.String(),
			Audience:  jwt.ClaimStrings{i.Audience},
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(iat.Add(i.TTL)),
			ID:        base64.RawURLEncoding.EncodeToString(jti),
		},
		ClientID: clientID,
		Scope:    strings.Join(scopes, " "),
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["typ"] = accesstoken.Type
	t.Header["kid"] = key.Kid
	signed, err := t.SignedString(key.Private)
	if err != nil {
		return Token{}, err
	}
	return Token{AccessToken: signed, ExpiresIn: int(i.TTL / time.Second)}, nil
}

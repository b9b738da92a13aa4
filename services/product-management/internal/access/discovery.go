package access

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

// MetadataClient is the part of identity's generated client discovery needs.
type MetadataClient interface {
	GetAuthorizationServerMetadataWithResponse(ctx context.Context, reqEditors ...identity.RequestEditorFn) (*identity.GetAuthorizationServerMetadataResponse, error)
}

// Trust is what product-management learns from identity's metadata (RFC 8414) at start-up: the
// one issuer it accepts, and where the keys are. Until then tokens cannot be verified.
type Trust struct {
	identityURL string // the internal address: keys are fetched through it
	expected    string // IDENTITY_ISSUER, when set: the metadata must agree
	keys        KeyAddress
	issuer      atomic.Pointer[string]
}

// KeyAddress is told where the keys are (accesstoken.RemoteKeySet).
type KeyAddress interface{ SetURL(string) }

// NewTrust prepares discovery from identityURL; expectedIssuer may be empty.
func NewTrust(identityURL, expectedIssuer string, keys KeyAddress) *Trust {
	return &Trust{identityURL: identityURL, expected: expectedIssuer, keys: keys}
}

// Issuer returns the discovered issuer (accesstoken.Verifier.IssuerFrom).
func (t *Trust) Issuer() (string, bool) {
	if p := t.issuer.Load(); p != nil {
		return *p, true
	}
	return "", false
}

// MismatchError says identity names another issuer than IDENTITY_ISSUER: every token would be
// refused, so the service must not start.
type MismatchError struct{ Configured, Published string }

func (e *MismatchError) Error() string {
	return fmt.Sprintf("IDENTITY_ISSUER=%q, but identity at its address publishes issuer %q: tokens would all be refused; fix or unset IDENTITY_ISSUER", e.Configured, e.Published)
}

// Discover reads identity's metadata, retrying every retry (growing to 5 s) until identity answers
// or ctx ends. A metadata document naming another issuer than the configured one is a
// *MismatchError, not retried.
func (t *Trust) Discover(ctx context.Context, client MetadataClient, retry time.Duration, logger *slog.Logger) error {
	for wait := retry; ; wait = min(2*wait, 5*time.Second) {
		err := t.discover(ctx, client)
		if err == nil {
			return nil
		}
		var mismatch *MismatchError
		if errors.As(err, &mismatch) {
			return err
		}
		logger.Warn("identity metadata not read yet; retrying", "identity", t.identityURL, "error", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("identity metadata: %w (last error: %v)", ctx.Err(), err)
		case <-time.After(wait):
		}
	}
}

func (t *Trust) discover(ctx context.Context, client MetadataClient) error {
	resp, err := client.GetAuthorizationServerMetadataWithResponse(ctx)
	if err != nil {
		return err
	}
	if resp.JSON200 == nil {
		return fmt.Errorf("%s/.well-known/oauth-authorization-server answered %d", t.identityURL, resp.StatusCode())
	}
	m := resp.JSON200
	if m.Issuer == "" {
		return fmt.Errorf("identity's metadata names no issuer")
	}
	if t.expected != "" && t.expected != m.Issuer {
		return &MismatchError{Configured: t.expected, Published: m.Issuer}
	}
	// The published jwks_uri is public (built from the issuer) and need not be reachable from
	// inside a cluster: keep its path, take the internal address.
	keys := t.identityURL + "/.well-known/jwks.json"
	if u, err := url.Parse(m.JwksUri); err == nil && u.Path != "" {
		keys = t.identityURL + u.EscapedPath()
	}
	t.keys.SetURL(keys) // before the issuer: once it is known, tokens are verified with these keys
	t.issuer.Store(&m.Issuer)
	return nil
}

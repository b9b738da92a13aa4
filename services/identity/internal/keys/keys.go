// Package keys manages the RS256 keys that sign access tokens. Keys live in the database so every
// replica signs with and publishes the same set. Rotation follows the usual safe order: a new key is
// published publishLead before it signs anything, and a retired key stays published until every
// token it signed has expired.
package keys

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/flowkiwi/platform/pkg/accesstoken"
)

// Stored is a key as persisted.
type Stored struct {
	Kid         string
	PrivateDER  []byte // PKCS #8, sealed when a Sealer is configured
	CreatedAt   time.Time
	ActivatesAt time.Time
	RetiresAt   *time.Time
	ExpiresAt   *time.Time
}

// Store persists keys. Rotate runs fn in a transaction holding a lock, so replicas never create two
// keys for one rotation.
type Store interface {
	Keys(ctx context.Context) ([]Stored, error)
	Rotate(ctx context.Context, fn func(current []Stored) (add *Stored, retireKid string, retireAt, expireAt time.Time, err error)) error
}

// Key is a usable signing key.
type Key struct {
	Kid         string
	Private     *rsa.PrivateKey
	CreatedAt   time.Time
	ActivatesAt time.Time
	RetiresAt   *time.Time
	ExpiresAt   *time.Time
}

// Policy sets the rotation schedule.
type Policy struct {
	RotateEvery time.Duration // how long a key signs
	PublishLead time.Duration // how long a key is published before it signs
	TokenTTL    time.Duration // how long tokens live, so retired keys stay published that long
	CacheFor    time.Duration // how long a replica trusts its in-memory copy of the key set
	Sealer      *Sealer       // encrypts private keys at rest; nil stores them as they are
}

// Ring is the in-memory view of the key set, refreshed from the store.
type Ring struct {
	store  Store
	policy Policy
	now    func() time.Time

	mu       sync.RWMutex
	keys     []Key
	loadedAt time.Time
	reloadMu sync.Mutex
}

// NewRing returns a ring over store. now may be nil (time.Now).
func NewRing(store Store, policy Policy, now func() time.Time) *Ring {
	if now == nil {
		now = time.Now
	}
	if policy.CacheFor == 0 {
		policy.CacheFor = 30 * time.Second
	}
	return &Ring{store: store, policy: policy, now: now}
}

// Rotate makes sure a key is signing now and, when the current one is due to retire within
// PublishLead, that its successor is already published. Call it at start-up and periodically.
func (r *Ring) Rotate(ctx context.Context) error {
	now := r.now().UTC()
	err := r.store.Rotate(ctx, func(current []Stored) (*Stored, string, time.Time, time.Time, error) {
		var active, next *Stored
		for i := range current {
			k := &current[i]
			if k.RetiresAt != nil && !k.RetiresAt.After(now) {
				continue
			}
			if !k.ActivatesAt.After(now) {
				if active == nil || k.ActivatesAt.After(active.ActivatesAt) {
					active = k
				}
			} else if next == nil || k.ActivatesAt.Before(next.ActivatesAt) {
				next = k
			}
		}
		switch {
		case active == nil && next == nil:
			k, err := newStored(r.policy.Sealer, now, now) // bootstrap: nobody can have cached an older set
			return k, "", time.Time{}, time.Time{}, err
		case active != nil && next == nil && !now.Before(active.ActivatesAt.Add(r.policy.RotateEvery-r.policy.PublishLead)):
			activates := active.ActivatesAt.Add(r.policy.RotateEvery)
			if min := now.Add(r.policy.PublishLead); activates.Before(min) {
				activates = min
			}
			k, err := newStored(r.policy.Sealer, now, activates)
			return k, active.Kid, activates, activates.Add(r.policy.TokenTTL + 5*time.Minute), err
		}
		return nil, "", time.Time{}, time.Time{}, nil
	})
	if err != nil {
		return fmt.Errorf("keys: rotate: %w", err)
	}
	return r.reload(ctx)
}

func newStored(sealer *Sealer, now, activates time.Time) (*Stored, error) {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	kidBytes := make([]byte, 12)
	_, _ = rand.Read(kidBytes)
	kid := base64.RawURLEncoding.EncodeToString(kidBytes)
	sealed, err := sealer.Seal(kid, der)
	if err != nil {
		return nil, err
	}
	return &Stored{Kid: kid, PrivateDER: sealed, CreatedAt: now, ActivatesAt: activates}, nil
}

func (r *Ring) reload(ctx context.Context) error {
	stored, err := r.store.Keys(ctx)
	if err != nil {
		return fmt.Errorf("keys: load: %w", err)
	}
	keys := make([]Key, 0, len(stored))
	for _, s := range stored {
		der, err := r.policy.Sealer.Open(s.Kid, s.PrivateDER)
		if err != nil {
			return fmt.Errorf("keys: key %s: %w", s.Kid, err)
		}
		pk, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("keys: key %s: %w", s.Kid, err)
		}
		rk, ok := pk.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("keys: key %s is not RSA", s.Kid)
		}
		keys = append(keys, Key{Kid: s.Kid, Private: rk, CreatedAt: s.CreatedAt, ActivatesAt: s.ActivatesAt, RetiresAt: s.RetiresAt, ExpiresAt: s.ExpiresAt})
	}
	r.mu.Lock()
	r.keys, r.loadedAt = keys, r.now()
	r.mu.Unlock()
	return nil
}

func (r *Ring) snapshot(ctx context.Context) ([]Key, error) {
	r.mu.RLock()
	keys, loaded := r.keys, r.loadedAt
	r.mu.RUnlock()
	if keys != nil && r.now().Sub(loaded) < r.policy.CacheFor {
		return keys, nil
	}
	return r.refresh(ctx, loaded)
}

// refresh reloads once for all callers that saw the same stale copy.
func (r *Ring) refresh(ctx context.Context, seen time.Time) ([]Key, error) {
	r.reloadMu.Lock()
	defer r.reloadMu.Unlock()
	r.mu.RLock()
	if !r.loadedAt.Equal(seen) && r.keys != nil {
		keys := r.keys
		r.mu.RUnlock()
		return keys, nil
	}
	r.mu.RUnlock()
	if err := r.reload(ctx); err != nil {
		return nil, err
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys, nil
}

// ErrNoSigningKey means no key is active; Rotate has not run.
var ErrNoSigningKey = errors.New("keys: no active signing key")

// Signing returns the key that signs tokens now: the newest activated, unretired one.
func (r *Ring) Signing(ctx context.Context) (Key, error) {
	keys, err := r.snapshot(ctx)
	if err != nil {
		return Key{}, err
	}
	now := r.now()
	var best *Key
	for i := range keys {
		k := &keys[i]
		if k.ActivatesAt.After(now) || (k.RetiresAt != nil && !k.RetiresAt.After(now)) {
			continue
		}
		if best == nil || k.ActivatesAt.After(best.ActivatesAt) {
			best = k
		}
	}
	if best == nil {
		return Key{}, ErrNoSigningKey
	}
	return *best, nil
}

// Published returns the public keys verifiers should accept: every key created and not expired.
func (r *Ring) Published(ctx context.Context) ([]accesstoken.JWK, error) {
	keys, err := r.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	now := r.now()
	out := make([]accesstoken.JWK, 0, len(keys))
	for _, k := range keys {
		if k.ExpiresAt != nil && !k.ExpiresAt.After(now) {
			continue
		}
		out = append(out, accesstoken.NewJWK(k.Kid, &k.Private.PublicKey))
	}
	return out, nil
}

// PublicKey implements accesstoken.KeySource; an unknown kid triggers one reload.
func (r *Ring) PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	keys, err := r.snapshot(ctx)
	if err != nil {
		// The token may be fine: the caller should retry (503), not re-authenticate (401).
		return nil, fmt.Errorf("%w: %w", accesstoken.ErrKeysUnavailable, err)
	}
	if k := find(keys, kid, r.now()); k != nil {
		return k, nil
	}
	r.mu.RLock()
	loaded := r.loadedAt
	r.mu.RUnlock()
	if r.now().Sub(loaded) < time.Second { // cool-down: garbage kids must not hammer the database
		return nil, accesstoken.ErrUnknownKey
	}
	if keys, err = r.refresh(ctx, loaded); err != nil {
		return nil, fmt.Errorf("%w: %w", accesstoken.ErrKeysUnavailable, err)
	}
	if k := find(keys, kid, r.now()); k != nil {
		return k, nil
	}
	return nil, accesstoken.ErrUnknownKey
}

func find(keys []Key, kid string, now time.Time) *rsa.PublicKey {
	for _, k := range keys {
		if k.Kid == kid && (k.ExpiresAt == nil || k.ExpiresAt.After(now)) {
			return &k.Private.PublicKey
		}
	}
	return nil
}

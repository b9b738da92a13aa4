package accesstoken

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// RemoteKeySet fetches and caches a JWKS over HTTP. The set is refetched when it is older than
// MaxAge, and on an unknown kid (a key published after the last fetch) at most once per Cooldown, so
// tokens with made-up kids cannot make it hammer the issuer. Concurrent fetches are coalesced.
// A refetch replaces the whole set: keys removed upstream stop verifying.
type RemoteKeySet struct {
	URL      string // set before use, or later with SetURL
	Client   *http.Client
	MaxAge   time.Duration // default 10m
	Cooldown time.Duration // default 30s
	Now      func() time.Time

	group     singleflight.Group
	mu        sync.RWMutex
	keys      map[string]*rsa.PublicKey
	fetchedAt time.Time
	lastTry   time.Time
}

func (r *RemoteKeySet) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// SetURL points the set at another JWKS address (learned from the issuer's metadata) and forgets
// the keys fetched from the old one.
func (r *RemoteKeySet) SetURL(u string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.URL != u {
		r.URL, r.keys, r.fetchedAt = u, nil, time.Time{}
	}
}

// Loaded reports whether a key set has been fetched (readiness).
func (r *RemoteKeySet) Loaded() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys != nil
}

// Refresh fetches the key set now.
func (r *RemoteKeySet) Refresh(ctx context.Context) error {
	_, err, _ := r.group.Do("fetch", func() (any, error) { return nil, r.fetch(ctx) })
	return err
}

func (r *RemoteKeySet) fetch(ctx context.Context) error {
	r.mu.Lock()
	r.lastTry = r.now()
	url := r.URL
	r.mu.Unlock()
	if url == "" {
		return errors.New("jwks: no address yet")
	}
	client := r.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("jwks: %s answered %d", url, resp.StatusCode)
	}
	var set struct {
		Keys []JWK `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("jwks: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if pub, err := k.PublicKey(); err == nil && k.Kid != "" {
			keys[k.Kid] = pub
		}
	}
	r.mu.Lock()
	r.keys, r.fetchedAt = keys, r.now()
	r.mu.Unlock()
	return nil
}

// PublicKey implements KeySource.
func (r *RemoteKeySet) PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	maxAge, cooldown := r.MaxAge, r.Cooldown
	if maxAge == 0 {
		maxAge = 10 * time.Minute
	}
	if cooldown == 0 {
		cooldown = 30 * time.Second
	}
	r.mu.RLock()
	key, fresh, mayRetry := r.keys[kid], r.now().Sub(r.fetchedAt) < maxAge, r.now().Sub(r.lastTry) >= cooldown
	loaded := r.keys != nil
	r.mu.RUnlock()
	if key != nil && fresh {
		return key, nil
	}
	if !loaded || !fresh || mayRetry {
		if err := r.Refresh(ctx); err != nil && key == nil {
			return nil, fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
		}
		r.mu.RLock()
		key = r.keys[kid]
		r.mu.RUnlock()
	}
	if key == nil {
		return nil, ErrUnknownKey
	}
	return key, nil
}

var _ KeySource = (*RemoteKeySet)(nil)

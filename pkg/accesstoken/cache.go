package accesstoken

import (
	"sync"
	"time"
)

// Cache remembers tokens that verified, so a client reusing its token does not pay an RSA
// verification on every request. An entry lives until the token expires or MaxAge passes, whichever
// is first; MaxAge bounds how long a token outlives the removal of its key from the key set.
type Cache struct {
	MaxAge  time.Duration // default 1m
	MaxSize int           // default 10,000 entries

	mu      sync.Mutex
	entries map[string]cached
}

type cached struct {
	p       Principal
	expires time.Time
}

func (c *Cache) get(raw string, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[raw]
	if !ok || !now.Before(e.expires) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *Cache) put(raw string, p Principal, now time.Time) {
	maxAge, maxSize := c.MaxAge, c.MaxSize
	if maxAge == 0 {
		maxAge = time.Minute
	}
	if maxSize == 0 {
		maxSize = 10_000
	}
	expires := now.Add(maxAge)
	if p.ExpiresAt.Before(expires) {
		expires = p.ExpiresAt
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]cached{}
	}
	if len(c.entries) >= maxSize {
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxSize {
			clear(c.entries) // a flood of distinct tokens: start over rather than grow
		}
	}
	c.entries[raw] = cached{p: p, expires: expires}
}

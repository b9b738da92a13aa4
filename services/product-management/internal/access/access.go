// Package access asks the identity service whether a caller may act as an organization on an
// instance, through identity's generated client and with the caller's own token. Answers are cached
// briefly (grants at most TTL, denials shorter), concurrent misses for one key share one call, and
// when identity cannot answer without a fresh cached answer the check fails closed.
package access

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/singleflight"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/fault"
)

// Grant is what the caller may do on the instance as the organization.
type Grant struct {
	InstanceID       uuid.UUID
	Handle           string
	OrganizationID   uuid.UUID
	OwnershipVersion int64
	Permissions      map[string]bool
}

// Has reports whether the grant includes p.
func (g Grant) Has(p string) bool { return g.Permissions[p] }

// Answers are per client, not per partner: a revoked client's denial must not reach its partner's
// other clients, and their grants must not keep a revoked client's tokens working.
type key struct {
	partner uuid.UUID
	client  string
	handle  string
	org     uuid.UUID
}

type entry struct {
	grant   Grant
	err     error // a denial (not found / unauthenticated); nil for a grant
	expires time.Time
}

// Checker checks access and caches the answers.
type Checker struct {
	client  *identity.ClientWithResponses
	ttl     time.Duration
	denyTTL time.Duration
	timeout time.Duration
	now     func() time.Time
	observe func(time.Duration, string)

	group   singleflight.Group
	mu      sync.Mutex
	entries map[key]entry
	// forgotten counts Forget calls: an answer asked for before one is not stored after it (it
	// may be the access just revoked).
	forgotten uint64
	hits      uint64
	misses    uint64
}

// Options tune a Checker.
type Options struct {
	TTL     time.Duration    // how long a grant is trusted; at most 5s (default 4s, leaving a margin for the call itself)
	DenyTTL time.Duration    // how long a denial is remembered (default 1s)
	Timeout time.Duration    // bound on one identity call (default 2s)
	Now     func() time.Time // default time.Now
	// ObserveCall, when set, is told the duration and outcome (grant, deny, error) of every call to
	// identity.
	ObserveCall func(d time.Duration, outcome string)
}

// NewChecker returns a Checker over identity's client.
func NewChecker(client *identity.ClientWithResponses, o Options) *Checker {
	if o.TTL <= 0 || o.TTL > 5*time.Second {
		o.TTL = 4 * time.Second
	}
	if o.DenyTTL <= 0 {
		o.DenyTTL = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.ObserveCall == nil {
		o.ObserveCall = func(time.Duration, string) {}
	}
	return &Checker{client: client, ttl: o.TTL, denyTTL: o.DenyTTL, timeout: o.Timeout, now: o.Now, observe: o.ObserveCall, entries: map[key]entry{}}
}

var errNoInstance = fault.NotFound("no such instance")

// Check returns the caller's grant on the instance with handle as organization org.
func (c *Checker) Check(ctx context.Context, p accesstoken.Principal, handle string, org uuid.UUID) (Grant, error) {
	k := key{partner: p.PartnerID, client: p.ClientID, handle: handle, org: org}
	c.mu.Lock()
	e, ok := c.entries[k]
	if ok && c.now().Before(e.expires) {
		c.hits++
		c.mu.Unlock()
		return e.grant, e.err
	}
	c.misses++
	asked := c.forgotten
	c.mu.Unlock()
	// The key holds the Forget generation: a request after a Forget never joins a call made before it.
	shared := c.group.DoChan(k.partner.String()+"|"+k.client+"|"+k.org.String()+"|"+handle+"|"+strconv.FormatUint(asked, 10), func() (any, error) {
		// Detached from one caller's cancellation: the answer serves every waiting caller.
		callCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		start := time.Now()
		e, err := c.ask(callCtx, p.Token, handle, org)
		switch {
		case err != nil:
			c.observe(time.Since(start), "error")
		case e.err != nil:
			c.observe(time.Since(start), "deny")
		default:
			c.observe(time.Since(start), "grant")
		}
		if err != nil {
			return nil, err // identity could not answer: nothing is cached
		}
		c.store(k, e, asked)
		return e, nil
	})
	var res singleflight.Result
	select {
	case res = <-shared:
	case <-ctx.Done(): // this caller's time is up; the shared call goes on for the others
		return Grant{}, unavailable(ctx.Err())
	}
	if res.Err != nil {
		return Grant{}, res.Err
	}
	e, ok = res.Val.(entry)
	if !ok {
		return Grant{}, fault.Internal(errors.New("access: the shared call answered no entry"))
	}
	return e.grant, e.err
}

func (c *Checker) ask(ctx context.Context, token, handle string, org uuid.UUID) (entry, error) {
	resp, err := c.client.CheckInstanceAccessWithResponse(ctx, handle, &identity.CheckInstanceAccessParams{OrganizationId: org},
		func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		})
	now := c.now()
	switch {
	case err != nil:
		return entry{}, unavailable(err)
	case resp.StatusCode() == http.StatusOK && resp.JSON200 != nil:
		g := Grant{InstanceID: resp.JSON200.InstanceId, Handle: resp.JSON200.Handle, OrganizationID: resp.JSON200.OrganizationId,
			OwnershipVersion: resp.JSON200.OwnershipVersion, Permissions: make(map[string]bool, len(resp.JSON200.Permissions))}
		for _, p := range resp.JSON200.Permissions {
			g.Permissions[p] = true
		}
		return entry{grant: g, expires: now.Add(c.ttl)}, nil
	case resp.StatusCode() == http.StatusNotFound:
		return entry{err: errNoInstance, expires: now.Add(c.denyTTL)}, nil
	case resp.StatusCode() == http.StatusUnauthorized:
		return entry{err: fault.Unauthenticated("the access token is invalid or expired"), expires: now.Add(c.denyTTL)}, nil
	case resp.StatusCode() == http.StatusBadRequest:
		return entry{err: errNoInstance, expires: now.Add(c.denyTTL)}, nil
	default:
		return entry{}, unavailable(errors.New("identity answered " + resp.Status()))
	}
}

func unavailable(cause error) error {
	return &fault.Error{Kind: fault.KindUnavailable, Detail: "the access check could not be completed; retry shortly", RetryAfter: time.Second, Err: cause}
}

func (c *Checker) store(k key, e entry, asked uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.forgotten != asked {
		return // access narrowed while identity was asked: the answer may predate it
	}
	if len(c.entries) > 50_000 {
		now := c.now()
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
	}
	c.entries[k] = e
}

// Narrowed names whose cached answers a change in identity may have made wrong (identity's change
// stream): any field set matches, zero fields are ignored.
type Narrowed struct {
	Partner      uuid.UUID // a member removed or changed (with Organization), a partner disabled
	Client       string    // a client revoked
	Organization uuid.UUID // a member's organization; an instance's former or new owner
}

func (n Narrowed) matches(k key) bool {
	switch {
	case n.Partner != uuid.Nil && n.Organization != uuid.Nil:
		return k.partner == n.Partner && k.org == n.Organization
	case n.Partner != uuid.Nil:
		return k.partner == n.Partner
	case n.Client != "":
		return k.client == n.Client
	case n.Organization != uuid.Nil:
		return k.org == n.Organization
	}
	return false
}

// Forget drops the cached answers n names, and keeps any answer already being asked for from
// being stored: the next request asks identity again. It returns how many it dropped.
func (c *Checker) Forget(n Narrowed) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forgotten++
	dropped := 0
	for k := range c.entries {
		if n.matches(k) {
			delete(c.entries, k)
			dropped++
		}
	}
	return dropped
}

// Stats returns cache hits and misses since start.
func (c *Checker) Stats() (hits, misses uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses
}

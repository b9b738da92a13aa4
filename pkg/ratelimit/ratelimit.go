// Package ratelimit limits each partner's request rate with a token bucket and tells clients where
// they stand with the IETF RateLimit-Policy and RateLimit headers
// (draft-ietf-httpapi-ratelimit-headers); over the limit, a 429 problem with Retry-After.
package ratelimit

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/fault"
)

// Limiter holds one token bucket per partner. The buckets live in this process: with N replicas
// behind a load balancer a partner gets up to N times the rate, which is the usual trade for not
// putting a shared store on every request.
type Limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[uuid.UUID]*bucket
}

type bucket struct {
	l    *rate.Limiter
	seen time.Time
}

// New returns a limiter allowing perSecond requests per partner on average, burst at once. A
// perSecond of 0 or less disables limiting (nil Limiter).
func New(perSecond float64, burst int) *Limiter {
	if perSecond <= 0 {
		return nil
	}
	if burst < 1 {
		burst = 1
	}
	return &Limiter{rate: rate.Limit(perSecond), burst: burst, buckets: map[uuid.UUID]*bucket{}}
}

func (l *Limiter) bucket(partner uuid.UUID, now time.Time) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[partner]
	if !ok {
		if len(l.buckets) > 100_000 {
			// Forget partners idle long enough for their bucket to be full again.
			full := time.Duration(float64(l.burst)/float64(l.rate)*float64(time.Second)) + time.Second
			for k, v := range l.buckets {
				if now.Sub(v.seen) > full {
					delete(l.buckets, k)
				}
			}
		}
		b = &bucket{l: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[partner] = b
	}
	b.seen = now
	return b.l
}

// Middleware limits authenticated requests (a Principal on the request context); others pass.
func (l *Limiter) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	if l == nil {
		return next
	}
	window := int(math.Ceil(float64(l.burst) / float64(l.rate)))
	policy := fmt.Sprintf(`"partner";q=%d;w=%d`, l.burst, window)
	return func(c echo.Context) error {
		p, ok := accesstoken.FromContext(c.Request().Context())
		if !ok {
			return next(c)
		}
		now := time.Now()
		lim := l.bucket(p.PartnerID, now)
		allowed := lim.AllowN(now, 1)
		tokens := lim.TokensAt(now)
		remaining := int(math.Max(0, math.Floor(tokens)))
		reset := int(math.Ceil((float64(l.burst) - tokens) / float64(l.rate)))
		h := c.Response().Header()
		h.Set("RateLimit-Policy", policy)
		h.Set("RateLimit", fmt.Sprintf(`"partner";r=%d;t=%d`, remaining, max(reset, 0)))
		if !allowed {
			wait := time.Duration((1 - tokens) / float64(l.rate) * float64(time.Second))
			return &fault.Error{Kind: fault.KindRateLimited, RetryAfter: max(wait, time.Second),
				Detail: fmt.Sprintf("rate limit exceeded: %d requests at once, %.0f per second on average", l.burst, float64(l.rate))}
		}
		return next(c)
	}
}

package partner

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed authentications are counted per client_id with a token bucket: a burst of
// failureBurst, refilled one every failureRefill. An empty bucket refuses the client's attempts
// (right or wrong) until it refills, so a secret cannot be guessed online while other clients are
// unaffected. Buckets are per replica, like the request rate limits.
const (
	failureBurst  = 10
	failureRefill = 6 * time.Second
	maxBuckets    = 100_000
)

type failures struct {
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newFailures() *failures { return &failures{buckets: map[string]*rate.Limiter{}} }

// blocked returns how long clientID must wait before its next attempt; 0 when it may try now.
func (f *failures) blocked(clientID string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[clientID]
	if !ok {
		return 0
	}
	tokens := b.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) * float64(failureRefill))
}

// fail counts a failed attempt.
func (f *failures) fail(clientID string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[clientID]
	if !ok {
		if len(f.buckets) >= maxBuckets {
			// Made-up client ids must not grow memory without end: forget full buckets.
			for id, b := range f.buckets {
				if b.TokensAt(now) >= failureBurst {
					delete(f.buckets, id)
				}
			}
		}
		b = rate.NewLimiter(rate.Every(failureRefill), failureBurst)
		f.buckets[clientID] = b
	}
	b.AllowN(now, 1)
}

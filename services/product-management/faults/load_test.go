package faults_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/api/common"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// op is one request of the load, as the checks need it.
type op struct {
	phase      string
	kind       string    // create, read, list
	intended   time.Time // when the schedule meant to send it: latencies are taken from here
	sent, done time.Time
	status     int // 0: no answer (refused, cut, timed out)
	retryAfter bool
	key        string
	body       []byte
}

// load is an open-loop mix of keyed creates and reads at a fixed rate: each request is sent at
// its scheduled time in its own goroutine, whatever the earlier ones are doing, so a stalled
// service shows in the latencies instead of slowing the load (no coordinated omission).
type load struct {
	c     *pm.ClientWithResponses
	rate  int // requests per second
	mu    sync.Mutex
	phase string
	ops   []op
	// acked are the products whose create was answered 201, by key; open are keys whose create
	// got no definite answer (no response, 503): their outcome is learnt by retrying them.
	acked map[string]string // key -> product @id
	open  map[string]bool
	wg    sync.WaitGroup
}

func newLoad(c *pm.ClientWithResponses, rate int) *load {
	return &load{c: c, rate: rate, acked: map[string]string{}, open: map[string]bool{}}
}

func (l *load) setPhase(p string) {
	l.mu.Lock()
	l.phase = p
	l.mu.Unlock()
}

// run sends the load until ctx ends, then waits for the requests in flight.
func (l *load) run(ctx context.Context) {
	tick := time.Second / time.Duration(l.rate)
	next := time.Now()
	for ctx.Err() == nil {
		intended := next
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.one(intended)
		}()
		next = next.Add(tick)
		select {
		case <-ctx.Done():
		case <-time.After(time.Until(next)):
		}
	}
	l.wg.Wait()
}

func (l *load) one(intended time.Time) {
	l.mu.Lock()
	o := op{phase: l.phase, intended: intended}
	var product string
	for _, id := range l.acked { // any acknowledged product (map order is random enough)
		product = id
		break
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o.sent = time.Now()
	switch r := rand.IntN(10); {
	case r < 4 || product == "":
		o.kind, o.key = "create", uuid.NewString()
		l.create(ctx, &o)
		if o.status == http.StatusCreated && rand.IntN(5) == 0 { // a partner retrying a create it saw succeed: a replay
			o.done = time.Now()
			l.mu.Lock()
			l.ops = append(l.ops, o)
			l.mu.Unlock()
			o = op{phase: o.phase, kind: "create", key: o.key, intended: time.Now(), sent: time.Now()}
			l.create(ctx, &o)
		}
	case r < 9:
		o.kind = "read"
		resp, err := l.c.GetProductWithResponse(ctx, idOf(product), nil)
		o.answer(resp, err)
	default:
		o.kind = "list"
		resp, err := l.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{})
		o.answer(resp, err)
	}
	o.done = time.Now()
	l.mu.Lock()
	l.ops = append(l.ops, o)
	l.mu.Unlock()
}

// create sends o's keyed create and records what it learnt of the key.
func (l *load) create(ctx context.Context, o *op) {
	resp, err := l.c.CreateProductWithResponse(ctx, &pm.CreateProductParams{IdempotencyKey: ptr(common.IdempotencyKey(o.key))}, pm.ProductCreate{Title: someTitle(o.key)})
	o.answer(resp, err)
	l.mu.Lock()
	defer l.mu.Unlock()
	if o.status == http.StatusCreated {
		l.acked[o.key] = resp.ApplicationldJSON201.LdID
		delete(l.open, o.key)
	} else if _, done := l.acked[o.key]; !done {
		l.open[o.key] = true
	}
}

type response interface {
	StatusCode() int
}

func (o *op) answer(r response, err error) {
	if err != nil || r == nil {
		return
	}
	o.status = r.StatusCode()
	switch resp := r.(type) {
	case *pm.CreateProductResponse:
		o.body, o.retryAfter = resp.Body, resp.HTTPResponse.Header.Get("Retry-After") != ""
	case *pm.GetProductResponse:
		o.retryAfter = resp.HTTPResponse.Header.Get("Retry-After") != ""
	case *pm.ListProductsResponse:
		o.retryAfter = resp.HTTPResponse.Header.Get("Retry-After") != ""
	}
}

// settle retries every create whose outcome is unknown, with its key, until it is answered 201:
// the retry replays the one effect, or runs the request when nothing took effect.
func (l *load) settle(ctx context.Context) (settled int, err error) {
	l.mu.Lock()
	keys := make([]string, 0, len(l.open))
	for k := range l.open {
		keys = append(keys, k)
	}
	l.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		for {
			o := op{phase: "settle", kind: "create", key: k, sent: time.Now(), intended: time.Now()}
			l.create(ctx, &o)
			o.done = time.Now()
			l.mu.Lock()
			l.ops = append(l.ops, o)
			l.mu.Unlock()
			if o.status == http.StatusCreated {
				settled++
				break
			}
			if err := ctx.Err(); err != nil {
				return settled, err
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return settled, nil
}

func (l *load) snapshot() []op {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]op(nil), l.ops...)
}

// idOf is the id at the end of an IRI.
func idOf(iri string) uuid.UUID {
	id, _ := uuid.Parse(iri[len(iri)-36:])
	return id
}

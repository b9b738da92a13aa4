// Package readreplicas sends reads to PostgreSQL streaming standbys without losing
// read-your-writes, as GitLab's database load balancing does: a write's answer carries a
// consistency token, the primary's WAL position once it committed; a read with a token goes to a
// standby that has replayed at least that far (waiting a little for one), else to the primary. A
// read without one may go to any standby no further behind than the lag bound. The router learns
// each standby's replay position by asking it every PollEvery; a standby that does not answer, or
// lags past the bound, leaves the rotation until it answers and catches up.
package readreplicas

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// LSN is a WAL position (pg_lsn): what a consistency token carries.
type LSN uint64

// ParseLSN reads PostgreSQL's text form, "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok {
		return 0, fmt.Errorf("readreplicas: %q is not a WAL position", s)
	}
	h, err := strconv.ParseUint(hi, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("readreplicas: %q is not a WAL position", s)
	}
	l, err := strconv.ParseUint(lo, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("readreplicas: %q is not a WAL position", s)
	}
	return LSN(h<<32 | l), nil
}

func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// Options tune a Router.
type Options struct {
	MaxLag    time.Duration // a standby further behind leaves the rotation (default 1 s)
	Wait      time.Duration // how long a read with a token waits for a standby to catch up (default 100 ms)
	PollEvery time.Duration // how often each standby is asked its replay position (default 50 ms)
	Logger    *slog.Logger
}

// Router picks the pool a read goes to.
type Router struct {
	primary  *pgxpool.Pool
	standbys []*standby
	opts     Options

	mu      sync.Mutex
	history []sample // the primary's WAL positions over the last MaxLag and a little more

	primaryServed atomic.Int64
	// issuedMax is the highest token handed out for a write: with no standby to poll, what a read
	// on the primary is known to see.
	issuedMax atomic.Uint64
}

type sample struct {
	at  time.Time
	lsn LSN
}

type standby struct {
	pool     *pgxpool.Pool
	name     string
	replayed atomic.Uint64 // the last replay position it reported
	inRota   atomic.Bool
	served   atomic.Int64
}

// New returns a router over the primary and its standbys; Run keeps it informed.
func New(primary *pgxpool.Pool, standbys []*pgxpool.Pool, opts Options) *Router {
	if opts.MaxLag <= 0 {
		opts.MaxLag = time.Second
	}
	if opts.Wait <= 0 {
		opts.Wait = 100 * time.Millisecond
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = 50 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Router{primary: primary, opts: opts}
	for _, p := range standbys {
		c := p.Config().ConnConfig
		r.standbys = append(r.standbys, &standby{pool: p, name: fmt.Sprintf("%s:%d", c.Host, c.Port)})
	}
	return r
}

// Token is the consistency token of what has committed on the primary so far: taken after a
// write's commit, a read that sends it back sees the write.
func (r *Router) Token(ctx context.Context) (LSN, error) { return currentLSN(ctx, r.primary) }

func currentLSN(ctx context.Context, pool *pgxpool.Pool) (LSN, error) {
	var s string
	if err := pool.QueryRow(ctx, `select pg_current_wal_lsn()::text`).Scan(&s); err != nil {
		return 0, err
	}
	return ParseLSN(s)
}

// ErrNoStandby says a server answered that it is no standby (a promoted one, say).
var ErrNoStandby = errors.New("readreplicas: the server is not a standby")

// For returns the pool a read goes to: with a token (non-zero), a standby in rotation that has
// replayed it, waiting up to Wait for one; without, any standby in rotation; else the primary.
func (r *Router) For(ctx context.Context, token LSN) *pgxpool.Pool {
	pool, _ := r.Choose(ctx, token)
	return pool
}

// Choose is For that also says how far the chosen server is known to be: what a read's answer can
// promise (its consistency token).
func (r *Router) Choose(ctx context.Context, token LSN) (*pgxpool.Pool, LSN) {
	if token == maxLSN {
		r.primaryServed.Add(1)
		return r.primary, r.primaryKnown()
	}
	if s := r.pick(token); s != nil {
		return s.pool, LSN(s.replayed.Load())
	}
	if token == 0 || r.InRotation() == 0 {
		r.primaryServed.Add(1)
		return r.primary, max(token, r.primaryKnown())
	}
	// Ask the standbys in rotation directly until one has replayed the token: the poll's view is
	// up to PollEvery old, and a standby usually replays a commit within milliseconds.
	deadline := time.Now().Add(r.opts.Wait)
	for {
		for _, s := range r.standbys {
			if !s.inRota.Load() {
				continue
			}
			if lsn, err := replayed(ctx, s.pool); err == nil && lsn >= token {
				s.advance(lsn)
				s.served.Add(1)
				return s.pool, lsn
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.primaryServed.Add(1)
			return r.primary, max(token, r.primaryKnown())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// InRotation counts the standbys serving reads now.
func (r *Router) InRotation() int {
	n := 0
	for _, s := range r.standbys {
		if s.inRota.Load() {
			n++
		}
	}
	return n
}

// Primary is the primary's pool.
func (r *Router) Primary() *pgxpool.Pool { return r.primary }

// Standbys counts the standbys the router knows, in rotation or not.
func (r *Router) Standbys() int { return len(r.standbys) }

// primaryKnown is the primary's WAL position at the last poll, or the last write token issued
// when there is no standby (and no poll): a read on the primary sees at least that.
func (r *Router) primaryKnown() LSN {
	r.mu.Lock()
	defer r.mu.Unlock()
	known := LSN(r.issuedMax.Load())
	if len(r.history) > 0 {
		known = max(known, r.history[len(r.history)-1].lsn)
	}
	return known
}

// issued records a write token handed out.
func (r *Router) issued(lsn LSN) {
	for {
		old := r.issuedMax.Load()
		if uint64(lsn) <= old || r.issuedMax.CompareAndSwap(old, uint64(lsn)) {
			return
		}
	}
}

// leave takes the standby of pool out of the rotation until the next poll finds it answering and
// caught up.
func (r *Router) leave(pool *pgxpool.Pool, err error) {
	for _, s := range r.standbys {
		if s.pool == pool && s.inRota.Swap(false) {
			r.opts.Logger.Warn("a standby left the read rotation: a read on it failed", "standby", s.name, "error", err)
		}
	}
}

// advance raises the standby's known replay position to lsn, never lowering it: a direct answer
// racing a poll must not put back a position the poll has already replaced.
func (s *standby) advance(lsn LSN) {
	for {
		old := s.replayed.Load()
		if uint64(lsn) <= old || s.replayed.CompareAndSwap(old, uint64(lsn)) {
			return
		}
	}
}

// replayed asks a standby how far it has replayed; a server out of recovery (a promoted standby,
// a primary) answers ErrNoStandby: it leaves the rotation.
func replayed(ctx context.Context, pool *pgxpool.Pool) (LSN, error) {
	var text *string
	if err := pool.QueryRow(ctx, `select case when pg_is_in_recovery() then pg_last_wal_replay_lsn()::text end`).Scan(&text); err != nil {
		return 0, err
	}
	if text == nil {
		return 0, ErrNoStandby
	}
	return ParseLSN(*text)
}

func (r *Router) pick(token LSN) *standby {
	n := len(r.standbys)
	if n == 0 {
		return nil
	}
	start := rand.IntN(n)
	for i := range n {
		s := r.standbys[(start+i)%n]
		if s.inRota.Load() && LSN(s.replayed.Load()) >= token {
			s.served.Add(1)
			return s
		}
	}
	return nil
}

// Served counts the reads each standby (by host:port) was chosen for, and the primary's under
// "primary".
func (r *Router) Served() map[string]int64 {
	out := map[string]int64{"primary": r.primaryServed.Load()}
	for _, s := range r.standbys {
		out[s.name] = s.served.Load()
	}
	return out
}

// Register exports the reads each server was chosen for (db_reads_total{server}) and whether each
// standby is in the rotation (db_standby_in_rotation{server}).
func (r *Router) Register(reg prometheus.Registerer) {
	reads := func(server string, n func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "db_reads_total",
			Help: "Reads routed to each database server (primary, or a standby's host:port).", ConstLabels: prometheus.Labels{"server": server}},
			func() float64 { return float64(n()) })
	}
	reg.MustRegister(reads("primary", r.primaryServed.Load))
	for _, s := range r.standbys {
		reg.MustRegister(reads(s.name, s.served.Load), prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "db_standby_in_rotation",
			Help: "1 while a standby serves reads (answering, and no further behind than REPLICA_MAX_LAG).", ConstLabels: prometheus.Labels{"server": s.name}},
			func() float64 {
				if s.inRota.Load() {
					return 1
				}
				return 0
			}))
	}
}

// Run asks the primary its position and each standby its replay position every PollEvery until
// ctx ends.
func (r *Router) Run(ctx context.Context) {
	if len(r.standbys) == 0 { // nothing to route: no polls
		<-ctx.Done()
		return
	}
	// Polls go through pools of one connection of their own: they never wait behind requests for
	// a connection, and one cut by its timeout costs no request's connection.
	pollers := make([]*pgxpool.Pool, 0, len(r.standbys)+1)
	for _, p := range append([]*pgxpool.Pool{r.primary}, r.poolsOfStandbys()...) {
		cfg := p.Config() // a copy
		cfg.MinConns, cfg.MaxConns = 0, 1
		cfg.ConnConfig.Tracer = nil // 20 polls a second are no one's trace
		poller, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil { // a config that was valid for the pool is valid here
			r.opts.Logger.Error("read replicas: no poller", "error", err)
			return
		}
		defer poller.Close()
		pollers = append(pollers, poller)
	}
	t := time.NewTicker(r.opts.PollEvery)
	defer t.Stop()
	for {
		r.poll(ctx, pollers[0], pollers[1:])
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Router) poolsOfStandbys() []*pgxpool.Pool {
	out := make([]*pgxpool.Pool, len(r.standbys))
	for i, s := range r.standbys {
		out[i] = s.pool
	}
	return out
}

// poll takes one round of positions through the pollers (the primary's, then each standby's).
func (r *Router) poll(ctx context.Context, primary *pgxpool.Pool, standbys []*pgxpool.Pool) {
	// Bounded by MaxLag, not by PollEvery: a poll cut short closes its connection, and one that
	// must connect again every time on a slow link would never answer.
	ctx, cancel := context.WithTimeout(ctx, max(2*r.opts.PollEvery, r.opts.MaxLag))
	defer cancel()
	now := time.Now()
	if lsn, err := currentLSN(ctx, primary); err == nil {
		r.mu.Lock()
		r.history = append(r.history, sample{at: now, lsn: lsn})
		for len(r.history) > 1 && now.Sub(r.history[1].at) > r.opts.MaxLag {
			r.history = r.history[1:]
		}
		r.mu.Unlock()
	}
	// A standby is in rotation when it has replayed what the primary had written MaxLag ago; until
	// a sample is that old (after a start, or while the primary does not answer), the oldest
	// sample bounds it, which is stricter; with none, no standby is in.
	r.mu.Lock()
	bounded := len(r.history) > 0
	var bound LSN
	if bounded {
		bound = r.history[0].lsn
	}
	for _, h := range r.history {
		if now.Sub(h.at) >= r.opts.MaxLag {
			bound = h.lsn
		}
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for i, s := range r.standbys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lsn, err := replayed(ctx, standbys[i])
			if err != nil { // down, or not a standby (promoted): out of rotation
				if s.inRota.Swap(false) {
					r.opts.Logger.Warn("a standby left the read rotation: it does not answer as a standby", "standby", s.name, "error", err)
				}
				return
			}
			s.replayed.Store(uint64(lsn))
			in := bounded && lsn >= bound
			if was := s.inRota.Swap(in); was != in {
				r.opts.Logger.Info("a standby's read rotation changed", "standby", s.name, "in", in, "replayed", lsn, "bound", bound)
			}
		}()
	}
	wg.Wait()
}

// Read runs read on the pool For picks; when that is a standby and it fails for want of the
// server (down, restarting, promoted), the standby leaves the rotation and read runs again on the
// primary: a standby lost mid-load costs no failed read. Errors of the read itself are returned.
func (r *Router) Read(ctx context.Context, token LSN, read func(pool *pgxpool.Pool) error) error {
	pool := r.For(ctx, token)
	err := read(pool)
	if err == nil || pool == r.primary || ctx.Err() != nil || !r.failedOn(pool, err) {
		return err
	}
	return read(r.primary)
}

// failedOn says whether a read that failed with err on the standby of pool runs again on the
// primary (standbyFailed), taking the standby out of the rotation when it could not serve.
func (r *Router) failedOn(pool *pgxpool.Pool, err error) (retry bool) {
	retry, leave := standbyFailed(err)
	if leave {
		r.leave(pool, err)
	}
	return retry
}

// Package pgpool opens the pgx pools of Flowkiwi services, configured the same way everywhere: the
// google/uuid codec, UTC sessions, a statement timeout, and bounds on connecting and on waiting
// for a connection, so that a database that is down or overloaded makes requests fail fast (503)
// instead of hanging.
package pgpool

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// Defaults of Options.
const (
	DefaultStatementTimeout = 5 * time.Second
	DefaultAcquireTimeout   = 3 * time.Second
	DefaultConnectTimeout   = 3 * time.Second
	// DefaultIdleInTransactionTimeout ends a session whose transaction waits this long for its
	// next statement: a service cut off from the database by the network (its process alive, its
	// packets lost) would otherwise hold its transaction's locks (an idempotency key, a feed's
	// head) until TCP gives up, hours later.
	DefaultIdleInTransactionTimeout = 10 * time.Second
)

// Options tune a pool; zero fields take the defaults.
type Options struct {
	// StatementTimeout ends any statement running longer (PostgreSQL's statement_timeout; the
	// request gets a 503). Migrations run without it.
	StatementTimeout time.Duration
	// AcquireTimeout bounds the wait for a connection from the pool (all busy, or the database
	// does not answer).
	AcquireTimeout time.Duration
	// Tracer sees every statement (tracing, tests counting queries); may be nil.
	Tracer pgx.QueryTracer
}

// Config parses url and applies opts. It registers the google/uuid codec on every connection:
// without it pgx encodes uuid.UUID through driver.Valuer (a string round trip), which dominated the
// cost of queries taking id arrays.
func Config(url string, opts Options) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		pgxuuid.Register(conn.TypeMap())
		return nil
	}
	if opts.StatementTimeout <= 0 {
		opts.StatementTimeout = DefaultStatementTimeout
	}
	if opts.AcquireTimeout <= 0 {
		opts.AcquireTimeout = DefaultAcquireTimeout
	}
	if _, set := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !set { // the URL's own setting wins
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if _, set := cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt(DefaultIdleInTransactionTimeout.Milliseconds(), 10)
	}
	// Sessions run in UTC whatever the server's or the URL's timezone: times that SQL renders as
	// text (product-management's documents and events) then read the same as those Go renders.
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	tracers := []pgx.QueryTracer{acquireBound(opts.AcquireTimeout)}
	if opts.Tracer != nil {
		tracers = append(tracers, opts.Tracer)
	}
	cfg.ConnConfig.Tracer = multitracer.New(tracers...)
	return cfg, nil
}

// NewEach opens a pool on each of urls (connections made lazily, so a server down now costs
// nothing until used); close closes them all.
func NewEach(ctx context.Context, urls []string, opts Options) (pools []*pgxpool.Pool, close func(), err error) {
	close = func() {
		for _, p := range pools {
			p.Close()
		}
	}
	for _, url := range urls {
		p, err := New(ctx, url, opts)
		if err != nil {
			close()
			return nil, func() {}, err
		}
		pools = append(pools, p)
	}
	return pools, close, nil
}

// New opens a pool on url (connections are made lazily; Ping to check).
func New(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	cfg, err := Config(url, opts)
	if err != nil {
		return nil, err
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// Open opens a pool on url and checks within 10 seconds that the database answers, so a wrong
// DATABASE_URL fails at start-up with a clear error.
func Open(ctx context.Context, url string, opts Options) (*pgxpool.Pool, error) {
	pool, err := New(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: cannot reach DATABASE_URL: %w", err)
	}
	return pool, nil
}

// acquireBound puts a deadline on acquiring a connection (pgxpool has no setting for it): the
// context the pool waits with ends after d, and only that wait; the statements that follow run
// under the request's own context and the statement timeout.
type acquireBound time.Duration

type cancelKey struct{}

func (d acquireBound) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(d))
	return context.WithValue(ctx, cancelKey{}, cancel)
}

func (acquireBound) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

// The query hooks are no-ops: multitracer wants every tracer to be a QueryTracer.
func (acquireBound) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}
func (acquireBound) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

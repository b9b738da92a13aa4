package readreplicas

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/clients/consistencytoken"
	"github.com/flowkiwi/platform/pkg/pgtx"
)

// Header carries consistency tokens: on every answer of the partners' API, and on a read that
// must see what an earlier answer saw.
const Header = consistencytoken.Header

// Table is where each API client's last write is kept on the primary (each service's migrations
// create it): client_id text primary key, token pg_lsn, written_at timestamptz.
const Table = "client_write_tokens"

// Consistency is the HTTP side of the router: a write's answer carries the primary's WAL position
// after its commit; a read goes to the server Router.Choose picks for the later of the token it
// sent and its client's last write in the last StickFor (GitLab's sticking). The last write is
// kept per client on the primary, written by the statement that takes the write's token; a read
// looks it up there, one statement for all the reads waiting at that moment. Memory would not do: a write answered by another replica must be known here
// before its client can ask, and no message between replicas is sure to beat the client.
// Statements of a read run on the chosen pool (pgtx.Reading); a read that fails because its
// standby went away runs again on the primary.
type Consistency struct {
	Router *Router
	// Applies reports the requests that get tokens (the partners' API); others run on the
	// primary, untouched.
	Applies func(echo.Context) bool
	// Client names who asks, for sticking; "" sticks nothing. Nil: the API client of the
	// request's access token (pkg/accesstoken).
	Client func(echo.Context) string
	// StickFor is how long a client's reads wait for its last write (default 30 s: a standby in
	// rotation is at most MaxLag behind, so they seldom wait at all).
	StickFor time.Duration
	Logger   *slog.Logger

	mu       sync.Mutex
	queued   []*lastWrite // lookups waiting for the next statement
	flushing bool         // a goroutine is making the lookups' statements
}

// lastWrite is a read's lookup of its client's last write.
type lastWrite struct {
	client string
	token  LSN
	known  bool
	done   chan struct{}
}

// NewConsistency routes reads over primary and standbys (none: all on the primary), with the
// router's metrics registered on reg.
func NewConsistency(primary *pgxpool.Pool, standbys []*pgxpool.Pool, maxLag time.Duration, logger *slog.Logger, reg prometheus.Registerer) *Consistency {
	r := New(primary, standbys, Options{MaxLag: maxLag, Logger: logger})
	r.Register(reg)
	return &Consistency{Router: r, Logger: logger}
}

// client names who asks: Client's answer, else the access token's API client.
func (c *Consistency) client(ec echo.Context) string {
	if c.Client != nil {
		return c.Client(ec)
	}
	p, _ := accesstoken.FromContext(ec.Request().Context())
	return p.ClientID
}

// Middleware routes the requests Applies to.
func (c *Consistency) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(ec echo.Context) error {
			if c == nil || c.Router == nil || !c.Applies(ec) {
				return next(ec)
			}
			req := ec.Request()
			if req.Method != http.MethodGet && req.Method != http.MethodHead {
				// The token is taken as the answer's header is written to this writer: after
				// the write committed, also when a middleware inside (idempotency keys) holds
				// the answer in a recorder until its transaction commits, and with no
				// connection of the request's still held (taken before, a keyed request held
				// one and waited for another: with a small pool, a deadlock until timeouts).
				// An answer of 400 or above changed nothing: it gets a token, and its client is not
				// made to stick for it.
				res := ec.Response()
				res.Writer = &tokenWriter{ResponseWriter: res.Writer, take: func(status int) string {
					client := c.client(ec)
					if status >= 500 {
						return ""
					} else if status >= 400 {
						client = ""
					}
					lsn, err := c.wrote(req.Context(), client)
					if err != nil {
						return ""
					}
					return lsn.String()
				}}
				return next(ec)
			}
			token, _ := ParseToken(req.Header.Get(Header)) // the spec's pattern refused a malformed one
			ctx := req.Context()
			if len(c.Router.standbys) > 0 {
				// A token sent does not end sticking: it may be older than the client's own last
				// write (another worker's, an earlier read's). Not knowing the last write, the
				// read goes to the primary, which has every write.
				last, known := c.lastWrite(ctx, c.client(ec))
				if !known {
					last = maxLSN
				}
				token = max(token, last)
			}
			pool, seen := c.Router.Choose(ctx, token) // seen: at least token, but for maxLSN
			ec.Response().Header().Set(Header, seen.String())
			ec.SetRequest(req.WithContext(pgtx.Reading(ctx, pool)))
			err := next(ec)
			if err == nil || pool == c.Router.primary || ec.Response().Committed || ctx.Err() != nil {
				return err
			}
			if !c.Router.failedOn(pool, err) {
				return err
			}
			if readOnly(err) {
				c.logger().Warn("a read wrote: it ran again on the primary", "path", ec.Path(), "error", err)
			}
			ec.SetRequest(req.WithContext(pgtx.Reading(ctx, c.Router.primary)))
			return next(ec)
		}
	}
}

// maxLSN is past every position: a read asked for it goes to the primary.
const maxLSN = ^LSN(0)

// tokenWriter sets the consistency token when the answer's header is written.
type tokenWriter struct {
	http.ResponseWriter
	take    func(status int) string
	written bool
}

func (w *tokenWriter) WriteHeader(status int) {
	if !w.written {
		w.written = true
		if token := w.take(status); token != "" {
			w.Header().Set(Header, token)
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *tokenWriter) Write(b []byte) (int, error) {
	if !w.written {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer (flushes, deadlines).
func (w *tokenWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ParseToken reads a consistency token ("" is none).
func ParseToken(s string) (LSN, error) {
	if s == "" {
		return 0, nil
	}
	return ParseLSN(s)
}

// readOnly reports a write refused by a standby.
func readOnly(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "25006"
}

// wrote takes the token of client's write that just committed and, when there are standbys,
// keeps it as the client's last write in the same statement.
func (c *Consistency) wrote(ctx context.Context, client string) (LSN, error) {
	if len(c.Router.standbys) == 0 || client == "" {
		lsn, err := c.Router.Token(ctx)
		if err == nil {
			c.Router.issued(lsn)
		}
		return lsn, err
	}
	var text string
	err := c.Router.primary.QueryRow(ctx, `insert into `+Table+` as w (client_id, token, written_at)
		values ($1, pg_current_wal_lsn(), now())
		on conflict (client_id) do update set token = greatest(w.token, excluded.token), written_at = excluded.written_at
		returning token::text`, client).Scan(&text)
	if err != nil {
		return 0, err
	}
	lsn, err := ParseLSN(text)
	if err == nil {
		c.Router.issued(lsn)
	}
	return lsn, err
}

func (c *Consistency) stickFor() time.Duration {
	if c.StickFor > 0 {
		return c.StickFor
	}
	return 30 * time.Second
}

func (c *Consistency) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

// lastWrite is the token of client's last write if it was in the last StickFor (else 0), read
// from the primary with the lookups of every read waiting meanwhile. known is false when the
// primary did not answer: the read then goes to the primary, which has every write (or fails
// as it would have without standbys).
func (c *Consistency) lastWrite(ctx context.Context, client string) (token LSN, known bool) {
	if client == "" {
		return 0, true
	}
	l := &lastWrite{client: client, done: make(chan struct{})}
	c.mu.Lock()
	c.queued = append(c.queued, l)
	if !c.flushing {
		c.flushing = true
		go c.flush(context.WithoutCancel(ctx))
	}
	c.mu.Unlock()
	select {
	case <-l.done:
		return l.token, l.known
	case <-ctx.Done():
		return 0, false
	}
}

// flush makes the queued lookups' statements, one at a time, until none is queued: lookups that
// arrive while one runs go together into the next.
func (c *Consistency) flush(ctx context.Context) {
	for {
		c.mu.Lock()
		batch := c.queued
		c.queued = nil
		if len(batch) == 0 {
			c.flushing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.lookUp(ctx, batch)
	}
}

func (c *Consistency) lookUp(ctx context.Context, batch []*lastWrite) {
	defer func() {
		for _, l := range batch {
			close(l.done)
		}
	}()
	clients := make([]string, 0, len(batch))
	for _, l := range batch {
		clients = append(clients, l.client)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	rows, err := c.Router.primary.Query(ctx, `select client_id, token::text from `+Table+`
		where client_id = any($1) and written_at > now() - make_interval(secs => $2)`, clients, c.stickFor().Seconds())
	tokens := map[string]LSN{}
	if err == nil {
		for rows.Next() {
			var client, text string
			if err = rows.Scan(&client, &text); err != nil {
				break
			}
			if lsn, perr := ParseLSN(text); perr == nil {
				tokens[client] = lsn
			}
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		c.logger().Warn("read replicas: the last writes of reading clients could not be read; their reads go to the primary", "error", err)
		return
	}
	for _, l := range batch {
		l.token, l.known = tokens[l.client], true
	}
}

// Run keeps the router informed until ctx ends.
func (c *Consistency) Run(ctx context.Context) { c.Router.Run(ctx) }

// standbyFailed says whether a read that failed on a standby runs again on the primary (retry)
// and whether the standby leaves the rotation (leave): it could not serve at all (unreachable,
// shutting down, its connection lost: both), or it refused the read for being a standby (a write,
// a conflict with recovery: retry only). Other errors (a statement timeout, a bad request) would
// fail on the primary too: neither.
func standbyFailed(err error) (retry, leave bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03":
			return true, true
		case pe.Code == "25006", // read_only_sql_transaction: the read tried to write
			strings.Contains(pe.Message, "conflict with recovery"):
			return true, false
		}
		return false, false
	}
	var ce *pgconn.ConnectError
	lost := errors.As(err, &ce) || errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
	return lost, lost
}

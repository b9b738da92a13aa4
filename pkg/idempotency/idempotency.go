// Package idempotency makes retries of POST requests safe (the IETF httpapi Idempotency-Key
// draft, as Stripe does it): the first request with a key runs and its outcome is kept; a retry
// with the same key and the same request answers that outcome again and does nothing else. Keys
// live in the service's own database (a table idempotency_keys, in each service's migrations), so
// every replica sees them.
//
// A keyed request runs in one transaction (pgtx) that the domain's changes join and that records
// the outcome before it commits (Stripe's atomic phases, in one phase): a crash at any instant
// leaves either no effect and no outcome (the retry runs the request) or the effect with its
// outcome (the retry replays it), and the answer is sent only once both are committed. A
// transaction-scoped advisory lock on the key makes concurrent attempts one effect: the first to
// take it runs, the others are told to retry at once (409 with Retry-After); the lock ends with
// its transaction, so a request that dies frees its key with its connection (a connection cut off
// by the network: with pgpool's idle_in_transaction_session_timeout), not after a lease. An
// answer of 400 or above rolls its transaction back (whatever the domain wrote is undone) and, when
// it is kept, is recorded by a transaction of its own.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/failpoint"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/pkg/pgerr"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/pkg/requestvalidation"
)

// Header is the request header carrying the key; Replayed marks an answer given again.
const (
	Header   = "Idempotency-Key"
	Replayed = "Idempotent-Replayed"
)

// Defaults.
const (
	TTL       = 24 * time.Hour                     // how long an outcome is kept
	bodyLimit = requestvalidation.DefaultBodyLimit // larger bodies are the body limit's to refuse (413)
)

// kept are the response headers an outcome keeps; the rest (request ids, rate limits, dates)
// belong to each answer.
var kept = []string{"Content-Type", "Location", "Etag", "Cache-Control", "Link"}

// Keys stores outcomes in PostgreSQL.
type Keys struct {
	// BodyLimit is the largest body of a request's route (nil: requestvalidation's default); a
	// body above the default is spooled to a temporary file.
	BodyLimit func(c echo.Context) int64

	pool   *pgxpool.Pool
	now    func() time.Time
	logger *slog.Logger
}

// New returns Keys over pool; logger (not nil) hears of outcomes that could not be kept.
func New(pool *pgxpool.Pool, logger *slog.Logger) *Keys {
	return &Keys{pool: pool, now: time.Now, logger: logger}
}

// Scope names whose keys a request uses (a partner; a partner on an instance); false when the
// request has none (unauthenticated), which turns idempotency off for it.
type Scope func(c echo.Context) (string, bool)

// ParseKey reads a header value: a bare token or an sf-string ("..."), 1 to 255 printable ASCII
// characters.
func ParseKey(raw string) (string, error) {
	k := strings.TrimSpace(raw)
	if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
		k = strings.ReplaceAll(strings.ReplaceAll(k[1:len(k)-1], `\"`, `"`), `\\`, `\`)
	}
	if k == "" || len(k) > 255 {
		return "", badKey("an idempotency key is 1 to 255 characters long")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", badKey("an idempotency key is printable ASCII")
		}
	}
	return k, nil
}

func badKey(msg string) error {
	return &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: "header." + Header, Code: "invalid_idempotency_key", Message: msg}}}
}

// outcome is what a kept answer stores beside its body.
type outcome struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
}

// stored is a kept answer read back.
type stored struct {
	fingerprint, outcome, body []byte
}

// Middleware applies keys to POST requests that send one; scope names their owner.
func (k *Keys) Middleware(scope Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			if req.Method != http.MethodPost { // the method first: nothing more on the read path
				return next(c)
			}
			raw := req.Header.Get(Header)
			if raw == "" {
				return next(c)
			}
			owner, ok := scope(c)
			if !ok {
				return next(c)
			}
			key, err := ParseKey(raw)
			if err != nil {
				return err
			}
			body, err := k.readBody(c)
			if err != nil {
				return err
			}
			defer body.close()
			return k.serve(c, next, owner, key, body.sum, body)
		}
	}
}

// requestBody is a keyed request's body, read once: in memory, or spooled to a temporary file
// when larger than bodyLimit (an import's file), so a body costs no more memory than a small one
// whatever its size, and each attempt reads it afresh.
type requestBody struct {
	mem  []byte
	file *os.File
	sum  []byte // the request's fingerprint: sha256 of its method, target and body
}

func (b *requestBody) open() io.Reader {
	if b.file == nil {
		return bytes.NewReader(b.mem)
	}
	return io.NewSectionReader(b.file, 0, 1<<62)
}

func (b *requestBody) close() {
	if b.file != nil {
		b.file.Close()
		os.Remove(b.file.Name())
	}
}

// readBody reads the body up to the route's limit; a larger one is a 413.
func (k *Keys) readBody(c echo.Context) (*requestBody, error) {
	req := c.Request()
	limit := int64(bodyLimit)
	if k.BodyLimit != nil {
		limit = k.BodyLimit(c)
	}
	h := sha256.New()
	h.Write([]byte(req.Method + " " + req.URL.RequestURI() + "\n"))
	mem, err := io.ReadAll(io.LimitReader(req.Body, bodyLimit+1))
	if err != nil {
		return nil, bodyUnread(err)
	}
	b := &requestBody{mem: mem}
	switch {
	case int64(len(mem)) <= bodyLimit:
		h.Write(mem)
	case limit <= bodyLimit:
		return nil, &fault.Error{Kind: fault.KindTooLarge, Detail: fmt.Sprintf("the request body is larger than %d bytes", limit)}
	default:
		f, err := os.CreateTemp("", "idempotency-body-*")
		if err != nil {
			return nil, err
		}
		b.file, b.mem = f, nil
		n, err := io.Copy(io.MultiWriter(f, h), io.MultiReader(bytes.NewReader(mem), io.LimitReader(req.Body, limit+1-int64(len(mem)))))
		if err != nil {
			b.close()
			return nil, bodyUnread(err)
		}
		if n > limit {
			b.close()
			return nil, &fault.Error{Kind: fault.KindTooLarge, Detail: fmt.Sprintf("the request body is larger than %d bytes", limit)}
		}
	}
	b.sum = h.Sum(nil)
	req.Body = io.NopCloser(b.open())
	return b, nil
}

func bodyUnread(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return &fault.Error{Kind: fault.KindTooLarge, Detail: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}
	}
	return fault.BadRequest("the request body could not be read")
}

// lockOf is the advisory lock of an owner's key.
func lockOf(owner, key string) int64 {
	sum := sha256.Sum256([]byte(owner + "\x00" + key))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

var (
	errBusy     = errors.New("idempotency: the key is held")
	errRollBack = errors.New("idempotency: an answer of 400 or above undoes its transaction")
)

func (k *Keys) serve(c echo.Context, next echo.HandlerFunc, owner, key string, fingerprint []byte, body *requestBody) error {
	req, res := c.Request(), c.Response()
	ctx, writer := req.Context(), res.Writer
	headers := res.Header().Clone() // as the request found them: each attempt starts from them
	defer func() {
		if p := recover(); p != nil { // the transaction is rolled back; the panic is answered outside, on the real writer
			c.SetRequest(req)
			res.Writer, res.Committed = writer, false
			restore(res.Header(), headers)
			panic(p)
		}
	}()
	var replay *stored
	var answer *recorder
	err := pgtx.Atomically(ctx, k.pool, func(ctx context.Context) error {
		replay, answer = nil, nil
		restore(res.Header(), headers)
		tx, _ := pgtx.In(ctx)
		found, err := k.take(ctx, tx, owner, key)
		if err != nil {
			return err
		}
		if found != nil {
			if !bytes.Equal(found.fingerprint, fingerprint) {
				return reused()
			}
			replay = found
			return nil
		}
		answer = &recorder{header: res.Header(), status: http.StatusOK}
		res.Writer, res.Committed, res.Status, res.Size = answer, false, http.StatusOK, 0
		attempt := req.WithContext(ctx)
		attempt.Body = io.NopCloser(body.open()) // each attempt reads the body afresh
		c.SetRequest(attempt)
		herr := next(c)
		c.SetRequest(req)
		if herr != nil {
			if pgerr.Retryable(herr) {
				return herr // a deadlock or serialization failure: the whole attempt again
			}
			c.Error(apiserver.PastDeadline(ctx, herr)) // render the problem now, into the recorder
		}
		if answer.status >= http.StatusBadRequest {
			return errRollBack
		}
		if err := k.record(ctx, tx, owner, key, fingerprint, answer); err != nil {
			return err
		}
		failpoint.Hit("idempotency/before-commit") // the effect and its outcome written (the staged events next), not committed
		return nil
	})
	c.SetRequest(req)
	res.Writer, res.Committed, res.Size = writer, false, 0
	switch {
	case errors.Is(err, errRollBack):
		if keeps(answer.status) {
			k.recordAlone(context.WithoutCancel(ctx), owner, key, fingerprint, answer)
		}
		return send(res, answer.status, answer.body.Bytes())
	case err != nil:
		restore(res.Header(), headers) // nothing of the answer, whose commit failed
		if errors.Is(err, errBusy) {
			return busy()
		}
		return pgerr.Wrap(err)
	case replay != nil:
		return k.replay(res, key, replay)
	}
	failpoint.Hit("idempotency/after-commit") // committed, nothing answered
	if err := send(res, answer.status, answer.body.Bytes()); err != nil {
		return err
	}
	if failpoint.Enabled {
		res.Flush() // the answer reaches the client before the process may die
		failpoint.Hit("idempotency/after-response")
	}
	return nil
}

// take locks the key for the transaction and reads its kept outcome, if any: errBusy when another
// request holds it (or the previous version's claim does, during a rollout).
func (k *Keys) take(ctx context.Context, tx pgx.Tx, owner, key string) (*stored, error) {
	b := &pgx.Batch{}
	b.Queue(`select pg_try_advisory_xact_lock($1)`, lockOf(owner, key))
	// A statement of its own: its snapshot is taken once the lock is held, so it sees the outcome
	// of the attempt that held it last.
	b.Queue(`select fingerprint, status, outcome, body, coalesce(locked_until > $3, false) from idempotency_keys
		where scope = $1 and key = $2 and expires_at > $3`, owner, key, k.now())
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	var locked bool
	if err := br.QueryRow().Scan(&locked); err != nil {
		return nil, err
	}
	var s stored
	var status *int
	var claimed bool
	err := br.QueryRow().Scan(&s.fingerprint, &status, &s.outcome, &s.body, &claimed)
	switch {
	case !locked:
		return nil, errBusy
	case errors.Is(err, pgx.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	case status == nil && claimed:
		return nil, errBusy
	case status == nil: // a claim of the previous version whose request died: run again
		return nil, nil
	}
	return &s, nil
}

// record keeps the answer in the transaction of its effect. It takes the place of an expired
// outcome or a dead claim; finding a live outcome or claim it did not read (only the previous
// version, during a rollout, writes without the lock) it fails the attempt, undoing its effect.
func (k *Keys) record(ctx context.Context, tx pgx.Tx, owner, key string, fingerprint []byte, answer *recorder) error {
	now := k.now()
	tag, err := tx.Exec(ctx, `insert into idempotency_keys (scope, key, fingerprint, status, outcome, body, expires_at) values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (scope, key) do update set fingerprint = excluded.fingerprint, status = excluded.status, outcome = excluded.outcome,
			body = excluded.body, expires_at = excluded.expires_at, locked_until = null, created_at = now()
		where idempotency_keys.expires_at <= $8 or (idempotency_keys.status is null and coalesce(idempotency_keys.locked_until, '-infinity') <= $8)`,
		owner, key, fingerprint, answer.status, answer.outcome(), answer.body.Bytes(), now.Add(TTL), now)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return errBusy
	}
	return nil
}

// recordAlone keeps an answer whose transaction was rolled back (nothing of it took effect). It
// waits for the key's lock first, so a retry running meanwhile records its own outcome, and this
// one is then dropped.
func (k *Keys) recordAlone(ctx context.Context, owner, key string, fingerprint []byte, answer *recorder) {
	err := pgtx.Atomically(ctx, k.pool, func(ctx context.Context) error {
		tx, _ := pgtx.In(ctx)
		if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock($1)`, lockOf(owner, key)); err != nil {
			return err
		}
		err := k.record(ctx, tx, owner, key, fingerprint, answer)
		if errors.Is(err, errBusy) {
			return nil
		}
		return err
	})
	if err != nil {
		// The answer is sent; with no outcome kept a retry runs again, and this one had no effect.
		k.logger.ErrorContext(ctx, "idempotency: outcome not kept", "key", key, "error", err)
	}
}

// replay answers a kept outcome.
func (k *Keys) replay(res *echo.Response, key string, s *stored) error {
	var o outcome
	if err := json.Unmarshal(s.outcome, &o); err != nil {
		return fmt.Errorf("idempotency: outcome of %q: %w", key, err)
	}
	h := res.Header()
	for name, values := range o.Headers {
		h[name] = values
	}
	h.Set(Replayed, "true")
	return send(res, o.Status, s.body)
}

func send(res *echo.Response, status int, body []byte) error {
	res.WriteHeader(status)
	_, err := res.Write(body)
	return err
}

// restore makes h hold exactly what saved holds.
func restore(h, saved http.Header) {
	for name := range h {
		if _, ok := saved[name]; !ok {
			delete(h, name)
		}
	}
	for name, values := range saved {
		h[name] = slices.Clone(values)
	}
}

func reused() error {
	return fault.Invalid("header."+Header, "idempotency_key_reused", "this key was used with another request (method, path or body); use a new key for a new request")
}

func busy() error {
	e := fault.Conflict("a request with this idempotency key is still being processed; retry shortly")
	e.RetryAfter = time.Second
	return e
}

// keeps reports whether an answer is the operation's to keep: a 401, a 429 or a 5xx is not (a
// retry must run the operation).
func keeps(status int) bool {
	return status != http.StatusUnauthorized && status != http.StatusTooManyRequests && status < 500
}

// Expire deletes outcomes past their time; it returns how many.
func (k *Keys) Expire(ctx context.Context) (int64, error) {
	tag, err := k.pool.Exec(ctx, `delete from idempotency_keys where expires_at <= $1`, k.now())
	return tag.RowsAffected(), err
}

// ExpireEvery runs Expire until ctx ends: expiry is a background task, not a request's cost.
func (k *Keys) ExpireEvery(ctx context.Context, every time.Duration) {
	periodic.Run(ctx, every, k.logger, "idempotency: expired outcomes", k.Expire)
}

// recorder holds an answer until its transaction has committed; its headers are the response's
// own.
type recorder struct {
	header      http.Header
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	return r.body.Write(b)
}

// outcome is the status and the kept headers, as stored.
func (r *recorder) outcome() []byte {
	o := outcome{Status: r.status, Headers: map[string][]string{}}
	for _, name := range kept {
		if v := r.header.Values(name); len(v) > 0 {
			o.Headers[http.CanonicalHeaderKey(name)] = v
		}
	}
	b, _ := json.Marshal(o)
	return b
}

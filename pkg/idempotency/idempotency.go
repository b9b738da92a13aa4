// Package idempotency makes retries of POST requests safe (the IETF httpapi Idempotency-Key
// draft, as Stripe does it): the first request with a key runs and its outcome is kept; a retry
// with the same key and the same request answers that outcome again and does nothing else. Keys
// live in the service's own database (a table idempotency_keys, in each service's migrations), so
// every replica sees them, and concurrent first attempts produce exactly one effect: the first to
// insert the key runs, the others are told to retry.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/pkg/pgerr"
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
	Lease     = 2 * time.Minute                    // how long a running first request holds its key (a crash frees it then)
	bodyLimit = requestvalidation.DefaultBodyLimit // larger bodies are the body limit's to refuse (413)
)

// kept are the response headers an outcome keeps; the rest (request ids, rate limits, dates)
// belong to each answer.
var kept = []string{"Content-Type", "Location", "Etag", "Cache-Control", "Link"}

// Keys stores outcomes in PostgreSQL.
type Keys struct {
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

// stored is a kept outcome.
type stored struct {
	Status  int                 `json:"status"`
	Headers map[string][]string `json:"headers"`
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
			body, err := io.ReadAll(io.LimitReader(req.Body, bodyLimit+1))
			if err != nil {
				return fault.BadRequest("the request body could not be read")
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			if len(body) > bodyLimit {
				return next(c) // the body limit answers it (413), nothing runs
			}
			sum := sha256.Sum256([]byte(req.Method + " " + req.URL.RequestURI() + "\n" + string(body)))
			return k.serve(c, next, owner, key, sum[:])
		}
	}
}

func (k *Keys) serve(c echo.Context, next echo.HandlerFunc, owner, key string, fingerprint []byte) error {
	ctx := c.Request().Context()
	claimed, err := k.claim(ctx, owner, key, fingerprint)
	if err != nil {
		return err
	}
	if !claimed {
		return k.again(c, owner, key, fingerprint)
	}
	rec := &recorder{ResponseWriter: c.Response().Writer, status: http.StatusOK}
	c.Response().Writer = rec
	if err := next(c); err != nil {
		c.Error(err) // render the problem now, inside the recorder
	}
	c.Response().Writer = rec.ResponseWriter
	k.settle(context.WithoutCancel(ctx), owner, key, rec)
	return nil
}

// claim inserts the key (or takes over an expired one, or one whose first request died); true
// when this request is the one to run.
func (k *Keys) claim(ctx context.Context, owner, key string, fingerprint []byte) (bool, error) {
	now := k.now()
	tag, err := k.pool.Exec(ctx, `insert into idempotency_keys (scope, key, fingerprint, locked_until, expires_at) values ($1, $2, $3, $4, $5)
		on conflict (scope, key) do update set fingerprint = excluded.fingerprint, locked_until = excluded.locked_until,
			expires_at = excluded.expires_at, status = null, outcome = null, body = null
		where idempotency_keys.expires_at <= $6
			or (idempotency_keys.status is null and idempotency_keys.locked_until <= $6 and idempotency_keys.fingerprint = excluded.fingerprint)`,
		owner, key, fingerprint, now.Add(Lease), now.Add(TTL), now)
	if err != nil {
		return false, pgerr.Wrap(err)
	}
	return tag.RowsAffected() == 1, nil
}

// again answers a key already claimed: the kept outcome, or why there is none.
func (k *Keys) again(c echo.Context, owner, key string, fingerprint []byte) error {
	var fp, body, outcome []byte
	var status *int
	err := k.pool.QueryRow(c.Request().Context(), `select fingerprint, status, outcome, body from idempotency_keys where scope = $1 and key = $2`,
		owner, key).Scan(&fp, &status, &outcome, &body)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // expired and deleted meanwhile: a fresh attempt may run
		return busy()
	case err != nil:
		return pgerr.Wrap(err)
	case !bytes.Equal(fp, fingerprint):
		return fault.Invalid("header."+Header, "idempotency_key_reused", "this key was used with another request (method, path or body); use a new key for a new request")
	case status == nil:
		return busy()
	}
	var s stored
	if err := json.Unmarshal(outcome, &s); err != nil {
		return fmt.Errorf("idempotency: outcome of %q: %w", key, err)
	}
	h := c.Response().Header()
	for name, values := range s.Headers {
		h[name] = values
	}
	h.Set(Replayed, "true")
	c.Response().WriteHeader(s.Status)
	_, err = c.Response().Write(body)
	return err
}

func busy() error {
	e := fault.Conflict("a request with this idempotency key is still being processed; retry shortly")
	e.RetryAfter = time.Second
	return e
}

// settle keeps the outcome, or frees the key when the outcome is not the operation's (a 401, a 429,
// a 5xx: a retry must run it).
func (k *Keys) settle(ctx context.Context, owner, key string, rec *recorder) {
	var err error
	if rec.status == http.StatusUnauthorized || rec.status == http.StatusTooManyRequests || rec.status >= 500 {
		_, err = k.pool.Exec(ctx, `delete from idempotency_keys where scope = $1 and key = $2`, owner, key)
	} else {
		s := stored{Status: rec.status, Headers: map[string][]string{}}
		for _, name := range kept {
			if v := rec.Header().Values(name); len(v) > 0 {
				s.Headers[http.CanonicalHeaderKey(name)] = v
			}
		}
		outcome, _ := json.Marshal(s)
		_, err = k.pool.Exec(ctx, `update idempotency_keys set status = $3, outcome = $4, body = $5, locked_until = null where scope = $1 and key = $2`,
			owner, key, rec.status, outcome, rec.body.Bytes())
	}
	if err != nil {
		// The answer is sent; the key stays locked until its lease ends, then a retry runs again.
		k.logger.ErrorContext(ctx, "idempotency: outcome not kept", "key", key, "error", err)
	}
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

// recorder passes a response through and keeps a copy.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

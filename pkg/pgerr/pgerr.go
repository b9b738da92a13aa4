// Package pgerr turns PostgreSQL and pgx errors into fault errors, for the storage packages of
// every service: no row is not-found, a database that cannot serve now is unavailable (503, the
// client retries), anything else unexpected is internal (its SQL text is logged, never shown),
// constraint violations are told apart by code and constraint name.
package pgerr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flowkiwi/platform/pkg/fault"
)

// RetryAfter is what a client is told to wait when the database cannot serve.
const RetryAfter = 2 * time.Second

// Wrap passes fault errors through, makes the database's unavailability a fault of kind
// unavailable and any other error internal. An internal error's cause names the store method it
// failed in ("postgres UpdateProduct: ..."), found from the stack, so that a log line says which
// use case failed without every method spelling its own name.
func Wrap(err error) error {
	if err == nil {
		return nil
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return err
	}
	if u := Unavailable(err); u != nil {
		return u
	}
	if method := storeMethod(); method != "" {
		return fault.Internal(fmt.Errorf("postgres %s: %w", method, err))
	}
	return fault.Internal(fmt.Errorf("postgres: %w", err))
}

// helpers are the functions between a store method and Wrap that name no use case: this
// package's, a store's own wrap and notFound, and the transaction runners.
var helpers = map[string]bool{"wrap": true, "notFound": true, "inTx": true, "Atomically": true, "Snapshot": true, "Retry": true}

// storeMethod is the name of the first caller of Wrap that is no helper, its closures folded
// into it: "UpdateProduct" for postgres.(*Store).UpdateProduct.func1.
func storeMethod() string {
	pcs := make([]uintptr, 16)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	for {
		f, more := frames.Next()
		name := f.Function[strings.LastIndex(f.Function, "/")+1:] // pkg.(*T).Method.func1
		pkg, rest, _ := strings.Cut(name, ".")
		if pkg != "pgerr" && pkg != "pgtx" {
			parts := strings.Split(rest, ".")
			for len(parts) > 1 && (strings.HasPrefix(parts[len(parts)-1], "func") || parts[len(parts)-1] == "gowrap1") {
				parts = parts[:len(parts)-1] // closures: func1, func1.2
			}
			method := parts[len(parts)-1]
			if !helpers[method] && method != "" {
				return method
			}
		}
		if !more {
			return ""
		}
	}
}

// Unavailable returns an unavailable fault (with its cause) when err says the database cannot
// serve now: it cannot be reached, no connection could be had in time, a statement outlived the
// statement timeout, the server is shutting down or out of connections, or a serialization
// failure or deadlock survived the retries. Otherwise it returns nil.
func Unavailable(err error) *fault.Error {
	if err == nil || !transient(err) {
		return nil
	}
	e := fault.Unavailable(RetryAfter, "the service is temporarily unavailable; retry shortly")
	e.Err = err
	return e
}

func transient(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),                           // insufficient resources (too many connections, ...)
			pe.Code == "57014",                                         // query_canceled: the statement timeout
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // shutdown, crash, not accepting yet
			pe.Code == "55P03", // lock_not_available (lock timeout)
			pe.Code == "25006", // read_only_sql_transaction: a failover in progress
			Retryable(err):
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		pgconn.Timeout(err)
}

// Retryable reports a serialization failure or a deadlock: the transaction was rolled back and
// running it again may succeed.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// Retry runs a transaction function up to attempts times while it fails with a serialization
// failure or a deadlock (PostgreSQL rolled it back, so running it again is safe when fn only
// touches the database), waiting a little longer each time.
func Retry(ctx context.Context, attempts int, fn func() error) error {
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(); err == nil || !Retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(i+1) * 10 * time.Millisecond):
		}
	}
	return err
}

// TxAttempts is how often InTx runs a transaction that PostgreSQL rolled back for a serialization
// failure or a deadlock; after that the caller gets the error (Unavailable: a 503).
const TxAttempts = 3

// InTx runs fn in a transaction of db, committing when it returns nil, and runs it again (Retry)
// after a serialization failure or a deadlock: fn must write only through tx and build its results
// afresh each time.
func InTx(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(tx pgx.Tx) error) error {
	return Retry(ctx, TxAttempts, func() error { return pgx.BeginFunc(ctx, db, fn) })
}

// InTxWith is InTx with the transaction's options (its isolation level).
func InTxWith(ctx context.Context, db interface {
	BeginTx(context.Context, pgx.TxOptions) (pgx.Tx, error)
}, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	return Retry(ctx, TxAttempts, func() error { return pgx.BeginTxFunc(ctx, db, opts, fn) })
}

// NotFound maps pgx.ErrNoRows to a not-found fault ("no such <what>"); other errors are wrapped.
func NotFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fault.NotFound("no such %s", what)
	}
	return Wrap(err)
}

// Unique reports a unique violation and its constraint.
func Unique(err error) (constraint string, ok bool) { return code(err, "23505") }

// ForeignKey reports a foreign-key violation and its constraint.
func ForeignKey(err error) (constraint string, ok bool) { return code(err, "23503") }

func code(err error, want string) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == want {
		return pe.ConstraintName, true
	}
	return "", false
}

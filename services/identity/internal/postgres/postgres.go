// Package postgres stores the identity service's data in PostgreSQL through pgx. Queries are written
// by hand (no sqlc): the list endpoints build their ORDER BY and filters at run time, and pgx's
// row-to-struct helpers already remove the scanning boilerplate sqlc would save.
package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgerr"
)

// Store implements the storage interfaces of the identity domain packages.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// querier is what statements run on: the pool, or the transaction of a change (Atomically).
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type txKey struct{}

// db is the transaction ctx carries (Atomically), else the pool: a change and its events commit
// together without the store's methods knowing.
func (s *Store) db(ctx context.Context) querier {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return tx
	}
	return s.pool
}

// Atomically runs fn in one transaction that every store call with fn's ctx joins, retried after
// a serialization failure or a deadlock (pgerr.InTx).
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return fn(ctx)
	}
	return wrap(pgerr.InTx(ctx, s.pool, func(tx pgx.Tx) error { return fn(context.WithValue(ctx, txKey{}, tx)) }))
}

// inTx runs fn in a transaction: the surrounding change's when ctx carries one (its failure fails
// the change), else a new one (pgerr.InTx, retried).
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(pgx.Tx); ok {
		return fn(tx)
	}
	return pgerr.InTx(ctx, s.pool, fn)
}

const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// pgCode returns the SQLSTATE and constraint of a PostgreSQL error.
func pgCode(err error) (string, string) {
	if name, ok := pgerr.Unique(err); ok {
		return codeUniqueViolation, name
	}
	if name, ok := pgerr.ForeignKey(err); ok {
		return codeForeignKeyViolation, name
	}
	return "", ""
}

// notFound maps pgx.ErrNoRows to a not-found fault with detail; other errors pass wrapped.
func notFound(err error, detail string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fault.NotFound("%s", detail)
	}
	return wrap(err)
}

var wrap = pgerr.Wrap

// Package postgres stores the identity service's data in PostgreSQL through pgx. Queries are written
// by hand (no sqlc): the list endpoints build their ORDER BY and filters at run time, and pgx's
// row-to-struct helpers already remove the scanning boilerplate sqlc would save.
package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgerr"
	"github.com/flowkiwi/platform/pkg/pgtx"
)

// Store implements the storage interfaces of the identity domain packages.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store over pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// db is the transaction of the change ctx carries (pgtx), else the pool: a change and its events
// commit together without the store's methods knowing.
func (s *Store) db(ctx context.Context) pgtx.Querier { return pgtx.DB(ctx, s.pool) }

// Atomically runs fn in one transaction that every store call with fn's ctx joins (pgtx).
func (s *Store) Atomically(ctx context.Context, fn func(ctx context.Context) error) error {
	return wrap(pgtx.Atomically(ctx, s.pool, fn))
}

// inTx runs fn in the change's transaction, else in a new one (pgtx.InTx).
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgtx.InTx(ctx, s.pool, fn)
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

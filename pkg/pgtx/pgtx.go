// Package pgtx lets a domain make several store calls one transaction without the store's methods
// knowing: Atomically puts the transaction in the ctx, and every statement a store runs through
// DB (or InTx) joins it. After-commit hooks run only once the transaction committed (a cache
// forgotten before commit could be refilled with the old state).
package pgtx

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/pgerr"
)

// Querier is what statements run on: a pool, or the transaction of a change.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

type txKey struct{}

type change struct {
	tx          pgx.Tx
	afterCommit []func()
}

// In reports the transaction ctx carries, if any.
func In(ctx context.Context) (pgx.Tx, bool) {
	c, ok := ctx.Value(txKey{}).(*change)
	if !ok {
		return nil, false
	}
	return c.tx, true
}

// DB is the transaction ctx carries, else pool.
func DB(ctx context.Context, pool *pgxpool.Pool) Querier {
	if tx, ok := In(ctx); ok {
		return tx
	}
	return pool
}

// Atomically runs fn in one transaction of pool that every DB and InTx with fn's ctx joins; inside
// another one it just runs fn. It is retried after a serialization failure or a deadlock
// (pgerr.InTx), so fn must build its results afresh each time.
func Atomically(ctx context.Context, pool *pgxpool.Pool, fn func(ctx context.Context) error) error {
	if _, ok := In(ctx); ok {
		return fn(ctx)
	}
	var c *change
	err := pgerr.InTx(ctx, pool, func(tx pgx.Tx) error {
		c = &change{tx: tx} // a retried attempt starts afresh
		return fn(context.WithValue(ctx, txKey{}, c))
	})
	if err == nil && c != nil {
		for _, f := range c.afterCommit {
			f()
		}
	}
	return err
}

// InTx runs fn in the transaction ctx carries (its failure fails that change, so no savepoint is
// needed), else in a new one (pgerr.InTx, retried).
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	if tx, ok := In(ctx); ok {
		return fn(tx)
	}
	return pgerr.InTx(ctx, pool, fn)
}

// AfterCommit runs f once the transaction ctx carries committed, or at once outside one.
func AfterCommit(ctx context.Context, f func()) {
	if c, ok := ctx.Value(txKey{}).(*change); ok {
		c.afterCommit = append(c.afterCommit, f)
		return
	}
	f()
}

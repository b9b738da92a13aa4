// Package pgtx lets a domain make several store calls one transaction without the store's methods
// knowing: Atomically puts the transaction in the ctx, and every statement a store runs through
// DB (or InTx) joins it. Staged work (Stage) is done once, just before the outermost commit: the
// events feed takes its positions there, so the feed's lock is held only for the commit itself.
// After-commit hooks run only once the transaction committed (a cache forgotten before commit
// could be refilled with the old state).
package pgtx

import (
	"context"
	"errors"

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
	staged      []stagedWork
	afterCommit []func()
}

type stagedWork struct {
	key  any
	work Staged
}

// Staged is work a change gathers while it runs and does once, just before it commits.
type Staged interface {
	Flush(ctx context.Context, tx pgx.Tx) error
}

// In reports the transaction ctx carries, if any.
func In(ctx context.Context) (pgx.Tx, bool) {
	c, ok := ctx.Value(txKey{}).(*change)
	if !ok {
		return nil, false
	}
	return c.tx, true
}

type readKey struct{}

// Reading makes the statements run through DB with ctx, outside a change, run on pool: a
// standby's pool, chosen for a read by package readreplicas. Changes (Atomically, InTx) still
// begin on the pool their callers give: the primary.
func Reading(ctx context.Context, pool *pgxpool.Pool) context.Context {
	return context.WithValue(ctx, readKey{}, pool)
}

// ReadPool is the pool Reading put in ctx, else pool.
func ReadPool(ctx context.Context, pool *pgxpool.Pool) *pgxpool.Pool {
	if p, ok := ctx.Value(readKey{}).(*pgxpool.Pool); ok {
		return p
	}
	return pool
}

// DB is the transaction ctx carries, else the pool Reading chose, else pool.
func DB(ctx context.Context, pool *pgxpool.Pool) Querier {
	if tx, ok := In(ctx); ok {
		return tx
	}
	return ReadPool(ctx, pool)
}

// Atomically runs fn in one transaction of pool that every DB and InTx with fn's ctx joins; inside
// another one it just runs fn. It is retried after a serialization failure or a deadlock
// (pgerr.InTx), so fn must build its results afresh each time.
func Atomically(ctx context.Context, pool *pgxpool.Pool, fn func(ctx context.Context) error) error {
	if _, ok := In(ctx); ok {
		return fn(ctx)
	}
	return run(ctx, pool, pgx.TxOptions{}, fn)
}

// Snapshot runs fn in one REPEATABLE READ transaction of pool that every DB and InTx with fn's ctx
// joins: every statement of fn sees the database as it was at fn's first statement, however long
// fn runs (an export reads a whole catalog so). It may write; it is retried like Atomically.
func Snapshot(ctx context.Context, pool *pgxpool.Pool, fn func(ctx context.Context) error) error {
	if _, ok := In(ctx); ok {
		return errors.New("pgtx: a snapshot cannot join a change already running")
	}
	return run(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, fn)
}

// run runs fn as a change in a new transaction with opts: staged work flushed before the commit,
// after-commit hooks once it committed.
func run(ctx context.Context, pool *pgxpool.Pool, opts pgx.TxOptions, fn func(ctx context.Context) error) error {
	var c *change
	err := pgerr.InTxWith(ctx, pool, opts, func(tx pgx.Tx) error {
		c = &change{tx: tx} // a retried attempt starts afresh
		cctx := context.WithValue(ctx, txKey{}, c)
		if err := fn(cctx); err != nil {
			return err
		}
		return c.flush(cctx)
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

// Stage returns the Staged work of the change ctx carries under key, made by create the first
// time, so every call of a change adds to one piece of work; the change flushes it, in the order
// first staged, after its function returned nil and before it commits. ok is false outside a
// change.
func Stage(ctx context.Context, key any, create func() Staged) (work Staged, ok bool) {
	c, ok := ctx.Value(txKey{}).(*change)
	if !ok {
		return nil, false
	}
	for _, s := range c.staged {
		if s.key == key {
			return s.work, true
		}
	}
	w := create()
	c.staged = append(c.staged, stagedWork{key: key, work: w})
	return w, true
}

func (c *change) flush(ctx context.Context) error {
	for _, s := range c.staged {
		if err := s.work.Flush(ctx, c.tx); err != nil {
			return err
		}
	}
	return nil
}

// AfterCommit runs f once the transaction ctx carries committed, or at once outside one.
func AfterCommit(ctx context.Context, f func()) {
	if c, ok := ctx.Value(txKey{}).(*change); ok {
		c.afterCommit = append(c.afterCommit, f)
		return
	}
	f()
}

package pgtx_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// Calls with the ctx Atomically gives share its transaction (a failure undoes them all), and
// after-commit hooks run only when it committed.
func TestAtomically(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, fstest.MapFS{"001_t.sql": {Data: []byte("create table t (n int);")}})
	hooks := 0
	fail := errors.New("fail")
	err := pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
		if _, err := pgtx.DB(ctx, pool).Exec(ctx, `insert into t values (1)`); err != nil {
			return err
		}
		// InTx joins: its insert is undone with the change.
		if err := pgtx.InTx(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `insert into t values (3)`)
			return err
		}); err != nil {
			return err
		}
		pgtx.AfterCommit(ctx, func() { hooks++ })
		return fail
	})
	if !errors.Is(err, fail) || hooks != 0 {
		t.Fatalf("failed change: %v, %d hooks ran", err, hooks)
	}
	err = pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
		if _, ok := pgtx.In(ctx); !ok {
			t.Error("no transaction in the change's ctx")
		}
		_, err := pgtx.DB(ctx, pool).Exec(ctx, `insert into t values (2)`)
		pgtx.AfterCommit(ctx, func() { hooks++ })
		return err
	})
	var rows []int
	r, qerr := pool.Query(ctx, `select n from t order by n`)
	if qerr != nil {
		t.Fatal(qerr)
	}
	for r.Next() {
		var n int
		_ = r.Scan(&n)
		rows = append(rows, n)
	}
	if err != nil || hooks != 1 || len(rows) != 1 || rows[0] != 2 {
		t.Fatalf("after both changes: %v, %d hooks, rows %v; want nil, 1, [2]", err, hooks, rows)
	}
}

// A change inside a change joins it: the inner one's writes go with the outer's failure, and its
// after-commit hooks wait for the outer commit. A change PostgreSQL rolled back for a
// serialization failure runs again from a clean slate: only the committed attempt's hooks run.
func TestNestedAndRetriedChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, fstest.MapFS{"001_t.sql": {Data: []byte("create table t (n int);")}})
	count := func() int {
		var n int
		if err := pool.QueryRow(ctx, `select count(*) from t`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	fail := errors.New("fail")
	var ran []string
	err := pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
		if err := pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
			pgtx.AfterCommit(ctx, func() { ran = append(ran, "inner") })
			_, err := pgtx.DB(ctx, pool).Exec(ctx, `insert into t values (1)`)
			return err
		}); err != nil {
			return err
		}
		if len(ran) != 0 {
			t.Errorf("hooks %v ran before the outer change committed", ran)
		}
		return fail
	})
	if !errors.Is(err, fail) || len(ran) != 0 || count() != 0 {
		t.Fatalf("failed outer change: %v, hooks %v, %d rows; want fail, none, 0", err, ran, count())
	}
	// Committed, the outer change runs the inner one's hooks, once.
	err = pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
		return pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
			pgtx.AfterCommit(ctx, func() { ran = append(ran, "inner") })
			return nil
		})
	})
	if err != nil || !slices.Equal(ran, []string{"inner"}) {
		t.Fatalf("committed outer change: %v, hooks %v; want [inner]", err, ran)
	}
	ran = nil

	attempts := 0
	err = pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
		attempts++
		attempt := attempts
		pgtx.AfterCommit(ctx, func() { ran = append(ran, fmt.Sprint("attempt ", attempt)) })
		if _, err := pgtx.DB(ctx, pool).Exec(ctx, `insert into t values ($1)`, attempt); err != nil {
			return err
		}
		if attempt == 1 {
			_, err := pgtx.DB(ctx, pool).Exec(ctx, `do $$ begin raise exception 'conflict' using errcode = '40001'; end $$`)
			return err
		}
		return nil
	})
	var rows []int
	r, qerr := pool.Query(ctx, `select n from t order by n`)
	if qerr != nil {
		t.Fatal(qerr)
	}
	rows, qerr = pgx.CollectRows(r, pgx.RowTo[int])
	if err != nil || qerr != nil || attempts != 2 || !slices.Equal(ran, []string{"attempt 2"}) || !slices.Equal(rows, []int{2}) {
		t.Fatalf("retried change: %v (%v), %d attempts, hooks %v, rows %v; want nil, 2, [attempt 2], [2]", err, qerr, attempts, ran, rows)
	}
}

// counted is staged work that writes how many times it was added to, when flushed.
type counted struct{ adds, flushes int }

func (c *counted) Flush(ctx context.Context, tx pgx.Tx) error {
	c.flushes++
	_, err := tx.Exec(ctx, `insert into t values ($1)`, c.adds)
	return err
}

// Work staged under one key is one piece of work, flushed once, after the change's function and
// inside its transaction (a nested change does not flush it early); outside a change nothing is
// staged; a flush that fails fails the change, with no after-commit hook run.
func TestStagedWorkIsFlushedOnceBeforeCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, fstest.MapFS{"001_t.sql": {Data: []byte("create table t (n int check (n < 10));")}})
	type key struct{}
	add := func(ctx context.Context, n int) *counted {
		w, ok := pgtx.Stage(ctx, key{}, func() pgtx.Staged { return &counted{} })
		if !ok {
			t.Fatal("no change to stage in")
		}
		c := w.(*counted)
		c.adds += n
		return c
	}
	if _, ok := pgtx.Stage(ctx, key{}, func() pgtx.Staged { return &counted{} }); ok {
		t.Fatal("staged outside a change")
	}
	var work *counted
	err := pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
		work = add(ctx, 1)
		if err := pgtx.Atomically(ctx, pool, func(ctx context.Context) error { add(ctx, 2); return nil }); err != nil {
			return err
		}
		if work.flushes != 0 {
			t.Error("flushed before the change's function returned")
		}
		return nil
	})
	var got []int
	rows, _ := pool.Query(ctx, `select n from t`)
	for rows.Next() {
		var n int
		_ = rows.Scan(&n)
		got = append(got, n)
	}
	if err != nil || work.flushes != 1 || !slices.Equal(got, []int{3}) {
		t.Fatalf("change: %v, %d flushes, rows %v; want one flush writing 3", err, work.flushes, got)
	}
	hooks := 0
	err = pgtx.Atomically(ctx, pool, func(ctx context.Context) error {
		add(ctx, 12) // the flush breaks the check
		pgtx.AfterCommit(ctx, func() { hooks++ })
		return nil
	})
	if err == nil || hooks != 0 {
		t.Fatalf("a failing flush: %v, %d hooks ran", err, hooks)
	}
}

package pgtx_test

import (
	"context"
	"errors"
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

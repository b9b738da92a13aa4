package postgres

import (
	"context"
	"testing"
	"time"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/google/uuid"
)

// A purge of an instance whose categories form a tree deeper and wider than a batch (parents on
// delete restrict) clears the parents first and deletes every category; another instance's stay.
func TestPurgeDeletesACategoryTreeLargerThanABatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	store := New(pool)
	doomed, kept := uuid.New(), uuid.New()
	for _, instance := range []uuid.UUID{doomed, kept} {
		// 2,500 categories, each the parent of the next (so batches of 1,000 in index order split
		// parents from their children).
		if _, err := pool.Exec(ctx, `insert into categories (instance_id, id, handle)
			select $1, gen_random_uuid(), 'c' || n from generate_series(1, 2500) n`, instance); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `update categories c set parent_id = p.id
			from categories p where c.instance_id = $1 and p.instance_id = $1 and p.handle = 'c' || (substr(c.handle, 2)::int - 1)`, instance); err != nil {
			t.Fatal(err)
		}
	}
	p, done, err := store.PurgeInstance(ctx, doomed, time.Time{})
	if err != nil || !done {
		t.Fatalf("purge: %v (done %v)", err, done)
	}
	var left, others int
	if err := pool.QueryRow(ctx, `select count(*) filter (where instance_id = $1), count(*) filter (where instance_id = $2) from categories`, doomed, kept).Scan(&left, &others); err != nil {
		t.Fatal(err)
	}
	if left != 0 || others != 2500 || p.Rows["categories"] != 2500 {
		t.Fatalf("%d categories left, %d of the other instance, %d recorded", left, others, p.Rows["categories"])
	}
}

package migrate_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/migrate"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// TestConcurrentUp runs the migrations from several "replicas" at once on a fresh database: all
// succeed and each migration is applied once.
func TestConcurrentUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	migrations := fstest.MapFS{
		"001_a.sql": {Data: []byte("create table a (id int primary key);")},
		"002_b.sql": {Data: []byte("create table b (id int primary key); insert into a values (1);")},
	}
	empty := fstest.MapFS{"001_none.sql": {Data: []byte("select 1;")}}
	url := testdb.NewURL(t, empty)
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			pool, err := pgxpool.New(ctx, url)
			if err != nil {
				t.Error(err)
				return
			}
			defer pool.Close()
			if err := migrate.Up(ctx, pool, migrations, "schema_version_test"); err != nil {
				t.Error(fmt.Errorf("replica %d: %w", i, err))
			}
		})
	}
	wg.Wait()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows int
	if err := conn.QueryRow(ctx, "select count(*) from a").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("migration 2 ran %d times", rows)
	}
}

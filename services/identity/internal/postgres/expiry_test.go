package postgres_test

import (
	"context"
	"testing"
	"time"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/identity/internal/postgres"
)

// Stream changes older than the retention go, however many (in batches), and newer ones stay.
func TestExpireServiceChangesKeepsTheRetention(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, identitydb.Migrations())
	store := postgres.New(pool)
	if _, err := pool.Exec(ctx, `insert into service_changes (position, id, type, subject_id, data, created_at)
		select n, gen_random_uuid(), 'partner.disabled', gen_random_uuid(), '{}',
			case when n <= 12000 then now() - interval '31 days' else now() - interval '29 days' end
		from generate_series(1, 12010) n`); err != nil {
		t.Fatal(err)
	}
	n, err := store.ExpireServiceChanges(ctx, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var left int
	if err := pool.QueryRow(ctx, `select count(*) from service_changes`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if n != 12000 || left != 10 {
		t.Fatalf("expired %d, %d left; want 12000 expired and 10 left", n, left)
	}
}

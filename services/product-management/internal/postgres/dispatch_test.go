package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/webhook"
)

// Dispatch takes the instances' new events in turns, so a busy instance does not keep a quiet one
// waiting and a full batch is full (the dispatcher asks again at once); an instance whose
// undispatched events all expired moves on to its head instead of staying pending forever.
func TestDispatchTakesInstancesInTurnsAndPassesExpiredEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	store := postgres.New(pool)
	busy, quiet, expired := uuid.New(), uuid.New(), uuid.New()
	record := func(instance uuid.UUID, n int) {
		t.Helper()
		events := make([]catalog.NewEvent, n)
		for i := range events {
			events[i] = catalog.NewEvent{ID: uuid.New(), Type: "product.created", Resource: fmt.Sprint(instance, i), Data: []byte(`{}`)}
		}
		if err := store.Atomically(ctx, func(ctx context.Context) error { return store.RecordEvents(ctx, instance, events) }); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range []uuid.UUID{busy, quiet, expired} {
		if _, err := pool.Exec(ctx, `insert into webhook_subscriptions (instance_id, id, url, events, secret, created_at)
			values ($1, $2, 'https://example.com', '{*}', 'whsec_x', now() - interval '1 hour')`, in, uuid.New()); err != nil {
			t.Fatal(err)
		}
	}
	record(busy, 30)
	record(quiet, 1)
	record(expired, 5)
	if _, err := pool.Exec(ctx, `delete from events where instance_id = $1`, expired); err != nil {
		t.Fatal(err)
	}
	queued := map[uuid.UUID]int{}
	enqueue := func(_ context.Context, _ pgx.Tx, q []webhook.Queued) error {
		for _, d := range q {
			queued[d.Instance]++
		}
		return nil
	}
	passed, err := store.Dispatch(ctx, 10, enqueue)
	if err != nil {
		t.Fatal(err)
	}
	if passed != 10 || queued[quiet] != 1 || queued[busy] != 9 {
		t.Fatalf("first round: %d passed, queued %d of the quiet instance and %d of the busy one; want 10, 1 and 9", passed, queued[quiet], queued[busy])
	}
	var at int64
	if err := pool.QueryRow(ctx, `select position from webhook_dispatched where instance_id = $1`, expired).Scan(&at); err != nil || at != 5 {
		t.Fatalf("the instance whose events expired is dispatched up to %d (%v), want its head 5", at, err)
	}
	for range 5 {
		if _, err := store.Dispatch(ctx, 10, enqueue); err != nil {
			t.Fatal(err)
		}
	}
	if queued[busy] != 30 || queued[quiet] != 1 || queued[expired] != 0 {
		t.Fatalf("in the end queued %v; want every event once", queued)
	}
}

// The backlog's age is that of the oldest event not yet dispatched, across instances, and 0 once
// every event is (it read the emptied single cursor before, and so was always 0).
func TestBacklogAgeIsTheOldestUndispatchedEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	store := postgres.New(pool)
	instance := uuid.New()
	if err := store.Atomically(ctx, func(ctx context.Context) error {
		return store.RecordEvents(ctx, instance, []catalog.NewEvent{{ID: uuid.New(), Type: "product.created", Resource: "p", Data: []byte(`{}`)}})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `update events set created_at = now() - interval '90 seconds' where instance_id = $1`, instance); err != nil {
		t.Fatal(err)
	}
	if _, age, err := store.Backlog(ctx); err != nil || age < 89*time.Second || age > 120*time.Second {
		t.Fatalf("backlog age %s (%v), want about 90 s", age, err)
	}
	if _, err := store.Dispatch(ctx, 10, func(context.Context, pgx.Tx, []webhook.Queued) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, age, err := store.Backlog(ctx); err != nil || age != 0 {
		t.Fatalf("backlog age %s (%v) once dispatched, want 0", age, err)
	}
}

package postgres_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
)

// Events are recorded only inside a change, versioned per resource in the order recorded, rolled
// back with their change, and expired after the retention.
func TestEventsRecordVersionAndExpire(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	store := postgres.New(pool)
	instance := uuid.New()
	ev := func(typ, resource string) catalog.NewEvent {
		return catalog.NewEvent{ID: uuid.New(), Type: typ, Resource: resource, Data: json.RawMessage(`{"@id":"x"}`)}
	}
	if err := store.RecordEvents(ctx, instance, []catalog.NewEvent{ev("channel.created", "a")}); err == nil {
		t.Fatal("an event was recorded outside a change")
	}
	err := store.Atomically(ctx, func(ctx context.Context) error {
		return store.RecordEvents(ctx, instance, []catalog.NewEvent{ev("channel.created", "a"), ev("channel.updated", "a"), ev("channel.created", "b")})
	})
	if err != nil {
		t.Fatal(err)
	}
	rollback := store.Atomically(ctx, func(ctx context.Context) error {
		if err := store.RecordEvents(ctx, instance, []catalog.NewEvent{ev("channel.deleted", "a")}); err != nil {
			return err
		}
		return context.Canceled // the change fails after recording
	})
	if rollback == nil {
		t.Fatal("the failing change succeeded")
	}
	if err := store.Atomically(ctx, func(ctx context.Context) error {
		return store.RecordEvents(ctx, instance, []catalog.NewEvent{ev("channel.deleted", "a")})
	}); err != nil {
		t.Fatal(err)
	}
	// Listed once every older writing transaction on the server has ended (other tests' too).
	var list []catalog.Event
	for deadline := time.Now().Add(15 * time.Second); len(list) < 4 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if list, err = store.Events(ctx, instance, catalog.EventQuery{Limit: 10}); err != nil {
			t.Fatal(err)
		}
	}
	type row struct {
		typ, resource string
		version       int64
	}
	var got []row
	for _, e := range list {
		got = append(got, row{e.Type, e.Resource, e.ResourceVersion})
	}
	want := []row{{"channel.created", "a", 1}, {"channel.updated", "a", 2}, {"channel.created", "b", 1}, {"channel.deleted", "a", 3}}
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
	if _, err := pool.Exec(ctx, `update events set created_at = now() - interval '31 days' where resource = 'b'`); err != nil {
		t.Fatal(err)
	}
	n, err := store.ExpireEvents(ctx, 30*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("expired %d (%v), want 1", n, err)
	}
	// The next event of a resource whose events all expired counts on from its last version.
	if err := store.Atomically(ctx, func(ctx context.Context) error {
		return store.RecordEvents(ctx, instance, []catalog.NewEvent{ev("channel.updated", "b"), ev("channel.updated", "b")})
	}); err != nil {
		t.Fatal(err)
	}
	var versions []int64
	if err := pool.QueryRow(ctx, `select array_agg(resource_version order by seq) from events where instance_id = $1 and resource = 'b'`, instance).Scan(&versions); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(versions, []int64{2, 3}) {
		t.Fatalf("versions after expiry %v, want [2 3]", versions)
	}
}

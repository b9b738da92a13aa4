package postgres_test

import (
	"context"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// migrationsBefore is the service's migrations numbered below prefix.
func migrationsBefore(t *testing.T, prefix string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(pmdb.Migrations(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() >= prefix {
			continue
		}
		data, err := fs.ReadFile(pmdb.Migrations(), e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = &fstest.MapFile{Data: data}
	}
	return out
}

// Migration 027 numbers the events kept in the order the earlier feed listed them (transaction,
// then sequence), per instance; the dispatcher's single cursor becomes each instance's number up
// to it; the previous version's row is emptied (its dispatcher stands aside); and an event written
// as the previous version writes it (no number) takes the next one from the trigger.
func TestEventPositionsMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, migrationsBefore(t, "027"))
	a, b := uuid.MustParse("00000000-0000-0000-0000-00000000000a"), uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	insert := func(instance uuid.UUID, resource string) {
		t.Helper()
		if _, err := pool.Exec(ctx, `insert into events (id, instance_id, type, resource, resource_version, data) values ($1, $2, 'product.created', $3, 1, '{}')`,
			uuid.New(), instance, resource); err != nil {
			t.Fatal(err)
		}
	}
	insert(a, "a1")
	insert(b, "b1")
	insert(a, "a2")
	if _, err := pool.Exec(ctx, `update webhook_dispatch set (tx_id, seq) = (select tx_id, seq from events where resource = 'a2')`); err != nil {
		t.Fatal(err)
	}
	insert(b, "b2")
	insert(a, "a3")
	up, err := fs.ReadFile(pmdb.Migrations(), "027_event_positions.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(up)); err != nil {
		t.Fatal(err)
	}
	insert(b, "b3") // the previous version, during the rollout
	numbered := func(sql string) []string {
		t.Helper()
		rows, err := pool.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	if got, want := numbered(`select resource || '=' || position from events order by instance_id, position`), []string{"a1=1", "a2=2", "a3=3", "b1=1", "b2=2", "b3=3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("numbers %v, want %v", got, want)
	}
	if got, want := numbered(`select right(instance_id::text, 1) || '=' || position from event_heads order by instance_id`), []string{"a=3", "b=3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("heads %v, want %v", got, want)
	}
	if got, want := numbered(`select right(instance_id::text, 1) || '=' || position from webhook_dispatched order by instance_id`), []string{"a=2", "b=1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("dispatched %v, want %v", got, want)
	}
	if got := numbered(`select 'row' from webhook_dispatch`); len(got) != 0 {
		t.Errorf("the previous dispatcher's cursor is still there: %s", strings.Join(got, ","))
	}
}

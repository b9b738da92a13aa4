package httpapi_test

import (
	"context"
	"encoding/base64"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// An instance's creation is in its organization's feed within a second of its 201 while a writer
// holds a transaction open in another database and a session sits idle in a transaction (with a
// transaction id) in identity's own: with the feed read below the server's oldest running
// transaction, either held it back for as long as it stayed open.
func TestOrganizationFeedIsNotHeldBackByOtherTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, identitydb.Migrations())
	e := newEnvOn(t, pool)
	hold := func(url string, sql string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		if _, err := conn.Exec(ctx, "begin; "+sql); err != nil {
			t.Fatal(err)
		}
	}
	hold(testdb.NewURL(t, fstest.MapFS{"001_t.sql": {Data: []byte("create table t (n int);")}}), "insert into t values (1)")
	hold(pool.Config().ConnString(), "select pg_current_xact_id()")

	p := e.partner("Acme")
	org := p.org(t, "Acme")
	before, cursor := orgEvents(t, p, org, nil)
	p.instance(t, org, "held-feed")
	acked := time.Now()
	var listed time.Duration
	for time.Since(acked) < 2*time.Second {
		if list, _ := orgEvents(t, p, org, &cursor); len(list) == 1 && list[0].Type == "instance.created" {
			listed = time.Since(acked)
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("instance.created listed %v after the 201 (%d events before)", listed, len(before))
	if listed == 0 || listed > time.Second {
		t.Fatalf("instance.created listed after %v (0: not within 2s), want within 1s", listed)
	}
}

// A cursor handed out by the earlier feed (base64 of "transaction.sequence") still reads on from
// where it was: events written as the previous version writes them (no number: the migration's
// trigger numbers them) are found after it, none before it again.
func TestEarlierCursorsReadOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, identitydb.Migrations())
	e := newEnvOn(t, pool)
	p := e.partner("Acme")
	org := p.org(t, "Acme")
	insert := func(typ string) {
		t.Helper()
		if _, err := pool.Exec(ctx, `insert into organization_events (id, organization_id, type, subject_id, actor_id, data)
			values ($1, $2, $3, $4, $4, '{}')`, uuid.New(), org, typ, p.id); err != nil {
			t.Fatal(err)
		}
	}
	insert("instance.created")
	insert("instance.renamed")
	var tx string
	var seq int64
	if err := pool.QueryRow(ctx, `select tx_id::text, seq from organization_events where organization_id = $1 and type = 'instance.created'`, org).Scan(&tx, &seq); err != nil {
		t.Fatal(err)
	}
	earlier := base64.RawURLEncoding.EncodeToString([]byte(tx + "." + itoa(seq)))
	insert("instance.deleted")
	list, next := orgEvents(t, p, org, &earlier)
	if got, want := eventTypes(list), []string{"instance.renamed", "instance.deleted"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after the earlier cursor: %v, want %v", got, want)
	}
	if more, _ := orgEvents(t, p, org, &next); len(more) != 0 {
		t.Fatalf("the next cursor read %d events again", len(more))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// During a rollout the previous version numbers events by the trigger in the order they are
// written, while its cursors follow transaction ids: an event of a later transaction written first
// has the lower number. A cursor of the earlier order that stands after the other event still
// reads the later transaction's event (seeing the other again is allowed; missing one is not).
func TestEarlierCursorsMissNothingWrittenOutOfTransactionOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, identitydb.Migrations())
	e := newEnvOn(t, pool)
	p := e.partner("Acme")
	org := p.org(t, "Acme")
	begin := func() pgx.Tx {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, `select pg_current_xact_id()`); err != nil { // its transaction id, now
			t.Fatal(err)
		}
		return tx
	}
	write := func(tx pgx.Tx, typ string) {
		t.Helper()
		if _, err := tx.Exec(ctx, `insert into organization_events (id, organization_id, type, subject_id, actor_id, data)
			values ($1, $2, $3, $4, $4, '{}')`, uuid.New(), org, typ, p.id); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	earlier, later := begin(), begin()
	write(later, "instance.renamed")   // number 1, the later transaction
	write(earlier, "instance.created") // number 2, the earlier transaction
	var tx string
	var seq int64
	if err := pool.QueryRow(ctx, `select tx_id::text, seq from organization_events where organization_id = $1 and type = 'instance.created'`, org).Scan(&tx, &seq); err != nil {
		t.Fatal(err)
	}
	cursor := base64.RawURLEncoding.EncodeToString([]byte(tx + "." + strconv.FormatInt(seq, 10))) // read up to instance.created, the earlier order's first
	list, _ := orgEvents(t, p, org, &cursor)
	if !slices.Contains(eventTypes(list), "instance.renamed") {
		t.Fatalf("after the earlier cursor: %v; the later transaction's event is missing", eventTypes(list))
	}
}

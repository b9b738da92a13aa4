package httpapi_test

import (
	"context"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// A new product is in the feed and at the webhook receiver within a second of its 201, whatever
// else holds a transaction open on the server: a writer in another database, a session idle in a
// transaction (with a transaction id) in product-management's own database, a change of another
// instance that has taken its feed's head, and a long change of the same instance (an import)
// that has recorded events but not committed. With the feed read below the server's oldest
// running transaction, each of these held it back for as long as it stayed open.
func TestFeedAndWebhooksAreNotHeldBackByOtherTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.NewURL(t, pmdb.Migrations())
	w := webhookWorld(t, testenv.StartIdentity(t), db, map[string]string{"WEBHOOK_DISPATCH_PERIOD": "250ms"}) // the default period
	w.owner, w.handle = w.id.Partner("Owner"), "held"
	w.org = w.owner.Org(t, "Held")
	instance := w.owner.Instance(t, w.org, w.handle)
	w.c = w.pm.Client(w.owner, w.handle, w.org)
	r := newReceiver(t)
	w.subscribe(t, r.srv.URL, "product.created")

	hold := func(url string, sql ...string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn.Close(context.Background()) })
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sql {
			if _, err := tx.Exec(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := testdb.NewURL(t, fstest.MapFS{"001_t.sql": {Data: []byte("create table t (n int);")}})
	hold(other, "insert into t values (1)")                                // a writer in another database
	hold(db, "select pg_current_xact_id()")                                // idle in a transaction that holds an id
	hold(db, "insert into event_heads values ('"+uuid.NewString()+"', 1)") // another instance's change at its end
	// A long change of the same instance: it has written (it holds a transaction id) and recorded
	// its events, its commit is far off.
	store := postgres.New(w.pm.Pool)
	release, writing := make(chan struct{}), make(chan struct{})
	importDone := make(chan error, 1)
	go func() {
		importDone <- store.Atomically(ctx, func(ctx context.Context) error {
			tx, _ := pgtx.In(ctx)
			if _, err := tx.Exec(ctx, `insert into event_resource_versions values ($1, 'an import', 0)`, instance); err != nil {
				return err
			}
			if err := store.RecordEvents(ctx, instance, []catalog.NewEvent{{ID: uuid.New(), Type: "product.updated", Resource: uuid.NewString(), Data: []byte(`{}`)}}); err != nil {
				return err
			}
			close(writing)
			<-release
			return nil
		})
	}()
	t.Cleanup(func() { close(release); <-importDone })
	select {
	case <-writing:
	case err := <-importDone:
		t.Fatalf("the long change ended: %v", err)
	}

	created, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("HELD", 1))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, created, 201)
	acked := time.Now()
	inFeed := waitUntil(2*time.Second, func() bool {
		events, _ := feed(t, w.c, pm.ListEventsParams{})
		return slices.ContainsFunc(events, func(e pm.Event) bool { return e.Type == "product.created" })
	})
	atReceiver := waitUntil(2*time.Second, func() bool { return len(r.received()) == 1 })
	t.Logf("in the feed %v and at the receiver %v after the 201", inFeed.Sub(acked), atReceiver.Sub(acked))
	if inFeed.IsZero() || inFeed.Sub(acked) > time.Second {
		t.Errorf("the product.created reached the feed after %v (negative: not within 2s), want within 1s", inFeed.Sub(acked))
	}
	if atReceiver.IsZero() || atReceiver.Sub(acked) > time.Second {
		t.Errorf("the product.created reached the receiver after %v (negative: not within 2s), want within 1s", atReceiver.Sub(acked))
	}
}

// waitUntil polls cond every 10ms for at most within; it returns when cond first held (zero: never).
func waitUntil(within time.Duration, cond func() bool) time.Time {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if cond() {
			return time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Time{}
}

package faults_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// arrivals records when webhook deliveries arrive.
type arrivals struct {
	mu sync.Mutex
	at []time.Time
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	a.at = append(a.at, time.Now())
	a.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (a *arrivals) after(t time.Time) (n, total int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, x := range a.at {
		if x.After(t) {
			n++
		}
	}
	return n, len(a.at)
}

// rowsOf counts instance's rows in every table with an instance_id column, as the catalog of
// tables says now (a table added later is counted too).
func rowsOf(t *testing.T, pool *pgxpool.Pool, instance uuid.UUID) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `select c.table_name from information_schema.columns c
		join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
		where c.table_schema = current_schema() and c.column_name = 'instance_id'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]int64{}
	for _, table := range tables {
		var n int64
		if err := pool.QueryRow(ctx, fmt.Sprintf(`select count(*) from %s where instance_id = $1`, pgx.Identifier{table}.Sanitize()), instance).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			left[table] = n
		}
	}
	return left
}

// catalogOf fills an instance: 1,000 products by import, each with two variants, a price per
// variant and an image, and two webhook subscriptions to receiver.
func catalogOf(t *testing.T, c *pm.ClientWithResponses, receiver string, products int) {
	t.Helper()
	ctx := context.Background()
	for i := range 2 {
		resp, err := c.CreateWebhookSubscriptionWithResponse(ctx, nil, pm.WebhookSubscriptionCreate{Url: fmt.Sprintf("%s/hook/%d", receiver, i), Events: []string{"product.*", "price.*"}})
		if err != nil || resp.StatusCode() != http.StatusCreated {
			t.Fatalf("subscription: %v %s", err, resp.Body)
		}
	}
	var file strings.Builder
	for i := range products {
		fmt.Fprintf(&file, `{"key":"P-%d","title":"Product %d","options":[{"name":"Size","values":["S","M"]}],"medias":[{"type":"image","src":"https://cdn.example.com/%d.jpg"}],`+
			`"variants":[{"sku":"P-%d-S","optionValues":[{"option":"Size","value":"S"}],"prices":[{"currency":"EUR","amount":"10.00"}]},`+
			`{"sku":"P-%d-M","optionValues":[{"option":"Size","value":"M"}],"prices":[{"currency":"EUR","amount":"12.00"}]}]}`+"\n", i, i, i, i, i)
	}
	resp, err := c.CreateImportWithBodyWithResponse(ctx, nil, "application/x-ndjson", strings.NewReader(file.String()))
	if err != nil || resp.ApplicationldJSON202 == nil {
		t.Fatalf("import: %v %s", err, resp.Body)
	}
	im := *resp.ApplicationldJSON202
	deadline := time.Now().Add(3 * time.Minute)
	for im.Status == pm.ImportQueued || im.Status == pm.ImportRunning {
		if time.Now().After(deadline) {
			t.Fatalf("import still %s", im.Status)
		}
		time.Sleep(200 * time.Millisecond)
		got, err := c.GetImportWithResponse(ctx, im.Id, nil)
		if err != nil || got.ApplicationldJSON200 == nil {
			t.Fatalf("import: %v", err)
		}
		im = *got.ApplicationldJSON200
	}
	if im.Status != pm.ImportCompleted || im.Created != products {
		t.Fatalf("import %s with %d created, want completed with %d", im.Status, im.Created, products)
	}
}

// Deleting an instance in identity purges its catalog in product-management (which follows the
// change stream): within 60 s no row of the instance is left in any table with an instance_id
// column, nothing is delivered to its webhooks after the deletion, another instance keeps its
// catalog, and instance_purges records what went. Killed mid-purge, product-management finishes
// it after a restart.
func TestDeletedInstanceIsPurged(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, failpoint string }{
		{"purged", ""},
		{"killed as the follower handles the deletion, handled after a restart", "stream/deleted-before-commit"},
		{"killed mid-purge, finished after a restart", "purge/batch=3"},
	} {
		killed := tc.failpoint != ""
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			id := testenv.StartIdentity(t)
			owner := id.Partner("Owner")
			org := owner.Org(t, "Acme")
			doomed := owner.Instance(t, org, "doomed")
			owner.Instance(t, org, "kept")
			// Each instance's webhooks go to a receiver of its own: the kept instance's deliveries go
			// on after the deletion, as they should.
			receiver, keptReceiver := &arrivals{}, &arrivals{}
			hooks, keptHooks := httptest.NewServer(receiver), httptest.NewServer(keptReceiver)
			t.Cleanup(hooks.Close)
			t.Cleanup(keptHooks.Close)
			db := testdb.NewURL(t, pmdb.Migrations())
			env := id.FollowEnv()
			env["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"
			if killed {
				env["FLOWKIWI_FAILPOINTS"] = tc.failpoint
			}
			proc := testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: db, Env: env, Failpoints: killed})
			catalogOf(t, proc.Client(owner, "doomed", org), hooks.URL, 1000)
			catalogOf(t, proc.Client(owner, "kept", org), keptHooks.URL, 10)
			pool, err := pgxpool.New(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			before := rowsOf(t, pool, doomed)
			for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
				if _, total := receiver.after(time.Time{}); total > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no delivery arrived before the deletion")
				}
			}

			resp, err := owner.Identity.DeleteInstanceWithResponse(ctx, org, doomed, nil)
			if err != nil || resp.StatusCode() != http.StatusNoContent {
				t.Fatalf("delete instance: %v %s", err, resp.Body)
			}
			deleted := time.Now()
			if killed {
				select {
				case <-proc.Exited():
				case <-time.After(time.Minute):
					t.Fatalf("the failpoint %s never killed product-management", tc.failpoint)
				}
				if !proc.Killed() {
					t.Fatalf("product-management exited, not killed:\n%s", proc.Log())
				}
				if left := rowsOf(t, pool, doomed); len(left) == 0 {
					t.Fatal("the purge finished before the kill")
				}
				proc.Set("FLOWKIWI_FAILPOINTS", "")
				proc.Start()
			}
			bound := time.Minute // killed too: the restarted follower queues unfinished purges again
			var left map[string]int64
			for deadline := deleted.Add(bound); ; time.Sleep(250 * time.Millisecond) {
				if left = rowsOf(t, pool, doomed); len(left) == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s after the deletion, rows are left: %v (before: %v)", bound, left, before)
				}
			}
			t.Logf("purged %d tables' rows %s after the deletion: %v", len(before), time.Since(deleted).Round(time.Millisecond), before)
			if late, total := receiver.after(deleted.Add(time.Second)); late > 0 {
				t.Errorf("%d of %d deliveries arrived more than a second after the deletion", late, total)
			}
			// The follower moved past every change, the deletion once (instance_purges has one row).
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				var position, head int64
				if err := pool.QueryRow(ctx, `select position, head from identity_stream`).Scan(&position, &head); err != nil {
					t.Fatal(err)
				}
				if head > 0 && position == head {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the follower is at %d of identity's %d", position, head)
				}
			}
			// The purge records its end after its last pass found nothing left: moments after the
			// rows are gone.
			var completed bool
			var recorded int64
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				if err := pool.QueryRow(ctx, `select completed_at is not null, (select coalesce(sum(v::bigint), 0) from jsonb_each_text(rows_deleted) as x(k, v))
					from instance_purges where purged_instance = $1`, doomed).Scan(&completed, &recorded); err != nil {
					t.Fatal(err)
				}
				if (completed && recorded > 0) || time.Now().After(deadline) {
					break
				}
			}
			if !completed || recorded == 0 {
				t.Errorf("instance_purges: completed %v, %d rows recorded", completed, recorded)
			}
			var products int
			if err := pool.QueryRow(ctx, `select count(*) from products p where p.instance_id <> $1`, doomed).Scan(&products); err != nil || products != 10 {
				t.Errorf("the other instance has %d products (%v), want 10", products, err)
			}
		})
	}
}

package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/apitest"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

func expectUnavailable(t *testing.T, r apitest.Response, h http.Header) {
	t.Helper()
	p := expectProblem(t, r, http.StatusServiceUnavailable, "")
	if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", h.Get("Retry-After"))
	}
	if p.Detail == nil || !strings.Contains(*p.Detail, "temporarily unavailable") {
		t.Errorf("problem detail %v: want it to say the service is temporarily unavailable", p.Detail)
	}
}

// product-management's database stops under it: reads, lists and creates are 503s with
// Retry-After, never 500s; once it is back the same requests succeed without a restart.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	cluster := testdb.PrivateCluster(t)
	id := testenv.StartIdentity(t)
	w := &world{id: id, owner: id.Partner("Owner"), handle: "outage-eu"}
	w.pm = testenv.StartPMWith(t, id, testenv.PMOptions{DatabaseURL: testdb.NewURLOn(t, cluster.URL(), pmdb.Migrations())})
	w.org = w.owner.Org(t, "Outage")
	w.owner.Instance(t, w.org, w.handle)
	w.c = w.pm.Client(w.owner, w.handle, w.org)
	ctx := context.Background()
	existing := w.create(t, w.c, tshirt("OUT", 2))

	type request struct {
		name string
		do   func() (apitest.Response, http.Header, error)
	}
	requests := []request{
		{"read", func() (apitest.Response, http.Header, error) {
			r, err := w.c.GetProductWithResponse(ctx, existing.Id, &pm.GetProductParams{Expand: ptr("variants")})
			if err != nil {
				return nil, nil, err
			}
			return r, r.HTTPResponse.Header, nil
		}},
		{"list", func() (apitest.Response, http.Header, error) {
			r, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{})
			if err != nil {
				return nil, nil, err
			}
			return r, r.HTTPResponse.Header, nil
		}},
		{"create", func() (apitest.Response, http.Header, error) {
			r, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("NEW-"+strconv.FormatInt(time.Now().UnixNano(), 36), 2))
			if err != nil {
				return nil, nil, err
			}
			return r, r.HTTPResponse.Header, nil
		}},
	}

	if err := cluster.Kill(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range requests {
		t.Run("down/"+r.name, func(t *testing.T) {
			resp, h, err := r.do()
			if err != nil {
				t.Fatal(err)
			}
			expectUnavailable(t, resp, h)
		})
	}
	if err := cluster.Start(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"read": 200, "list": 200, "create": 201}
	for _, r := range requests {
		t.Run("back/"+r.name, func(t *testing.T) {
			resp, _, err := r.do()
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, resp, want[r.name])
		})
	}
}

// A statement that outlives the statement timeout (here: an update waiting on a row another
// session holds) answers 503 and leaves no connection behind: none stays checked out of the pool
// and no backend keeps working for the abandoned request.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	dbURL := testdb.NewURL(t, pmdb.Migrations())
	w := &world{id: id, owner: id.Partner("Owner"), handle: "slow-eu"}
	w.pm = testenv.StartPMWith(t, id, testenv.PMOptions{DatabaseURL: dbURL, Env: map[string]string{"DB_STATEMENT_TIMEOUT": "300ms"}})
	w.org = w.owner.Org(t, "Slow")
	w.owner.Instance(t, w.org, w.handle)
	w.c = w.pm.Client(w.owner, w.handle, w.org)
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("SLOW", 1))

	holder, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `select 1 from products where id = $1 for update`, p.Id); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	resp, err := w.c.UpdateProductWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, p.Id, nil, pm.ProductPatch{Title: some("Blocked")})
	if err != nil {
		t.Fatal(err)
	}
	expectUnavailable(t, resp, resp.HTTPResponse.Header)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the request took %v: the 300ms statement timeout did not end it", took)
	}
	if n := w.pm.Pool.Stat().AcquiredConns(); n != 0 {
		t.Errorf("%d connections still checked out of the pool after the request", n)
	}
	var busy int
	if err := holder.QueryRow(ctx, `select count(*) from pg_stat_activity
		where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`).Scan(&busy); err != nil {
		t.Fatal(err)
	}
	if busy != 0 {
		t.Errorf("%d backends still busy after the timed-out request", busy)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := w.c.UpdateProductWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, p.Id, nil, pm.ProductPatch{Title: some("Unblocked")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, again, 200)
}

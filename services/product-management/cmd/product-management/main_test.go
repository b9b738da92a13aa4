package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oapi-codegen/nullable"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/pgcluster"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// serveEnv is the environment of a product-management process: only its database, its address
// and identity's address, plus extra.
func serveEnv(t *testing.T, identityURL string, extra map[string]string) (func(string) string, string) {
	t.Helper()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := map[string]string{
		"DATABASE_URL": testdb.NewURL(t, pmdb.Migrations()), "HTTP_ADDR": addr, "IDENTITY_URL": identityURL,
		"TENANT_BASE_DOMAIN": testenv.BaseDomain, "LOG_LEVEL": "error", "DRAIN_DELAY": "0s",
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(k string) string { return env[k] }, "http://" + addr
}

func status(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Given only IDENTITY_URL, product-management serves (not ready) until identity answers, then
// trusts the issuer identity's metadata names, which is neither identity's address nor the
// default, and serves a product create and read.
func TestStartsWithOnlyIdentityURL(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	id.Stop() // identity comes up after product-management
	getenv, base := serveEnv(t, id.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, getenv) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})

	waitFor(t, func() bool { return status(base+"/healthz") == 200 })
	if got := status(base + "/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("readyz = %d while identity is down, want 503", got)
	}
	id.Start()
	waitFor(t, func() bool { return status(base+"/readyz") == 200 })

	owner := id.Partner("Owner")
	org := owner.Org(t, "Acme")
	owner.Instance(t, org, "late-eu")
	c, err := productmanagement.NewClientWithResponses(base, productmanagement.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Host = "late-eu." + testenv.BaseDomain
		r.Header.Set("Authorization", "Bearer "+owner.Token)
		r.Header.Set("X-Flowkiwi-Organization-Id", org.String())
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	title := "Late T-shirt"
	created, err := c.CreateProductWithResponse(ctx, nil, productmanagement.ProductCreate{Title: nullable.NewNullableWithValue(title)})
	if err != nil || created.StatusCode() != 201 {
		t.Fatalf("create: %v %d %s", err, created.StatusCode(), created.Body)
	}
	read, err := c.GetProductWithResponse(ctx, created.ApplicationldJSON201.Id, nil)
	if err != nil || read.StatusCode() != 200 {
		t.Fatalf("read: %v %d %s", err, read.StatusCode(), read.Body)
	}
	if got := read.ApplicationldJSON200.Title; !got.IsSpecified() || got.MustGet() != title {
		t.Fatalf("title %v", got)
	}
	if read.ApplicationldJSON200.Id == uuid.Nil {
		t.Fatal("no id")
	}
}

// IDENTITY_ISSUER set to something identity does not publish: the service refuses to run, and
// says why with both values (it used to start and refuse every token with a 401).
func TestRefusesAnIssuerIdentityDoesNotPublish(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	const wrong = "https://identity.example.com"
	getenv, _ := serveEnv(t, id.URL, map[string]string{"IDENTITY_ISSUER": wrong})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve"}, getenv)
	if err == nil || ctx.Err() != nil {
		t.Fatalf("run = %v (ctx %v): want it to stop on the mismatch by itself", err, ctx.Err())
	}
	for _, want := range []string{wrong, testenv.Issuer} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not name %q: %v", want, err)
		}
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out")
}

// commandDatabase is a migrated database for a command: the environment run reads, and a pool on it.
func commandDatabase(t *testing.T) (func(string) string, *pgxpool.Pool) {
	t.Helper()
	db := testdb.NewURL(t, pmdb.Migrations())
	pool, err := pgxpool.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return func(k string) string { return map[string]string{"DATABASE_URL": db, "LOG_LEVEL": "error"}[k] }, pool
}

// readmodel verify passes on a consistent database and fails naming the count after a document
// was changed behind the change path; rebuild repairs it; bad arguments are refused.
func TestReadModelCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	getenv, pool := commandDatabase(t)
	instance, product := uuid.New(), uuid.New()
	if _, err := pool.Exec(ctx, `insert into products (instance_id, id) values ($1, $2)`, instance, product); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `insert into product_documents (instance_id, product_id, doc) values ($1, $2, product_document($1, $2))`, instance, product); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"readmodel", "verify"}, getenv); err != nil {
		t.Fatalf("verify on a consistent database: %v", err)
	}
	if _, err := pool.Exec(ctx, `update product_documents set doc = '{}'`); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"readmodel", "verify", "--instance", instance.String()}, getenv); err == nil || !strings.Contains(err.Error(), "1 product documents differ") {
		t.Fatalf("verify after tampering: %v", err)
	}
	if err := run(ctx, []string{"readmodel", "rebuild", "--instance", instance.String()}, getenv); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"readmodel", "verify"}, getenv); err != nil {
		t.Fatalf("verify after the rebuild: %v", err)
	}
	for _, args := range [][]string{{"readmodel"}, {"readmodel", "explode"}, {"readmodel", "rebuild", "--instance", "acme-eu"}} {
		if err := run(ctx, args, getenv); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

// instance purge deletes an instance's rows from every table with an instance_id column, stops
// its webhooks first, records the purge, leaves other instances alone, and refuses bad arguments.
func TestInstancePurgeCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	getenv, pool := commandDatabase(t)
	doomed, kept := uuid.New(), uuid.New()
	for _, instance := range []uuid.UUID{doomed, kept} {
		for range 3 {
			product := uuid.New()
			if _, err := pool.Exec(ctx, `insert into products (instance_id, id) values ($1, $2)`, instance, product); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `insert into product_documents (instance_id, product_id, doc) values ($1, $2, product_document($1, $2))`, instance, product); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := pool.Exec(ctx, `insert into webhook_subscriptions (instance_id, id, url, events, secret) values ($1, $2, 'https://hooks.example.com', '{product.*}', 'whsec_x')`,
			instance, uuid.New()); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(ctx, []string{"instance", "purge", "--instance", doomed.String()}, getenv); err != nil {
		t.Fatal(err)
	}
	count := func(instance uuid.UUID) (n int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `select (select count(*) from products where instance_id = $1) + (select count(*) from product_documents where instance_id = $1)
			+ (select count(*) from webhook_subscriptions where instance_id = $1)`, instance).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(doomed); n != 0 {
		t.Fatalf("%d rows of the purged instance are left", n)
	}
	if n := count(kept); n != 7 {
		t.Fatalf("the other instance has %d rows, want 7", n)
	}
	var products, subscriptions int64
	if err := pool.QueryRow(ctx, `select (rows_deleted->>'products')::bigint, (rows_deleted->>'webhook_subscriptions')::bigint from instance_purges
		where purged_instance = $1 and completed_at is not null`, doomed).Scan(&products, &subscriptions); err != nil || products != 3 || subscriptions != 1 {
		t.Fatalf("instance_purges: %d products, %d subscriptions (%v)", products, subscriptions, err)
	}
	for _, args := range [][]string{{"instance"}, {"instance", "purge"}, {"instance", "purge", "--instance", "acme-eu"}, {"instance", "explode"}} {
		if err := run(ctx, args, getenv); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
}

// --help needs no configuration: it lists the commands and every setting with its default.
func TestHelpListsEverySetting(t *testing.T) {
	t.Parallel()
	if err := run(context.Background(), []string{"--help"}, func(string) string { return "" }); err != nil {
		t.Fatalf("--help without DATABASE_URL: %v", err)
	}
}

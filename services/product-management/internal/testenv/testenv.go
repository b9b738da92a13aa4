// Package testenv runs product-management against a real identity service for tests: identity is
// built from this workspace and started as a process on its own fresh database, partners are made
// with its CLI, and product-management runs in-process on a fresh database of its own.
package testenv

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	identitydb "github.com/flowkiwi/platform/db/identity"
	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/apitest"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/app"
	"github.com/flowkiwi/platform/services/product-management/internal/config"
)

// BaseDomain is the tenant base domain tests address instances under.
const BaseDomain = "product-management.test"

// Issuer is the issuer identity runs with in tests: not its address, and not reachable, as a
// public issuer URL need not be from inside a cluster. product-management learns it from
// identity's metadata and fetches keys through IDENTITY_URL.
const Issuer = "https://identity.flowkiwi.test"

// Identity is a running identity service.
type Identity struct {
	tb      testing.TB
	URL     string
	dbURL   string
	env     map[string]string
	proc    *Process
	service map[string]string // the service credential's settings, once made
}

// StartIdentity starts identity on a fresh database and a loopback port the kernel picks (the
// process says which: no port is chosen, closed and hoped to stay free).
func StartIdentity(tb testing.TB) *Identity {
	tb.Helper()
	return StartIdentityWith(tb, IdentityOptions{})
}

// IdentityOptions change how StartIdentityWith runs identity.
type IdentityOptions struct {
	DatabaseURL string            // a database to migrate and use (default: a fresh one from testdb)
	Env         map[string]string // more settings (FLOWKIWI_FAILPOINTS, ...)
	Failpoints  bool              // build with the failpoints tag (pkg/failpoint)
}

// StartIdentityWith starts identity as opts say.
func StartIdentityWith(tb testing.TB, opts IdentityOptions) *Identity {
	tb.Helper()
	db := opts.DatabaseURL
	if db == "" {
		db = testdb.NewURL(tb, identitydb.Migrations())
	}
	i := &Identity{tb: tb, dbURL: db, env: opts.Env}
	i.proc = &Process{tb: tb, Name: "identity", Bin: Binary(tb, "github.com/flowkiwi/platform/services/identity/cmd/identity", opts.Failpoints),
		Args: []string{"serve"}, Ready: "/.well-known/jwks.json", addr: "127.0.0.1:0", Env: i.environ}
	tb.Cleanup(i.Stop) // before the start: a failed start leaves no process behind
	i.Start()
	return i
}

func (i *Identity) environ() []string {
	env := append(os.Environ(), "DATABASE_URL="+i.dbURL, "IDENTITY_ISSUER="+Issuer, "LOG_LEVEL=info", "RATE_LIMIT_RPS=0")
	for k, v := range i.env {
		env = append(env, k+"="+v)
	}
	return env
}

// Start (re)starts the process and waits until it serves its JWKS. A restart listens where the
// first start did, so product-management keeps its address.
func (i *Identity) Start() {
	i.tb.Helper()
	i.proc.Start()
	i.URL = i.proc.URL
}

// Stop ends the process at once (identity "goes down", or is killed: SIGKILL).
func (i *Identity) Stop() { i.proc.Kill() }

// SetEnv replaces the extra settings of the next Start.
func (i *Identity) SetEnv(env map[string]string) { i.env = env }

// Process is the running identity process.
func (i *Identity) Process() *Process { return i.proc }

// CLI runs identity's operator CLI (`identity partner ...`) and decodes its JSON output into out.
func (i *Identity) CLI(out any, args ...string) {
	i.tb.Helper()
	cmd := exec.Command(i.proc.Bin, args...)
	cmd.Env = i.environ()
	stdout, err := cmd.Output()
	if err != nil {
		i.tb.Fatalf("identity %v: %v", args, err)
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		i.tb.Fatalf("identity %v printed %q: %v", args, stdout, err)
	}
}

// FollowEnv is the settings that make product-management follow identity's change stream: a
// service credential made once with identity's CLI (identity service create).
func (i *Identity) FollowEnv() map[string]string {
	i.tb.Helper()
	if i.service == nil {
		var creds struct {
			ClientID     string `json:"client_id"`
			ClientSecret string `json:"client_secret"`
		}
		i.CLI(&creds, "service", "create", "--name", "product-management")
		i.service = map[string]string{"IDENTITY_CLIENT_ID": creds.ClientID, "IDENTITY_CLIENT_SECRET": creds.ClientSecret}
	}
	return maps.Clone(i.service)
}

// Partner is a partner with a token and generated clients for both services.
type Partner struct {
	ID           uuid.UUID
	ClientID     string
	ClientSecret string
	Token        string
	Identity     *identity.ClientWithResponses
}

// Partner creates a partner with identity's CLI and gets it a token over HTTP.
func (i *Identity) Partner(name string) *Partner {
	i.tb.Helper()
	var creds struct {
		PartnerID    uuid.UUID `json:"partner_id"`
		ClientID     string    `json:"client_id"`
		ClientSecret string    `json:"client_secret"`
	}
	i.CLI(&creds, "partner", "create", "--name", name)
	p := &Partner{ID: creds.PartnerID, ClientID: creds.ClientID, ClientSecret: creds.ClientSecret, Token: i.Token(creds.ClientID, creds.ClientSecret)}
	p.Identity, _ = identity.NewClientWithResponses(i.URL, identity.WithRequestEditorFn(bearer(p.Token)))
	return p
}

// Token gets a token for a client over HTTP.
func (i *Identity) Token(clientID, secret string) string {
	i.tb.Helper()
	anon, _ := identity.NewClientWithResponses(i.URL)
	grant := "client_credentials"
	resp, err := anon.IssueTokenWithFormdataBodyWithResponse(context.Background(), identity.IssueTokenFormdataRequestBody{
		GrantType: &grant, ClientId: &clientID, ClientSecret: &secret})
	if err != nil || resp.JSON200 == nil {
		i.tb.Fatalf("token: %v %v", err, resp)
	}
	return resp.JSON200.AccessToken
}

func bearer(token string) identity.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// Org creates an organization owned by p.
func (p *Partner) Org(tb testing.TB, name string) uuid.UUID {
	tb.Helper()
	resp, err := p.Identity.CreateOrganizationWithResponse(context.Background(), nil, identity.OrganizationCreate{Name: name})
	if err != nil || resp.JSON201 == nil {
		tb.Fatalf("create organization: %v %s", err, resp.Body)
	}
	return resp.JSON201.Id
}

// Instance creates an instance of org.
func (p *Partner) Instance(tb testing.TB, org uuid.UUID, handle string) uuid.UUID {
	tb.Helper()
	resp, err := p.Identity.CreateInstanceWithResponse(context.Background(), org, nil, identity.InstanceCreate{Name: handle, Handle: handle})
	if err != nil || resp.JSON201 == nil {
		tb.Fatalf("create instance: %v %s", err, resp.Body)
	}
	return resp.JSON201.Id
}

// QueryCounter counts the SQL statements product-management sends (batched ones included) and
// the round trips they take (a batch is one).
type QueryCounter struct{ n, trips atomic.Int64 }

func (c *QueryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	c.trips.Add(1)
	return ctx
}
func (c *QueryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *QueryCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.trips.Add(1)
	return ctx
}
func (c *QueryCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}
func (c *QueryCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Fewest runs f once to warm the caches (access, locales), then runs more times and returns the
// fewest statements and round trips a run took: what the request itself costs. A run slower than
// the locale cache's second pays one more lookup, which says nothing about the request.
func (c *QueryCounter) Fewest(runs int, f func()) (statements, roundTrips int64) {
	f()
	statements, roundTrips = -1, -1
	for range runs {
		n, trips := c.Count(), c.RoundTrips()
		f()
		if got := c.Count() - n; statements < 0 || got < statements {
			statements, roundTrips = got, c.RoundTrips()-trips
		}
	}
	return statements, roundTrips
}

// Count returns the number of statements so far.
func (c *QueryCounter) Count() int64 { return c.n.Load() }

// RoundTrips returns the number of round trips so far.
func (c *QueryCounter) RoundTrips() int64 { return c.trips.Load() }

// PM is a running product-management service.
type PM struct {
	tb       testing.TB
	URL      string
	Queries  *QueryCounter
	Pool     *pgxpool.Pool
	App      *app.App
	validate bool
	// StopBackground ends the background work (Background), as a process exit would; it waits.
	StopBackground func()
}

// StartPM starts product-management in-process against id, on a fresh database.
func StartPM(tb testing.TB, id *Identity) *PM {
	tb.Helper()
	return StartPMWith(tb, id, PMOptions{})
}

// PMOptions change how StartPMWith runs product-management.
type PMOptions struct {
	DatabaseURL string            // a migrated database (default: a fresh one from testdb)
	Env         map[string]string // more settings (DB_STATEMENT_TIMEOUT, ...)
	Background  bool              // run the serving process's background work (webhook delivery, expiry)
}

// StartPMWith starts product-management in-process against id with opts. Like a deployment, it is
// given identity's address only, and returns once identity's metadata has been read.
func StartPMWith(tb testing.TB, id *Identity, opts PMOptions) *PM {
	tb.Helper()
	url := opts.DatabaseURL
	if url == "" {
		url = testdb.NewURL(tb, pmdb.Migrations())
	}
	cfg, err := config.FromEnv(func(k string) string {
		if v, ok := opts.Env[k]; ok {
			return v
		}
		switch k {
		case "DATABASE_URL":
			return url
		case "IDENTITY_URL":
			return id.URL
		case "TENANT_BASE_DOMAIN":
			return BaseDomain
		case "RATE_LIMIT_RPS":
			return "0" // load tests and benchmarks go far beyond a partner's limit
		}
		return ""
	})
	if err != nil {
		tb.Fatal(err)
	}
	counter := &QueryCounter{}
	dbOpts := cfg.Database
	dbOpts.Tracer = counter
	pool, err := pgpool.New(context.Background(), url, dbOpts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	a, err := app.New(cfg, pool, nil, testLogger(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := a.Discover(ctx); err != nil {
		tb.Fatal(err)
	}
	stopBackground := func() {}
	if opts.Background {
		bg, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := a.Run(bg); err != nil {
				tb.Errorf("background work: %v", err)
			}
		}()
		stopBackground = sync.OnceFunc(func() { stop(); <-done })
		tb.Cleanup(stopBackground)
	}
	srv := httptest.NewServer(a.Handler)
	tb.Cleanup(srv.Close)
	return &PM{tb: tb, URL: srv.URL, Queries: counter, Pool: pool, App: a, validate: true, StopBackground: stopBackground}
}

// Client returns a generated client that acts for p as org on the instance with handle; every
// response is validated against the spec.
func (pm *PM) Client(p *Partner, handle string, org uuid.UUID, extra ...productmanagement.RequestEditorFn) *productmanagement.ClientWithResponses {
	pm.tb.Helper()
	return newClient(pm.tb, pm.URL, pm.validate, p, handle, org, extra...)
}

func newClient(tb testing.TB, url string, validate bool, p *Partner, handle string, org uuid.UUID, extra ...productmanagement.RequestEditorFn) *productmanagement.ClientWithResponses {
	tb.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	if validate {
		doc, err := api.GetSpec()
		if err != nil {
			tb.Fatal(err)
		}
		hc = apitest.NewValidatingTransport(tb, doc).Client()
	}
	opts := []productmanagement.ClientOption{productmanagement.WithHTTPClient(hc), productmanagement.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Host = handle + "." + BaseDomain
		if p != nil {
			r.Header.Set("Authorization", "Bearer "+p.Token)
		}
		if org != uuid.Nil {
			r.Header.Set("X-Flowkiwi-Organization-Id", org.String())
		}
		return nil
	})}
	for _, e := range extra {
		opts = append(opts, productmanagement.WithRequestEditorFn(e))
	}
	c, err := productmanagement.NewClientWithResponses(url, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// PMProcess is product-management run as a process of its own (as deployed), for tests that kill
// it.
type PMProcess struct {
	*Process
	tb  testing.TB
	env map[string]string
}

// PMProcessOptions say how StartPMProcess runs product-management.
type PMProcessOptions struct {
	DatabaseURL string            // a database to migrate and use (default: a fresh one from testdb)
	IdentityURL string            // where identity is (default: the id given)
	Env         map[string]string // more settings (FLOWKIWI_FAILPOINTS, ...)
	Failpoints  bool              // build with the failpoints tag (pkg/failpoint)
}

// StartPMProcess builds product-management and starts it as a process against id.
func StartPMProcess(tb testing.TB, id *Identity, opts PMProcessOptions) *PMProcess {
	tb.Helper()
	db := opts.DatabaseURL
	if db == "" {
		db = testdb.NewURL(tb, pmdb.Migrations())
	}
	idURL := opts.IdentityURL
	if idURL == "" {
		idURL = id.URL
	}
	pm := &PMProcess{tb: tb, env: map[string]string{"DATABASE_URL": db, "IDENTITY_URL": idURL, "TENANT_BASE_DOMAIN": BaseDomain,
		"RATE_LIMIT_RPS": "0", "LOG_LEVEL": "info", "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true"}}
	for k, v := range opts.Env {
		pm.env[k] = v
	}
	pm.Process = &Process{tb: tb, Name: "product-management", Bin: Binary(tb, "github.com/flowkiwi/platform/services/product-management/cmd/product-management", opts.Failpoints),
		Args: []string{"serve"}, Ready: "/readyz", addr: "127.0.0.1:0", Env: pm.environ}
	tb.Cleanup(pm.Kill)
	pm.Start()
	return pm
}

func (pm *PMProcess) environ() []string {
	env := os.Environ()
	for k, v := range pm.env {
		env = append(env, k+"="+v)
	}
	return env
}

// Set changes a setting for the next Start ("" removes it).
func (pm *PMProcess) Set(key, value string) {
	if value == "" {
		delete(pm.env, key)
		return
	}
	pm.env[key] = value
}

// Client returns a validating generated client that acts for p as org on the instance with handle.
func (pm *PMProcess) Client(p *Partner, handle string, org uuid.UUID, extra ...productmanagement.RequestEditorFn) *productmanagement.ClientWithResponses {
	pm.tb.Helper()
	return newClient(pm.tb, pm.URL, true, p, handle, org, extra...)
}

// WithoutValidation makes later clients skip response validation (benchmarks measure the service).
func (pm *PM) WithoutValidation() *PM { pm.validate = false; return pm }

// testLogger discards the in-process service's log, or with TEST_LOG=1 writes its errors to stderr
// (what a 500 in a test was).
func testLogger() *slog.Logger {
	if os.Getenv("TEST_LOG") == "" {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/apitest"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/identity/internal/api"
	"github.com/flowkiwi/platform/services/identity/internal/app"
	"github.com/flowkiwi/platform/services/identity/internal/config"
)

// env is a real identity service on a fresh database, reached over loopback HTTP.
type env struct {
	t   testing.TB
	app *app.App
	cfg config.Config
	url string
	hc  *http.Client // validates every response against the spec
}

// newEnv starts identity; settings override the environment it reads (rate limiting is off unless
// a test turns it on).
func newEnv(t testing.TB, settings ...string) *env {
	t.Helper()
	return newEnvOn(t, testdb.New(t, identitydb.Migrations()), settings...)
}

// newEnvOn starts identity on pool. Its issuer is the address it listens on, so the metadata it
// publishes leads to it.
func newEnvOn(t testing.TB, pool *pgxpool.Pool, settings ...string) *env {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	vars := map[string]string{"DATABASE_URL": "postgres://unused", "RATE_LIMIT_RPS": "0", "IDENTITY_ISSUER": "http://" + srv.Listener.Addr().String()}
	for i := 0; i+1 < len(settings); i += 2 {
		vars[settings[i]] = settings[i+1]
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, pool, logger, app.Options{BcryptCost: 4})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Handler
	srv.Start()
	listening, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	go a.Changes.Run(listening) // as serve does: the change stream's long polls wake at commits
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, app: a, cfg: cfg, url: srv.URL, hc: apitest.NewValidatingTransport(t, doc).Client()}
}

// caller is a partner with a token and a generated client that sends it.
type caller struct {
	id           uuid.UUID
	clientID     string
	clientSecret string
	token        string
	*identity.ClientWithResponses
}

func (e *env) partner(name string, scopes ...string) *caller {
	e.t.Helper()
	creds, err := e.app.Partners.Create(context.Background(), name, scopes...)
	if err != nil {
		e.t.Fatal(err)
	}
	c := &caller{id: creds.PartnerID, clientID: creds.ClientID, clientSecret: creds.ClientSecret}
	resp, err := e.anonymous().IssueTokenWithFormdataBodyWithResponse(context.Background(), identity.IssueTokenFormdataRequestBody{
		GrantType: ptr("client_credentials"), ClientId: &c.clientID, ClientSecret: &c.clientSecret,
	})
	if err != nil || resp.JSON200 == nil {
		e.t.Fatalf("token for %s: %v %s", name, err, body(resp))
	}
	c.token = resp.JSON200.AccessToken
	c.ClientWithResponses = e.client(c.token)
	return c
}

func (e *env) client(token string) *identity.ClientWithResponses {
	e.t.Helper()
	opts := []identity.ClientOption{identity.WithHTTPClient(e.hc)}
	if token != "" {
		opts = append(opts, identity.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+token)
			return nil
		}))
	}
	c, err := identity.NewClientWithResponses(e.url, opts...)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) anonymous() *identity.ClientWithResponses { return e.client("") }

// org creates an organization owned by c.
func (c *caller) org(t testing.TB, name string) uuid.UUID {
	t.Helper()
	resp, err := c.CreateOrganizationWithResponse(context.Background(), nil, identity.OrganizationCreate{Name: name})
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create organization: %v %s", err, body(resp))
	}
	return resp.JSON201.Id
}

// instance creates an instance of org.
func (c *caller) instance(t testing.TB, org uuid.UUID, handle string) identity.Instance {
	t.Helper()
	resp, err := c.CreateInstanceWithResponse(context.Background(), org, nil, identity.InstanceCreate{Name: "Instance " + handle, Handle: handle})
	if err != nil || resp.JSON201 == nil {
		t.Fatalf("create instance %s: %v %s", handle, err, body(resp))
	}
	return *resp.JSON201
}

// addMember makes partner a member of org with role, acting as c.
func (c *caller) addMember(t testing.TB, org uuid.UUID, partner uuid.UUID, role identity.RoleName) {
	t.Helper()
	resp, err := c.PutMemberWithResponse(context.Background(), org, partner, identity.MemberWrite{Role: role})
	if err != nil || (resp.StatusCode() != 201 && resp.StatusCode() != 200) {
		t.Fatalf("put member: %v %s", err, body(resp))
	}
}

type response = apitest.Response

var (
	body          = apitest.Body
	expectStatus  = apitest.ExpectStatus
	expectProblem = apitest.ExpectProblem
)

// raw sends a hand-made request (bodies and headers the generated client cannot produce) through
// the validating transport.
func (e *env) raw(method, path, token, contentType string, payload io.Reader) (*http.Response, common.Problem) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, payload)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p common.Problem
	_ = json.Unmarshal(b, &p)
	return resp, p
}

func ptr[T any](v T) *T { return &v }

package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/apitest"
	"github.com/flowkiwi/platform/pkg/clients/consistencytoken"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/migrate"
	"github.com/flowkiwi/platform/pkg/pgcluster"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/services/identity/internal/api"
	"github.com/flowkiwi/platform/services/identity/internal/app"
	"github.com/flowkiwi/platform/services/identity/internal/config"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
)

// Identity's partner reads keep read-your-writes on standbys: two identity replicas (one issuer)
// run on a primary, a standby and a standby 2 s late (in rotation: REPLICA_MAX_LAG=5s). 300
// organizations are each created through one replica and read at once through the other, by the
// same client without a token or by another client of the partner with the create's token: none
// is missed. The same reads by the other client without the token do miss some (the control).
func TestReplicaReadsSeeTheirWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary, standbys := pgcluster.ForTest(t, func(ctx context.Context, primary *pgcluster.Cluster) error {
		p, err := pgpool.New(ctx, primary.URL(), pgpool.Options{})
		if err != nil {
			return err
		}
		defer p.Close()
		return migrate.Up(ctx, p, identitydb.Migrations(), "schema_version")
	}, nil, []string{"recovery_min_apply_delay = '2s'"})
	pools := make([]*pgxpool.Pool, 3)
	for i, c := range append([]*pgcluster.Cluster{primary}, standbys...) {
		p, err := pgpool.New(ctx, c.URL(), pgpool.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		pools[i] = p
	}

	// Two replicas with one issuer, as behind a load balancer.
	srvs := []*httptest.Server{httptest.NewUnstartedServer(nil), httptest.NewUnstartedServer(nil)}
	issuer := "http://" + srvs[0].Listener.Addr().String()
	envs := make([]*env, 2)
	for i, srv := range srvs {
		t.Cleanup(srv.Close)
		cfg, err := config.FromEnv(func(k string) string {
			return map[string]string{"DATABASE_URL": "postgres://unused", "RATE_LIMIT_RPS": "0", "IDENTITY_ISSUER": issuer}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(ctx, cfg, pools[0], slog.New(slog.NewTextHandler(io.Discard, nil)),
			app.Options{BcryptCost: 4, Standbys: pools[1:], ReplicaMaxLag: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		running, stop := context.WithCancel(ctx)
		t.Cleanup(stop)
		go a.Replicas.Run(running)
		srv.Config.Handler = a.Handler
		srv.Start()
		doc, err := api.GetSpec()
		if err != nil {
			t.Fatal(err)
		}
		envs[i] = &env{t: t, app: a, cfg: cfg, url: srv.URL, hc: apitest.NewValidatingTransport(t, doc).Client()}
	}
	owner := envs[0].partner("Replicated")
	issued, err := envs[0].app.Partners.AddClient(ctx, owner.id, "storefront", partner.Operator)
	if err != nil {
		t.Fatal(err)
	}
	otherToken := envs[0].expectToken(t, issued.ClientID, issued.Secret, true)
	owners := []*identity.ClientWithResponses{envs[0].client(owner.token), envs[1].client(owner.token)}
	others := []*identity.ClientWithResponses{envs[0].client(otherToken), envs[1].client(otherToken)}
	// Both standbys join each router's rotation once it has watched the primary for
	// REPLICA_MAX_LAG and they keep within it.
	for deadline := time.Now().Add(20 * time.Second); envs[0].app.Replicas.Router.InRotation() < 2 || envs[1].app.Replicas.Router.InRotation() < 2; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the standbys did not join the read rotation")
		}
	}

	stale := map[string]int{}
	for n := range 300 {
		w, r := n%2, 1-n%2
		created, err := owners[w].CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: fmt.Sprint("Replicated ", n)})
		if err != nil || created.JSON201 == nil {
			t.Fatalf("create %d: %v %s", n, err, body(created))
		}
		token := consistencytoken.Of(created.HTTPResponse)
		if token == "" {
			t.Fatalf("create %d: no consistency token", n)
		}
		how := "same client, no token"
		var read *identity.GetOrganizationResponse
		if n%4 < 2 {
			read, err = owners[r].GetOrganizationWithResponse(ctx, created.JSON201.Id)
		} else {
			how = "other client, token"
			read, err = others[r].GetOrganizationWithResponse(ctx, created.JSON201.Id, consistencytoken.With(token))
		}
		if err != nil {
			t.Fatal(err)
		}
		if read.StatusCode() != http.StatusOK {
			stale[how]++
		}
		if consistencytoken.Of(read.HTTPResponse) == "" {
			t.Fatalf("read %d: no consistency token", n)
		}
	}
	if len(stale) != 0 {
		t.Fatalf("stale reads of 300 write-then-read pairs: %v", stale)
	}
	missed := 0
	for n := range 40 {
		created, err := owners[0].CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: fmt.Sprint("Unsent token ", n)})
		if err != nil || created.JSON201 == nil {
			t.Fatalf("create: %v %s", err, body(created))
		}
		read, err := others[1].GetOrganizationWithResponse(ctx, created.JSON201.Id)
		if err != nil {
			t.Fatal(err)
		}
		if read.StatusCode() == http.StatusNotFound {
			missed++
		}
	}
	if missed == 0 {
		t.Error("no read without a token missed its organization: the late standby served none, so the test proves nothing")
	}
	t.Logf("300 write-then-read pairs across two identity replicas: 0 stale; without the token another client missed %d of 40; reads by server: %v, %v",
		missed, envs[0].app.Replicas.Router.Served(), envs[1].app.Replicas.Router.Served())
}

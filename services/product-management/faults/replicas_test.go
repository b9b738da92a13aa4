package faults_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/clients/consistencytoken"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/pgcluster"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// replicaCluster is a primary with a database "flowkiwi", a standby and a standby that applies
// WAL 2 s late, on ports of their own; it returns their URLs of that database.
func replicaCluster(t *testing.T) (primary, standby, delayed *pgcluster.Cluster, urls [3]string) {
	t.Helper()
	primary, standbys := pgcluster.ForTest(t, func(ctx context.Context, primary *pgcluster.Cluster) error {
		admin, err := pgx.Connect(ctx, primary.URL())
		if err != nil {
			return err
		}
		defer admin.Close(ctx)
		_, err = admin.Exec(ctx, `create database flowkiwi`)
		return err
	}, nil, []string{"recovery_min_apply_delay = '2s'"})
	standby, delayed = standbys[0], standbys[1]
	for i, c := range []*pgcluster.Cluster{primary, standby, delayed} {
		urls[i] = c.URLOf("flowkiwi")
	}
	return primary, standby, delayed, urls
}

// replicaMetrics reads a product-management process's routing figures: reads per server
// (db_reads_total) and the standbys in rotation (db_standby_in_rotation), by server label.
func replicaMetrics(t *testing.T, base string) (reads map[string]float64, inRotation map[string]bool) {
	t.Helper()
	series := metricsOf(context.Background(), base)
	if series == nil {
		t.Fatalf("%s/metrics does not answer", base)
	}
	reads, inRotation = map[string]float64{}, map[string]bool{}
	for s, v := range series {
		if server, ok := serverOf(s, "db_reads_total"); ok {
			reads[server] = v
		} else if server, ok := serverOf(s, "db_standby_in_rotation"); ok {
			inRotation[server] = v == 1
		}
	}
	return reads, inRotation
}

// serverOf is the server label of a series of metric name.
func serverOf(series, name string) (string, bool) {
	rest, ok := strings.CutPrefix(series, name+`{server="`)
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(rest, `"}`), true
}

// Reads served by streaming standbys keep read-your-writes. Two product-management replicas run
// on a primary, a standby and a standby 2 s behind (in rotation: REPLICA_MAX_LAG=5s). 1,000
// products are each created through one replica and read at once through the other: by the same
// API client without a token or with an older one (its reads stick to its last write, kept on
// the primary), or by another client with the create's token. None is stale; reads by that other client without the token do
// land on the late standby and miss products (what the token prevents).
func TestReplicaReadsSeeTheirWrites(t *testing.T) {
	_, _, _, urls := replicaCluster(t)
	id := testenv.StartIdentity(t)
	owner := id.Partner("Replicas")
	org := owner.Org(t, "Replicas")
	owner.Instance(t, org, "replicas")
	var creds struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	id.CLI(&creds, "partner", "client", "create", "--partner", owner.ID.String(), "--name", "storefront")
	other := *owner
	other.ClientID, other.ClientSecret, other.Token = creds.ClientID, creds.ClientSecret, id.Token(creds.ClientID, creds.ClientSecret)

	env := map[string]string{"DATABASE_READ_URLS": urls[1] + "," + urls[2], "REPLICA_MAX_LAG": "5s"}
	replicas := []*testenv.PMProcess{
		testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: urls[0], Env: env}),
		testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: urls[0], Env: env}),
	}
	waitInRotation(t, replicas, 2)
	owners := []*pm.ClientWithResponses{replicas[0].Client(owner, "replicas", org), replicas[1].Client(owner, "replicas", org)}
	others := []*pm.ClientWithResponses{replicas[0].Client(&other, "replicas", org), replicas[1].Client(&other, "replicas", org)}
	before, _ := replicaMetrics(t, replicas[1].URL)

	ctx := context.Background()
	stale := map[string]int{}
	var first string // the first create's token
	for n := range 1000 {
		w, r := n%2, 1-n%2
		title := fmt.Sprintf("Replicated %d", n)
		created, err := owners[w].CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: someTitle(title)})
		if err != nil || created.ApplicationldJSON201 == nil {
			t.Fatalf("create %d: %v %s", n, err, statusOf(created))
		}
		token := consistencytoken.Of(created.HTTPResponse)
		if token == "" {
			t.Fatalf("create %d: no %s", n, "Flowkiwi-Consistency-Token")
		}
		if n == 0 {
			first = token
		}
		var how string
		var read *pm.GetProductResponse
		switch n % 6 {
		case 0, 1:
			how = "same client, no token"
			read, err = owners[r].GetProductWithResponse(ctx, created.ApplicationldJSON201.Id, nil)
		case 2, 3:
			how = "other client, token"
			read, err = others[r].GetProductWithResponse(ctx, created.ApplicationldJSON201.Id, nil, consistencytoken.With(token))
		default: // a token older than the client's own last write (another worker's, say)
			how = "same client, an older token"
			read, err = owners[r].GetProductWithResponse(ctx, created.ApplicationldJSON201.Id, nil, consistencytoken.With(first))
		}
		if err != nil {
			t.Fatalf("read %d: %v", n, err)
		}
		if got, err := titleOf(read); err != nil || got != title {
			stale[how]++
			t.Logf("stale read %d (%s): written through replica %d with token %s, read through %d: %v %q, its token %s",
				n, how, w, token, r, err, got, consistencytoken.Of(read.HTTPResponse))
		}
		if got := consistencytoken.Of(read.HTTPResponse); got == "" {
			t.Fatalf("read %d: no consistency token", n)
		}
	}
	if len(stale) != 0 {
		t.Fatalf("stale reads of 1,000 write-then-read pairs: %v", stale)
	}
	after, _ := replicaMetrics(t, replicas[1].URL)

	// The control: without the token another client's reads are answered by either standby, and
	// the late one has not got the product yet.
	missed := 0
	for n := range 40 {
		created, err := owners[0].CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: someTitle(fmt.Sprint("Unsent token ", n))})
		if err != nil || created.ApplicationldJSON201 == nil {
			t.Fatalf("create: %v %s", err, statusOf(created))
		}
		read, err := others[1].GetProductWithResponse(ctx, created.ApplicationldJSON201.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if read.StatusCode() == http.StatusNotFound {
			missed++
		}
	}
	if missed == 0 {
		t.Error("no read without a token missed its product: the late standby served none, so the test proves nothing")
	}
	t.Logf("1,000 write-then-read pairs across two replicas: 0 stale; reads on the reading replica by server: %v (before: %v); "+
		"without the token another client missed %d of 40 fresh products", after, before, missed)
}

// With standbys that keep up, at least 90 % of reads are served by them; a standby lagging past
// REPLICA_MAX_LAG (the one 2 s behind, under writes) leaves the rotation and returns once writes
// stop; a standby stopped in the middle of a read load costs no failed request.
func TestReplicaRotation(t *testing.T) {
	_, standby, _, urls := replicaCluster(t)
	id := testenv.StartIdentity(t)
	owner := id.Partner("Rotation")
	org := owner.Org(t, "Rotation")
	owner.Instance(t, org, "rotation")
	env := map[string]string{"DATABASE_READ_URLS": urls[1] + "," + urls[2]} // REPLICA_MAX_LAG: the default 1 s
	replicas := []*testenv.PMProcess{
		testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: urls[0], Env: env}),
		testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: urls[0], Env: env}),
	}
	waitInRotation(t, replicas, 1)
	clients := []*pm.ClientWithResponses{replicas[0].Client(owner, "rotation", org), replicas[1].Client(owner, "rotation", org)}
	standbyName, delayedName := hostPort(urls[1]), hostPort(urls[2])
	before, _ := replicaMetrics(t, replicas[1].URL)

	ctx := context.Background()
	var ids []uuid.UUID
	delayedLeft := false
	for n := range 300 {
		created, err := clients[0].CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: someTitle(fmt.Sprint("Rotating ", n))})
		if err != nil || created.ApplicationldJSON201 == nil {
			t.Fatalf("create %d: %v %s", n, err, statusOf(created))
		}
		ids = append(ids, created.ApplicationldJSON201.Id)
		read, err := clients[1].GetProductWithResponse(ctx, created.ApplicationldJSON201.Id, nil)
		if err != nil || read.ApplicationldJSON200 == nil {
			t.Fatalf("read %d: %v %s", n, err, statusOf(read))
		}
		if n > 100 && n%20 == 0 {
			if _, in := replicaMetrics(t, replicas[1].URL); !in[delayedName] {
				delayedLeft = true
			}
		}
	}
	after, _ := replicaMetrics(t, replicas[1].URL)
	total, onStandbys := 0.0, 0.0
	for server, n := range after {
		total += n - before[server]
		if server != "primary" {
			onStandbys += n - before[server]
		}
	}
	if total < 300 || onStandbys < 0.9*total {
		t.Errorf("%.0f of %.0f reads went to standbys (%v), want at least 90 %%", onStandbys, total, after)
	}
	if !delayedLeft {
		t.Error("the standby 2 s behind never left the rotation under writes")
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if _, in := replicaMetrics(t, replicas[1].URL); in[delayedName] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the late standby did not return to the rotation once writes stopped")
		}
	}

	// A standby stopped mid-load: every read still answers 200.
	loadCtx, stopLoad := context.WithTimeout(ctx, 4*time.Second)
	defer stopLoad()
	results := make(chan [2]int, 4)
	for g := range 4 {
		go func() {
			ok, failed := 0, 0
			for i := 0; loadCtx.Err() == nil; i++ {
				read, err := clients[g%2].GetProductWithResponse(loadCtx, ids[(g*97+i)%len(ids)], nil)
				switch {
				case loadCtx.Err() != nil:
				case err != nil || read.StatusCode() != http.StatusOK:
					failed++
					t.Logf("read failed while the standby stopped: %v %s", err, statusOf(read))
				default:
					ok++
				}
			}
			results <- [2]int{ok, failed}
		}()
	}
	time.Sleep(time.Second)
	stopped, _ := replicaMetrics(t, replicas[0].URL)
	if err := standby.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	ok, failed := 0, 0
	for range 4 {
		r := <-results
		ok, failed = ok+r[0], failed+r[1]
	}
	if failed != 0 {
		t.Fatalf("%d of %d reads failed while a standby stopped", failed, ok+failed)
	}
	final, in := replicaMetrics(t, replicas[0].URL)
	if in[standbyName] {
		t.Error("the stopped standby is still in the rotation")
	}
	t.Logf("300 write-then-read pairs: %.0f of %.0f reads on standbys; standby stopped mid-load: %d reads, 0 failed (reads by server before the stop %v, after %v)",
		onStandbys, total, ok, stopped, final)
}

// waitInRotation waits until every replica routes reads to at least n standbys.
func waitInRotation(t *testing.T, replicas []*testenv.PMProcess, n int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ready := true
		for _, r := range replicas {
			_, in := replicaMetrics(t, r.URL)
			count := 0
			for _, v := range in {
				if v {
					count++
				}
			}
			ready = ready && count >= n
		}
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d standbys joined the read rotation", n)
		}
	}
}

// hostPort is a URL's host:port, the server label of the routing metrics.
func hostPort(url string) string {
	rest := strings.TrimPrefix(url, "postgres://postgres@")
	hp, _, _ := strings.Cut(rest, "/")
	return hp
}

// statusOf is what a generated client's response said, for a failure message.
func statusOf[R interface{ StatusCode() int }](r *R) string {
	if r == nil {
		return "no answer"
	}
	return fmt.Sprint((*r).StatusCode())
}

// titleOf is the title a read answered (an error when it answered no product).
func titleOf(read *pm.GetProductResponse) (string, error) {
	if read.ApplicationldJSON200 == nil {
		return "", fmt.Errorf("status %d", read.StatusCode())
	}
	return read.ApplicationldJSON200.Title.Get()
}

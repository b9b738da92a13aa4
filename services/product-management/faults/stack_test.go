package faults_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	identitydb "github.com/flowkiwi/platform/db/identity"
	pmdb "github.com/flowkiwi/platform/db/product-management"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/pgcluster"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// stack is both services as processes on a PostgreSQL cluster of the suite's own, with Toxiproxy
// (in-process) between each service and PostgreSQL and between product-management and identity,
// and a webhook receiver the suite can make fail.
type stack struct {
	t                *testing.T
	pg               *pgcluster.Cluster
	pmDB, idDB       string // the databases' direct URLs (for checks and faults)
	pmPG, idPG, pmID *toxiclient.Proxy
	id               *testenv.Identity
	pm               *testenv.PMProcess
	owner            *testenv.Partner
	org              uuid.UUID
	c                *pm.ClientWithResponses
	rcv              *receiver
	phases           int       // fault phases run
	firstRoundEnd    time.Time // when the first round of faults ended
	// profiles (SOAK_PROFILES) is where each resource reading saves product-management's heap
	// profile, served on pmDebug: the profiles at the warm-up mark and the end tell what grew.
	profiles, pmDebug string
	profiled          int
}

// pmEnv are product-management's settings in the suite: short deadlines and webhook timings, so
// faults and their recovery fit in minutes.
var pmEnv = map[string]string{
	"REQUEST_TIMEOUT":         "4s",
	"WEBHOOK_TIMEOUT":         "2s",
	"WEBHOOK_DISPATCH_PERIOD": "100ms",
	"WEBHOOK_RETRY_SCHEDULE":  "1s,1s,2s,2s,2s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s,3s",
}

const requestTimeout = 4 * time.Second

func newStack(t *testing.T) *stack {
	t.Helper()
	s := &stack{t: t, pg: testdb.PrivateCluster(t)}
	s.pmDB = testdb.NewURLOn(t, s.pg.URL(), pmdb.Migrations())
	s.idDB = testdb.NewURLOn(t, s.pg.URL(), identitydb.Migrations())
	tox := startToxiproxy(t)
	pgAddr := hostOf(t, s.pg.URL())
	s.idPG = proxy(t, tox, "identity-postgres", pgAddr)
	s.pmPG = proxy(t, tox, "pm-postgres", pgAddr)
	// Tokens outlive a soak (a partner's client would fetch new ones; these are fetched once).
	s.id = testenv.StartIdentityWith(t, testenv.IdentityOptions{DatabaseURL: via(t, s.idDB, s.idPG), Env: map[string]string{"IDENTITY_TOKEN_TTL": "6h"}})
	s.pmID = proxy(t, tox, "pm-identity", hostOf(t, s.id.URL))
	env := maps.Clone(pmEnv)
	if s.profiles = os.Getenv("SOAK_PROFILES"); s.profiles != "" {
		port, err := pgcluster.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		s.pmDebug = fmt.Sprintf("127.0.0.1:%d", port)
		env["DEBUG_ADDR"] = s.pmDebug
	}
	s.pm = testenv.StartPMProcess(t, s.id, testenv.PMProcessOptions{DatabaseURL: via(t, s.pmDB, s.pmPG),
		IdentityURL: "http://" + s.pmID.Listen, Failpoints: true, Env: env})
	s.owner = s.id.Partner("Owner")
	s.org = s.owner.Org(t, "Faults")
	s.owner.Instance(t, s.org, "faults")
	s.c = s.pm.Client(s.owner, "faults", s.org)
	s.rcv = newReceiver(t)
	resp, err := s.c.CreateWebhookSubscriptionWithResponse(context.Background(), nil, pm.WebhookSubscriptionCreate{Url: s.rcv.srv.URL, Events: []string{"product.created"}})
	if err != nil || resp.ApplicationldJSON201 == nil {
		t.Fatalf("subscribe: %v %s", err, resp.Body)
	}
	s.rcv.verify(*resp.ApplicationldJSON201.Secret)
	return s
}

func startToxiproxy(t *testing.T) *toxiclient.Client {
	t.Helper()
	port, err := pgcluster.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	srv := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(prometheus.NewRegistry()), zerolog.Nop())
	go func() { _ = srv.Listen(addr) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	c := toxiclient.NewClient(addr)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := c.Version(); err == nil {
			return c
		} else if time.Now().After(deadline) {
			t.Fatalf("toxiproxy did not start: %v", err)
		}
	}
}

func proxy(t *testing.T, c *toxiclient.Client, name, upstream string) *toxiclient.Proxy {
	t.Helper()
	p, err := c.CreateProxy(name, "127.0.0.1:0", upstream)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// via is a database URL that goes through p.
func via(t *testing.T, db string, p *toxiclient.Proxy) string {
	t.Helper()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.Listen
	return u.String()
}

// receiver is a webhook endpoint that checks every delivery's signature and that every attempt of
// one webhook-id carries the same payload; the suite sets how it answers.
type receiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	mode string // "ok", "500", "hang", "reset"
	wh   *standardwebhooks.Webhook
	// by webhook-id: the payload of its first attempt and how many attempts came (whatever the
	// answer), and the payload answered 2xx and how often
	seen     map[string][]byte
	tries    map[string]int
	payloads map[string][]byte
	attempts map[string]int
	at       map[string]time.Time // when first answered 2xx
	problems []string
	inFlight map[string]int // webhook-ids of the attempts hanging now
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{mode: "ok", seen: map[string][]byte{}, tries: map[string]int{}, payloads: map[string][]byte{}, attempts: map[string]int{}, at: map[string]time.Time{}, inFlight: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) verify(secret string) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		panic(err)
	}
	r.mu.Lock()
	r.wh = wh
	r.mu.Unlock()
}

func (r *receiver) set(mode string) {
	r.mu.Lock()
	r.mode = mode
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	mode := r.mode
	if r.wh != nil {
		if err := r.wh.Verify(body, req.Header); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s: signature refused: %v", id, err))
		}
	}
	if first, seen := r.seen[id]; seen && string(first) != string(body) {
		r.problems = append(r.problems, fmt.Sprintf("%s: another payload on a later attempt", id))
	} else if !seen {
		r.seen[id] = body
	}
	r.tries[id]++
	r.mu.Unlock()
	switch mode {
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		return
	case "hang":
		r.mu.Lock()
		r.inFlight[id]++
		r.mu.Unlock()
		<-req.Context().Done() // the sender gives up (its timeout), or the test ends
		r.mu.Lock()
		r.inFlight[id]--
		r.mu.Unlock()
		return
	case "reset":
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				if tcp, ok := conn.(*net.TCPConn); ok {
					_ = tcp.SetLinger(0)
				}
				_ = conn.Close()
				return
			}
		}
	}
	r.mu.Lock()
	if _, seen := r.payloads[id]; !seen {
		r.payloads[id], r.at[id] = body, time.Now()
	}
	r.attempts[id]++
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// delivered reports the webhook-ids answered 2xx.
func (r *receiver) delivered() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]bool, len(r.payloads))
	for id := range r.payloads {
		out[id] = true
	}
	return out
}

func (r *receiver) deliveredAt(id string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.at[id]
	return at, ok
}

// hanging reports whether an attempt of webhook-id id is hanging now.
func (r *receiver) hanging(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inFlight[id] > 0
}

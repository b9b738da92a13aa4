package faults_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
	"github.com/jackc/pgx/v5/pgxpool"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/services/product-management/internal/webhook"
)

// fault is one thing that goes wrong for a while: start breaks it, heal mends it.
type fault struct {
	name  string
	start func(s *stack)
	heal  func(s *stack)
	// firstRoundOnly: in a soak, only the first round has it (the random kills, so the later
	// rounds watch one product-management process for leaks)
	firstRoundOnly bool
}

// faults are the suite's faults, each held for faultFor, with recovery between them.
func faults() []fault {
	toxic := func(p func(s *stack) *toxiclient.Proxy, kind string, attrs toxiclient.Attributes) (func(*stack), func(*stack)) {
		return func(s *stack) {
				if _, err := p(s).AddToxic(kind, kind, "downstream", 1, attrs); err != nil {
					s.t.Fatal(err)
				}
			}, func(s *stack) {
				if err := p(s).RemoveToxic(kind); err != nil {
					s.t.Fatal(err)
				}
			}
	}
	pmPG := func(s *stack) *toxiclient.Proxy { return s.pmPG }
	pmID := func(s *stack) *toxiclient.Proxy { return s.pmID }
	latencyOn, latencyOff := toxic(pmPG, "latency", toxiclient.Attributes{"latency": 200, "jitter": 100})
	idLatencyOn, idLatencyOff := toxic(func(s *stack) *toxiclient.Proxy { return s.idPG }, "latency", toxiclient.Attributes{"latency": 200, "jitter": 100})
	holeOn, holeOff := toxic(pmPG, "timeout", toxiclient.Attributes{"timeout": 0})
	resetOn, resetOff := toxic(pmPG, "reset_peer", toxiclient.Attributes{"timeout": 300})
	slowOn, slowOff := toxic(pmID, "latency", toxiclient.Attributes{"latency": 3000})
	var stopTerminating context.CancelFunc
	var stopKilling context.CancelFunc
	killDone := make(chan struct{})
	return []fault{
		{"database latency 200±100ms", func(s *stack) { latencyOn(s); idLatencyOn(s) }, func(s *stack) { latencyOff(s); idLatencyOff(s) }, false},
		{"database blackhole", holeOn, holeOff, false},
		{"connections reset mid-transaction", resetOn, resetOff, false},
		{"sessions terminated every 2s", func(s *stack) {
			var ctx context.Context
			ctx, stopTerminating = context.WithCancel(context.Background())
			go s.terminateEvery(ctx, 2*time.Second)
		}, func(*stack) { stopTerminating() }, false},
		{"postgres stopped at once and restarted", func(s *stack) {
			if err := s.pg.Kill(context.Background()); err != nil {
				s.t.Fatal(err)
			}
		}, func(s *stack) {
			if err := s.pg.Start(context.Background()); err != nil {
				s.t.Fatal(err)
			}
		}, false},
		{"identity refusing connections", func(s *stack) { must(s.t, s.pmID.Disable()) }, func(s *stack) { must(s.t, s.pmID.Enable()) }, false},
		{"identity answering in 3s", slowOn, slowOff, false},
		{"product-management killed at random", func(s *stack) {
			var ctx context.Context
			ctx, stopKilling = context.WithCancel(context.Background())
			go func() {
				defer close(killDone)
				for ctx.Err() == nil {
					select {
					case <-ctx.Done():
					case <-time.After(time.Duration(2000+rand.IntN(4000)) * time.Millisecond):
						s.pm.Kill()
						time.Sleep(500 * time.Millisecond)
						s.restartPM()
					}
				}
			}()
		}, func(*stack) { stopKilling(); <-killDone }, true},
		{"receiver answering 500", func(s *stack) { s.rcv.set("500") }, func(s *stack) { s.rcv.set("ok") }, false},
		{"receiver hanging", func(s *stack) { s.rcv.set("hang") }, func(s *stack) { s.rcv.set("ok") }, false},
		{"receiver resetting", func(s *stack) { s.rcv.set("reset") }, func(s *stack) { s.rcv.set("ok") }, false},
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// restartPM starts product-management again after a kill (from a goroutine: a failure is
// reported, and the next check finds the service down).
func (s *stack) restartPM() {
	select {
	case <-s.pm.Exited():
	default:
		return
	}
	if err := s.pm.TryStart(); err != nil {
		s.t.Errorf("restart after a kill: %v", err)
	}
}

// terminateEvery ends the services' database sessions every period until ctx ends.
func (s *stack) terminateEvery(ctx context.Context, period time.Duration) {
	pool, err := pgxpool.New(ctx, s.pg.URL())
	if err != nil {
		return
	}
	defer pool.Close()
	dbs := []string{dbName(s.pmDB), dbName(s.idDB)}
	for {
		_, _ = pool.Exec(ctx, `select pg_terminate_backend(pid) from pg_stat_activity where datname = any($1) and pid <> pg_backend_pid()`, dbs)
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}

func dbName(raw string) string {
	u, _ := url.Parse(raw)
	return strings.TrimPrefix(u.Path, "/")
}

// suiteTimes are how long each fault lasts and how long recovery is watched; SOAK (a duration,
// `make soak`) repeats the faults in random order until it has passed.
type suiteTimes struct {
	faultFor, recoverWithin, watch time.Duration
	soak                           time.Duration
}

func times(t *testing.T) suiteTimes {
	st := suiteTimes{faultFor: 15 * time.Second, recoverWithin: 30 * time.Second, watch: 3 * time.Second}
	if v := os.Getenv("SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("SOAK=%q: %v", v, err)
		}
		st.soak, st.faultFor, st.watch = d, 20*time.Second, 10*time.Second
	}
	return st
}

// The fault suite: an open-loop load of keyed creates and reads against both services as real
// processes while, one after another, the database slows, vanishes, resets and restarts,
// identity refuses and crawls, product-management is killed at random and the webhook receiver
// fails. After each fault: no 500, every 503 and 429 with Retry-After, no request past its
// deadline by more than a second, and success at least 99.9% once the service has recovered
// (within 30 s). At the end: every acknowledged create is there, one product and one event per
// key, every replay equal to its first answer, the feed complete and each earlier read of it a
// prefix, every event delivered to the receiver, with the same payload on every attempt, signed.
func TestFaultSuite(t *testing.T) {
	st := times(t)
	s := newStack(t)
	l := newLoad(s.c, 25)
	ctx, stop := context.WithCancel(context.Background())
	loadDone := make(chan struct{})
	go func() { l.run(ctx); close(loadDone) }()
	defer func() { stop(); <-loadDone }()
	l.setPhase("baseline")
	var res *resources
	if st.soak > 0 {
		res = &resources{samples: map[string][]sample{}}
	}
	started := time.Now()
	time.Sleep(st.watch)
	var feedReads [][]string
	stranger := s.stranger()
	deadline := time.Now().Add(st.soak)
	order := faults()
	for round := 0; round == 0 || time.Now().Before(deadline); round++ {
		if round > 0 {
			rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		for _, f := range order {
			if round > 0 && (f.firstRoundOnly || time.Now().After(deadline)) {
				continue
			}
			phase := f.name
			if st.soak > 0 {
				phase = fmt.Sprintf("round %d: %s", round+1, f.name)
			}
			l.setPhase(phase)
			f.start(s)
			if strings.HasPrefix(f.name, "identity refusing") {
				time.Sleep(time.Second)
				s.checkNoAccessWhileIdentityDown(stranger)
			}
			time.Sleep(st.faultFor)
			f.heal(s)
			recovered := s.recover(l, phase, st)
			s.checkPhase(l, phase, recovered)
			feedReads = append(feedReads, s.feedIDs())
			s.phases++
			if res != nil {
				s.sampleResources(ctx, res)
			}
		}
		if round == 0 {
			if res != nil {
				// The first round restarted product-management: its bounded caches (kept
				// encodings, validation verdicts) start empty and fill as distinct products are
				// read. Fill them now, so the flat line compares full caches, not filling ones.
				s.warmCaches(l)
			}
			s.firstRoundEnd = time.Now()
		}
	}
	l.setPhase("end")
	stop()
	<-loadDone
	rescued, killed := s.abandonADelivery(l)
	settleCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := l.settle(settleCtx)
	if err != nil {
		t.Fatalf("acknowledged-or-not: %d unknown creates settled, then %v", n, err)
	}
	s.checkEnd(l, feedReads)
	s.checkDelivered(l)
	if res != nil {
		// The warm-up: five minutes, and the first round (whose kills restart product-management).
		mark := started.Add(5 * time.Minute)
		if s.firstRoundEnd.After(mark) {
			mark = s.firstRoundEnd
		}
		res.checkFlat(t, mark)
	}
	s.checkRescue(rescued, killed)
	ops := l.snapshot()
	t.Logf("the run: %d requests, %d fault phases, %v", len(ops), s.phases, time.Since(started).Round(time.Second))
}

// stranger is a partner product-management has never seen, with an instance of its own.
func (s *stack) stranger() *pm.ClientWithResponses {
	p := s.id.Partner("Stranger")
	org := p.Org(s.t, "Stranger")
	p.Instance(s.t, org, "stranger")
	return s.pm.Client(p, "stranger", org)
}

// checkNoAccessWhileIdentityDown: while identity cannot be asked, a partner product-management
// has no cached grant for gets none.
func (s *stack) checkNoAccessWhileIdentityDown(stranger *pm.ClientWithResponses) {
	resp, err := stranger.ListProductsWithResponse(context.Background(), &pm.ListProductsParams{})
	if err == nil && resp.StatusCode() < 300 {
		s.t.Errorf("access while identity is down: an unseen partner was answered %d", resp.StatusCode())
	}
}

// recover waits (at most st.recoverWithin) until a create and a read succeed again, then watches
// the load for st.watch; it returns when the watch began.
func (s *stack) recover(l *load, phase string, st suiteTimes) time.Time {
	s.t.Helper()
	l.setPhase(phase + " / recovery")
	healed := time.Now()
	for {
		resp, err := s.c.ListProductsWithResponse(context.Background(), &pm.ListProductsParams{})
		if err == nil && resp.StatusCode() == http.StatusOK {
			break
		}
		if time.Since(healed) > st.recoverWithin {
			s.t.Errorf("recovery after %s: not serving %s after it healed", phase, st.recoverWithin)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Logf("%s: serving again %v after it healed", phase, time.Since(healed).Round(10*time.Millisecond))
	l.setPhase(phase + " / watched")
	watched := time.Now()
	time.Sleep(st.watch)
	return watched
}

// checkPhase checks the phase's requests: no 500, Retry-After on every 503 and 429, none past its
// deadline by more than a second, and success ≥ 99.9% among those sent once recovered.
func (s *stack) checkPhase(l *load, phase string, recovered time.Time) {
	s.t.Helper()
	var total, failed, watched, watchedOK int
	var worst, p99 time.Duration
	var lat []time.Duration
	for _, o := range l.snapshot() {
		if !strings.HasPrefix(o.phase, phase) {
			continue
		}
		total++
		took := o.done.Sub(o.sent)
		worst = max(worst, took)
		lat = append(lat, o.done.Sub(o.intended))
		switch {
		case o.status >= 500 && o.status != http.StatusServiceUnavailable:
			s.t.Errorf("%s: no 500: a %s was answered %d", phase, o.kind, o.status)
		case (o.status == http.StatusServiceUnavailable || o.status == http.StatusTooManyRequests) && !o.retryAfter:
			s.t.Errorf("%s: Retry-After: a %s was answered %d without it", phase, o.kind, o.status)
		}
		if took > requestTimeout+time.Second { // answered or not: a hang until the client gives up counts
			s.t.Errorf("%s: deadline: a %s took %v (deadline %v)", phase, o.kind, took, requestTimeout)
		}
		ok := o.status == http.StatusOK || o.status == http.StatusCreated
		if !ok {
			failed++
		}
		if o.phase == phase+" / watched" && o.sent.After(recovered) {
			watched++
			if ok {
				watchedOK++
			}
		}
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		p99 = lat[len(lat)*99/100]
	}
	if watched > 0 && float64(watchedOK) < 0.999*float64(watched) {
		s.t.Errorf("%s: recovery: %d of %d requests succeeded once it had healed", phase, watchedOK, watched)
	}
	s.t.Logf("%s: %d requests, %d not 2xx, slowest answer %v, p99 from the intended send %v; after recovery %d/%d succeeded",
		phase, total, failed, worst.Round(time.Millisecond), p99.Round(time.Millisecond), watchedOK, watched)
}

// feedIDs reads the whole feed through the API: its event ids in order.
func (s *stack) feedIDs() []string {
	var ids []string
	params := pm.ListEventsParams{}
	failures := 0
	for range 10000 {
		resp, err := s.c.ListEventsWithResponse(context.Background(), &params)
		if err != nil || resp.StatusCode() != http.StatusOK {
			if failures++; failures == 50 { // 10 s of refusals: the service is not coming back
				s.t.Fatalf("the feed cannot be read: %v %v", err, resp)
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		page := resp.ApplicationldJSON200
		if len(page.Member) == 0 {
			return ids
		}
		for _, e := range page.Member {
			ids = append(ids, e.Id.String())
		}
		u, _ := url.Parse(*page.View.Next)
		next := u.Query().Get("cursor")
		params.Cursor = &next
	}
	s.t.Fatal("the feed does not end")
	return nil
}

// checkEnd checks what the whole run left: every acknowledged create there, one product and one
// product.created per key, every replay equal to the first answer, and the feed complete, in
// order, each earlier read of it a prefix of the last.
func (s *stack) checkEnd(l *load, feedReads [][]string) {
	s.t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, s.pmDB)
	if err != nil {
		s.t.Fatal(err)
	}
	defer pool.Close()
	perTitle := countBy(s.t, pool, `select title from product_translations`)
	first := map[string]string{}
	keys, replays := 0, 0
	for _, o := range l.snapshot() {
		if o.kind != "create" || o.status != http.StatusCreated {
			continue
		}
		if b, seen := first[o.key]; seen {
			replays++
			if b != string(o.body) {
				s.t.Errorf("identical replays: key %s answered two different 201s", o.key)
			}
			continue
		}
		first[o.key] = string(o.body)
		keys++
	}
	for k := range first {
		if perTitle[k] != 1 {
			s.t.Errorf("one effect per key: key %s made %d products", k, perTitle[k])
		}
	}
	var products, events, resources int
	if err := pool.QueryRow(ctx, `select (select count(*) from products), (select count(*) from events where type = 'product.created'),
		(select count(distinct resource) from events where type = 'product.created')`).Scan(&products, &events, &resources); err != nil {
		s.t.Fatal(err)
	}
	if products != keys || events != products || resources != products {
		s.t.Errorf("one event per committed change: %d keys acknowledged, %d products, %d product.created for %d resources", keys, products, events, resources)
	}
	final := s.feedIDs()
	if len(final) != events {
		s.t.Errorf("feed complete: the feed lists %d events, the database holds %d", len(final), events)
	}
	for i, read := range feedReads {
		if len(read) > len(final) || !slices.Equal(read, final[:len(read)]) {
			s.t.Errorf("feed prefix: read %d (%d events) is not a prefix of the final feed", i, len(read))
		}
	}
	s.t.Logf("end: %d keys acknowledged (%d replays compared), %d products, %d events, %d feed reads compared", keys, replays, products, events, len(feedReads))
}

// checkDelivered waits (at most 90 s) until every product.created event was delivered to
// the receiver, and reports what the receiver found wrong on the way.
func (s *stack) checkDelivered(l *load) {
	s.t.Helper()
	want := s.feedIDs()
	var missing []string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		got := s.rcv.delivered()
		missing = missing[:0]
		for _, id := range want {
			if !got[id] {
				missing = append(missing, id)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		s.t.Errorf("webhooks at least once: %d of %d events never delivered (first %s)", len(missing), len(want), missing[0])
	}
	s.rcv.mu.Lock()
	defer s.rcv.mu.Unlock()
	for _, p := range s.rcv.problems {
		s.t.Errorf("webhooks: %s", p)
	}
	attempts, tries, retried := 0, 0, 0
	for _, n := range s.rcv.attempts {
		attempts += n
	}
	for _, n := range s.rcv.tries {
		tries += n
		if n > 1 {
			retried++
		}
	}
	s.t.Logf("webhooks: %d events delivered; %d attempts in all (%d answered 2xx), %d events sent more than once, each time the same payload, signed", len(want), tries, attempts, retried)
}

// abandonADelivery kills product-management while a delivery is in flight (the receiver hangs)
// and starts it again with the receiver answering; it returns the event whose delivery was
// abandoned and when.
func (s *stack) abandonADelivery(l *load) (event string, killed time.Time) {
	s.t.Helper()
	s.rcv.set("hang")
	o := op{phase: "rescue", kind: "create", key: "rescued-" + time.Now().Format(time.RFC3339Nano), sent: time.Now(), intended: time.Now()}
	l.create(context.Background(), &o)
	o.done = time.Now()
	l.mu.Lock()
	l.ops = append(l.ops, o)
	l.mu.Unlock()
	if o.status != http.StatusCreated {
		s.t.Fatalf("rescue: the create was answered %d", o.status)
	}
	ids := s.feedIDs()
	event = ids[len(ids)-1]
	for deadline := time.Now().Add(10 * time.Second); !s.rcv.hanging(event); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatal("rescue: the new event's delivery never reached the hanging receiver")
		}
	}
	s.pm.Kill()
	killed = time.Now()
	s.rcv.set("ok")
	s.pm.Start()
	return event, killed
}

// checkRescue expects the delivery abandoned by a killed process within the bound the webhook
// package states (River's rescue).
func (s *stack) checkRescue(event string, killed time.Time) {
	s.t.Helper()
	cfg := webhook.DefaultConfig()
	cfg.Timeout = 2 * time.Second
	bound := webhook.RescueBound(cfg) + 3*time.Second // and the retry schedule's step
	at, ok := s.rcv.deliveredAt(event)
	switch {
	case !ok:
		s.t.Errorf("rescue: the delivery abandoned by a killed process never came")
	case at.Sub(killed) > bound:
		s.t.Errorf("rescue: the abandoned delivery came %v after the kill, past the bound %v", at.Sub(killed), bound)
	default:
		s.t.Logf("rescue: the abandoned delivery came %v after the kill (bound %v)", at.Sub(killed).Round(time.Second), bound)
	}
}

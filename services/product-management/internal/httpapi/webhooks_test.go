package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// receiver is a webhook endpoint that records what it is sent and answers down's status (0: 204).
type receiver struct {
	srv  *httptest.Server
	down atomic.Int32
	mu   sync.Mutex
	got  []delivered
}

type delivered struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if s := r.down.Load(); s != 0 {
			w.WriteHeader(int(s))
			_, _ = w.Write([]byte("down for maintenance"))
			return
		}
		r.mu.Lock()
		r.got = append(r.got, delivered{req.Header.Clone(), body})
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// newCountingReceiver is a receiver that only counts, for benchmarks; it returns its URL.
func newCountingReceiver(tb testing.TB, n *atomic.Int64) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

func (r *receiver) received() []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivered(nil), r.got...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// webhookWorld is a world whose product-management delivers webhooks (to local receivers) on db.
func webhookWorld(t *testing.T, id *testenv.Identity, db string, env map[string]string) *world {
	t.Helper()
	all := map[string]string{"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "WEBHOOK_RETRY_SCHEDULE": "1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s,1s",
		"WEBHOOK_DISPATCH_PERIOD": "50ms"}
	for k, v := range env {
		all[k] = v
	}
	return &world{id: id, pm: testenv.StartPMWith(t, id, testenv.PMOptions{DatabaseURL: db, Env: all, Background: true})}
}

// tenant gives w an owner with an organization and an instance, and its client.
func (w *world) tenant(t *testing.T, org, handle string) {
	t.Helper()
	w.owner, w.handle = w.id.Partner("Owner"), handle
	w.org = w.owner.Org(t, org)
	w.owner.Instance(t, w.org, w.handle)
	w.c = w.pm.Client(w.owner, w.handle, w.org)
}

func (w *world) subscribe(t *testing.T, url string, events ...string) pm.WebhookSubscription {
	t.Helper()
	resp, err := w.c.CreateWebhookSubscriptionWithResponse(context.Background(), nil, pm.WebhookSubscriptionCreate{Url: url, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 201)
	return *resp.ApplicationldJSON201
}

// A subscriber receives a signed product.created that the Standard Webhooks verifier accepts,
// under the event's id; events it did not subscribe to are not sent; its deliveries list the
// attempt.
func TestWebhookDeliversSignedEvents(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	w := webhookWorld(t, id, testdb.NewURL(t, pmdb.Migrations()), nil)
	w.tenant(t, "Hooks", "hooks")
	ctx := context.Background()
	r := newReceiver(t)
	sub := w.subscribe(t, r.srv.URL+"/hook", "product.*")
	if sub.Secret == nil || len(*sub.Secret) < 20 || !sub.Active {
		t.Fatalf("subscription: %+v", sub)
	}
	read, err := w.c.GetWebhookSubscriptionWithResponse(ctx, sub.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, read, 200)
	if read.ApplicationldJSON200.Secret != nil {
		t.Error("a read shows the secret again")
	}
	ch, err := w.c.CreateChannelWithResponse(ctx, nil, pm.ChannelCreate{Code: "web", Name: "Web", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, ch, 201)
	p := w.create(t, w.c, tshirt("HOOK", 2))
	waitFor(t, 15*time.Second, "no delivery arrived", func() bool { return len(r.received()) > 0 })
	time.Sleep(300 * time.Millisecond) // a channel event, wrongly sent, would arrive by now
	got := r.received()
	if len(got) != 1 {
		t.Fatalf("%d deliveries, want 1 (product.created only)", len(got))
	}
	wh, err := standardwebhooks.NewWebhook(*sub.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[0].body, got[0].header); err != nil {
		t.Fatalf("the signature does not verify: %v\n%v", err, got[0].header)
	}
	var payload pm.Event
	if err := json.Unmarshal(got[0].body, &payload); err != nil {
		t.Fatal(err)
	}
	events, _ := feedAtLeast(t, w.c, pm.ListEventsParams{}, 2)
	if len(events) < 2 || events[1].Type != "product.created" {
		t.Fatalf("feed: %v", types(events))
	}
	if payload.Type != "product.created" || payload.Id != events[1].Id || got[0].header.Get("webhook-id") != events[1].Id.String() ||
		payload.Resource != p.LdID || payload.Data["@id"] != p.LdID || payload.ResourceVersion != 1 {
		t.Errorf("payload %s (webhook-id %s), want the feed's event %s for %s", got[0].body, got[0].header.Get("webhook-id"), events[1].Id, p.LdID)
	}
	var list *pm.ListWebhookDeliveriesResponse
	waitFor(t, 5*time.Second, "the delivery is not recorded as succeeded", func() bool {
		list, err = w.c.ListWebhookDeliveriesWithResponse(ctx, sub.Id, nil)
		return err == nil && list.StatusCode() == 200 && len(list.ApplicationldJSON200.Member) == 1 &&
			list.ApplicationldJSON200.Member[0].Status == pm.Succeeded
	})
	d := list.ApplicationldJSON200.Member[0]
	if len(d.Attempts) != 1 || d.Attempts[0].ResponseStatus.MustGet() != 204 || d.Event != events[1].LdID {
		t.Errorf("delivery: %s", list.Body)
	}

	// Resend: a new delivery of the same event, under the same webhook-id.
	again, err := w.c.ResendWebhookEventWithResponse(ctx, sub.Id, nil, pm.WebhookResend{Event: events[1].LdID})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, again, 201)
	waitFor(t, 15*time.Second, "the resent event did not arrive", func() bool { return len(r.received()) == 2 })
	if r.received()[1].header.Get("webhook-id") != events[1].Id.String() {
		t.Error("a resend changed the webhook-id")
	}
	unknown, err := w.c.ResendWebhookEventWithResponse(ctx, sub.Id, nil, pm.WebhookResend{Event: "/rest/api/events/" + uuid.NewString()})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, unknown, 422, "event")

	// Another tenant cannot see or touch the subscription.
	other := id.Partner("Other")
	org := other.Org(t, "Other")
	other.Instance(t, org, "other-hooks")
	oc := w.pm.Client(other, "other-hooks", org)
	theirs, err := oc.GetWebhookSubscriptionWithResponse(ctx, sub.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, theirs, 404, "")
	gone, err := oc.DeleteWebhookSubscriptionWithResponse(ctx, sub.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, gone, 404, "")
}

// With the receiver down, 20 creates, a stop of delivery, 5 creates while nothing dispatches, and
// a restart of product-management lose nothing: once the receiver is back every event arrives,
// each under its own webhook-id, and they are the feed's.
func TestWebhookEventsSurviveAnOutageAndARestart(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	db := testdb.NewURL(t, pmdb.Migrations())
	w := webhookWorld(t, id, db, nil)
	w.tenant(t, "Outage", "outage")
	r := newReceiver(t)
	r.down.Store(503)
	sub := w.subscribe(t, r.srv.URL, "*")
	for i := range 20 {
		w.create(t, w.c, pm.ProductCreate{Title: some(fmt.Sprintf("Outage %d", i))})
	}
	ctx := context.Background()
	waitFor(t, 15*time.Second, "no attempt failed while the receiver was down", func() bool {
		list, err := w.c.ListWebhookDeliveriesWithResponse(ctx, sub.Id, nil)
		return err == nil && list.StatusCode() == 200 && list.ApplicationldJSON200.TotalItems == 20 &&
			len(list.ApplicationldJSON200.Member[0].Attempts) > 0
	})
	w.pm.StopBackground() // delivery stops, deliveries pending
	for i := range 5 {    // and these events are written with no dispatcher running
		w.create(t, w.c, pm.ProductCreate{Title: some(fmt.Sprintf("Undispatched %d", i))})
	}
	restarted := webhookWorld(t, id, db, nil)
	r.down.Store(0)
	c := restarted.pm.Client(w.owner, w.handle, w.org)
	events, _ := feedAtLeast(t, c, pm.ListEventsParams{}, 25)
	if len(events) != 25 {
		t.Fatalf("%d events in the feed, want 25", len(events))
	}
	wh, err := standardwebhooks.NewWebhook(*sub.Secret)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	waitFor(t, 30*time.Second, "not every event arrived after the restart", func() bool {
		for _, d := range r.received() {
			if err := wh.Verify(d.body, d.header); err != nil {
				t.Fatalf("a delivery does not verify: %v", err)
			}
			seen[d.header.Get("webhook-id")] = true
		}
		return len(seen) >= 25
	})
	for _, e := range events {
		if !seen[e.Id.String()] {
			t.Errorf("event %s (%s) was never delivered", e.Id, e.Type)
		}
	}
	if len(seen) != 25 {
		t.Errorf("%d distinct webhook-ids, want the feed's 25", len(seen))
	}
}

// A subscription whose deliveries keep failing stays active while its failures last less than
// WEBHOOK_DISABLE_AFTER, is deactivated with a reason once they last longer, and a PATCH
// reactivates it.
func TestWebhookSubscriptionFailingTooLongIsDeactivated(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	// Retries every second: the failures last 1s at the second attempt, 3s at the fourth.
	w := webhookWorld(t, id, testdb.NewURL(t, pmdb.Migrations()), map[string]string{"WEBHOOK_DISABLE_AFTER": "3s"})
	w.tenant(t, "Failing", "failing")
	r := newReceiver(t)
	r.down.Store(500)
	sub := w.subscribe(t, r.srv.URL, "product.created")
	w.create(t, w.c, pm.ProductCreate{Title: some("Never delivered")})
	ctx := context.Background()
	waitFor(t, 20*time.Second, "no delivery failed twice", func() bool {
		list, err := w.c.ListWebhookDeliveriesWithResponse(ctx, sub.Id, nil)
		return err == nil && list.StatusCode() == 200 && len(list.ApplicationldJSON200.Member) == 1 &&
			len(list.ApplicationldJSON200.Member[0].Attempts) >= 2
	})
	early, err := w.c.GetWebhookSubscriptionWithResponse(ctx, sub.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, early, 200)
	if !early.ApplicationldJSON200.Active {
		t.Fatalf("deactivated after failures lasting less than WEBHOOK_DISABLE_AFTER: %s", early.Body)
	}
	var cur pm.WebhookSubscription
	waitFor(t, 20*time.Second, "the failing subscription stayed active", func() bool {
		resp, err := w.c.GetWebhookSubscriptionWithResponse(ctx, sub.Id, nil)
		if err != nil || resp.StatusCode() != 200 {
			return false
		}
		cur = *resp.ApplicationldJSON200
		return !cur.Active
	})
	if reason, err := cur.DisabledReason.Get(); err != nil || reason == "" {
		t.Errorf("deactivated without a reason: %+v", cur)
	}
	yes := true
	resp, err := w.c.UpdateWebhookSubscriptionWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, sub.Id, nil, pm.WebhookSubscriptionPatch{Active: &yes})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
	if !resp.ApplicationldJSON200.Active || resp.ApplicationldJSON200.DisabledReason.IsSpecified() && !resp.ApplicationldJSON200.DisabledReason.IsNull() {
		t.Errorf("after PATCH active: %s", resp.Body)
	}
}

// Without WEBHOOK_ALLOW_PRIVATE_TARGETS, URLs that are not https or that name loopback, private,
// link-local or local hosts are refused at url; unknown event types at their index.
func TestWebhookSubscriptionsRefusePrivateTargets(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, url := range []string{"http://hooks.example.com/x", "https://127.0.0.1/x", "https://10.1.2.3/x", "https://192.168.0.10/",
		"https://169.254.169.254/latest/meta-data", "https://[::1]:8443/", "https://[fd00::1]/", "https://localhost/x", "https://api.internal/x",
		"https://100.64.0.1/", "https://user:pw@hooks.example.com/", "ftp://hooks.example.com/", "not a url"} {
		resp, err := w.c.CreateWebhookSubscriptionWithResponse(ctx, nil, pm.WebhookSubscriptionCreate{Url: url, Events: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "url")
	}
	resp, err := w.c.CreateWebhookSubscriptionWithResponse(ctx, nil, pm.WebhookSubscriptionCreate{Url: "https://93.184.215.14/hook", Events: []string{"product.created", "gadget.created"}})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 422, "events[1]")
	ok, err := w.c.CreateWebhookSubscriptionWithResponse(ctx, nil, pm.WebhookSubscriptionCreate{Url: "https://93.184.215.14/hook", Events: []string{"product.*"}})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, ok, 201)
	bad := "http://127.0.0.1/"
	patch, err := w.c.UpdateWebhookSubscriptionWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, ok.ApplicationldJSON201.Id, nil, pm.WebhookSubscriptionPatch{Url: &bad})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, patch, 422, "url")

	// Reading needs products.read, writing products.write: a viewer reads but cannot subscribe.
	viewer := w.id.Partner("Viewer")
	if r, err := w.owner.Identity.PutMemberWithResponse(ctx, w.org, viewer.ID, identity.MemberWrite{Role: identity.Viewer}); err != nil || r.StatusCode() != 201 {
		t.Fatalf("viewer: %v", err)
	}
	vc := w.pm.Client(viewer, w.handle, w.org)
	list, err := vc.ListWebhookSubscriptionsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, list, 200)
	if list.ApplicationldJSON200.TotalItems != 1 || list.ApplicationldJSON200.Member[0].Secret != nil {
		t.Errorf("the list: %s", list.Body)
	}
	denied, err := vc.CreateWebhookSubscriptionWithResponse(ctx, nil, pm.WebhookSubscriptionCreate{Url: "https://93.184.215.14/hook", Events: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	pr := expectProblem(t, denied, 403, "")
	if pr.MissingPermissions == nil || strings.Join(*pr.MissingPermissions, ",") != "identity:products.write" {
		t.Errorf("missingPermissions = %v", pr.MissingPermissions)
	}
	del, err := vc.DeleteWebhookSubscriptionWithResponse(ctx, ok.ApplicationldJSON201.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, del, 403, "")
}

// A receiver that redirects is not followed: the attempt fails with the redirect's status and the
// redirect's target is never called.
func TestWebhookRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	w := webhookWorld(t, id, testdb.NewURL(t, pmdb.Migrations()), nil)
	w.tenant(t, "Redirects", "redirects")
	target := newReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(target.srv.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	sub := w.subscribe(t, redirect.URL, "product.created")
	w.create(t, w.c, pm.ProductCreate{Title: some("Redirected")})
	ctx := context.Background()
	var d pm.WebhookDelivery
	waitFor(t, 15*time.Second, "no attempt was recorded", func() bool {
		list, err := w.c.ListWebhookDeliveriesWithResponse(ctx, sub.Id, nil)
		if err != nil || list.StatusCode() != 200 || len(list.ApplicationldJSON200.Member) == 0 || len(list.ApplicationldJSON200.Member[0].Attempts) == 0 {
			return false
		}
		d = list.ApplicationldJSON200.Member[0]
		return true
	})
	a := d.Attempts[0]
	if st, err := a.ResponseStatus.Get(); err != nil || st != http.StatusTemporaryRedirect || d.Status != pm.Pending || !d.NextAttemptAt.IsSpecified() || d.NextAttemptAt.IsNull() {
		t.Errorf("the redirected attempt: %+v", d)
	}
	if n := len(target.received()); n != 0 {
		t.Errorf("the redirect was followed: the target got %d requests", n)
	}
	one, err := w.c.GetWebhookDeliveryWithResponse(ctx, d.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, one, 200)
}

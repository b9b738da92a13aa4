package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// BenchmarkWebhooks measures what the outbox costs the write path and how fast it drains: the
// 6-variant create without a subscription and with an active one (delivering to a local
// receiver meanwhile), each as a ratio to pgbench -S of the same run; then deliveries per second:
// events recorded while no process delivered, drained by a started one to a local receiver.
//
//	go test -run '^$' -bench BenchmarkWebhooks -benchtime 5s ./internal/httpapi/
func BenchmarkWebhooks(b *testing.B) {
	id := testenv.StartIdentity(b)
	db := testdb.NewURL(b, pmdb.Migrations())
	env := map[string]string{"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "WEBHOOK_DISPATCH_PERIOD": "50ms"}
	w := &world{id: id, pm: testenv.StartPMWith(b, id, testenv.PMOptions{DatabaseURL: db, Env: env, Background: true}), owner: id.Partner("Owner"), handle: "bench-hooks"}
	w.org = w.owner.Org(b, "Bench")
	w.owner.Instance(b, w.org, w.handle)
	c := w.pm.WithoutValidation().Client(w.owner, w.handle, w.org)
	ctx := context.Background()
	tps := pgbenchSelect(b, w.pm.Pool.Config().ConnString())
	b.Logf("pgbench -S: %.0f tps", tps)
	var n atomic.Int64
	create := func(r *rand.Rand) error {
		resp, err := c.CreateProductWithResponse(ctx, nil, tshirt(fmt.Sprintf("W%d-%d", n.Add(1), r.Int()), 6))
		return check(resp, err, 201)
	}
	analyze := func() { // autovacuum is off on some servers; plans as production would have them
		if _, err := w.pm.Pool.Exec(ctx, "analyze"); err != nil {
			b.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300 { // a catalog with statistics first, so no phase runs on an unplanned empty one
		if err := create(r); err != nil {
			b.Fatal(err)
		}
	}
	analyze()
	b.Run("create-6-variants", func(b *testing.B) { load(b, tps, create) })
	analyze()
	var got atomic.Int64
	rcv := newCountingReceiver(b, &got)
	resp, err := c.CreateWebhookSubscriptionWithResponse(ctx, nil, pm.WebhookSubscriptionCreate{Url: rcv, Events: []string{"*"}})
	if err := check(resp, err, 201); err != nil {
		b.Fatal(err)
	}
	b.Run("create-6-variants-subscribed", func(b *testing.B) { load(b, tps, create) })
	analyze()
	// The same, with delivery in another process (WEBHOOK_DELIVERY=off here, a `deliver` process
	// elsewhere): what the outbox costs the write path alone.
	w.pm.StopBackground()
	b.Run("create-6-variants-subscribed-delivering-elsewhere", func(b *testing.B) { load(b, tps, create) })

	b.Run("deliveries", func(b *testing.B) {
		// Events recorded with no process delivering, then drained by one that starts.
		quiet := &world{id: id, pm: testenv.StartPMWith(b, id, testenv.PMOptions{DatabaseURL: testdb.NewURL(b, pmdb.Migrations()), Env: env})}
		quiet.owner, quiet.handle = id.Partner("Drain"), "drain-"+letters(n.Add(1))
		quiet.org = quiet.owner.Org(b, "Drain")
		quiet.owner.Instance(b, quiet.org, quiet.handle)
		qc := quiet.pm.WithoutValidation().Client(quiet.owner, quiet.handle, quiet.org)
		var delivered atomic.Int64
		sub, err := qc.CreateWebhookSubscriptionWithResponse(ctx, nil, pm.WebhookSubscriptionCreate{Url: newCountingReceiver(b, &delivered), Events: []string{"*"}})
		if err := check(sub, err, 201); err != nil {
			b.Fatal(err)
		}
		total := max(b.N, 200)
		for i := range total {
			resp, err := qc.CreateChannelWithResponse(ctx, nil, pm.ChannelCreate{Code: fmt.Sprint("c", i), Name: "C", Currency: "EUR"})
			if err := check(resp, err, 201); err != nil {
				b.Fatal(err)
			}
		}
		// Timed from the moment the delivering process is up (its start-up is not delivery).
		testenv.StartPMWith(b, id, testenv.PMOptions{DatabaseURL: quiet.pm.Pool.Config().ConnString(), Env: env, Background: true})
		b.ResetTimer()
		start := time.Now()
		for delivered.Load() < int64(total) {
			if time.Since(start) > 2*time.Minute {
				b.Fatalf("%d of %d delivered after 2 minutes", delivered.Load(), total)
			}
			time.Sleep(5 * time.Millisecond)
		}
		b.ReportMetric(float64(total)/time.Since(start).Seconds(), "deliveries/s")
	})
}

// letters spells n in the letters a-z (handles take no digits).
func letters(n int64) string {
	s := ""
	for n >= 0 {
		s = string(rune('a'+n%26)) + s
		n = n/26 - 1
	}
	return s
}

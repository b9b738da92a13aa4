package httpapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/oapi-codegen/nullable"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// BenchmarkCatalog is the load benchmark of the catalog over loopback HTTP, through the generated
// client, against a real identity service: a catalog of 1,000 products with 6 variants each and 4
// prices per variant, then an expanded product read, the same read with prices resolved, a read
// with every expand token of a product using every part (medias, category, collections,
// channels, metafields referencing metaobjects, on the product and its 6 variants), a 50-item
// list page, and creating a 6-variant product. Each reports req/s, p99 latency, and its ratio to
// `pgbench -S` on the same database in the same run.
//
//	go test -run '^$' -bench BenchmarkCatalog -benchtime 5s ./internal/httpapi/
func BenchmarkCatalog(b *testing.B) {
	w := newWorld(b)
	web := w.channel(b, "web", "EUR")
	c := w.pm.WithoutValidation().Client(w.owner, w.handle, w.org)
	ctx := context.Background()
	ids := seed(b, c, 1000, web.LdID)
	// Statistics as autovacuum would have them (it is off on some servers; without them the planner
	// walks the tenant's whole index for each lookup).
	if _, err := w.pm.Pool.Exec(ctx, "analyze"); err != nil {
		b.Fatal(err)
	}
	tps := pgbenchSelect(b, w.pm.Pool.Config().ConnString())
	b.Logf("pgbench -S: %.0f tps", tps)
	expand := ptr("variants,options,optionValues")

	b.Run("get-expanded", func(b *testing.B) {
		load(b, tps, func(r *rand.Rand) error {
			resp, err := c.GetProductWithResponse(ctx, ids[r.IntN(len(ids))], &pm.GetProductParams{Expand: expand})
			return check(resp, err, 200)
		})
	})
	b.Run("get-expanded-resolved", func(b *testing.B) {
		at := time.Now().UTC()
		load(b, tps, func(r *rand.Rand) error {
			resp, err := c.GetProductWithResponse(ctx, ids[r.IntN(len(ids))], &pm.GetProductParams{Expand: expand,
				ResolveContextChannel: &web.LdID, ResolveContextCountry: ptr("DE"), ResolveContextAt: &at})
			return check(resp, err, 200)
		})
	})
	ref := w.metaobject(b, "BENCH")
	rich := make([]pm.Id, 20)
	for i := range rich {
		rich[i] = w.richProduct(b, fmt.Sprint("RICH", i), 6, ref).Id
	}
	every := ptr("variants,options,optionValues,medias,category,collections,channels,metafields,metaobject")
	b.Run("get-every-expand", func(b *testing.B) {
		load(b, tps, func(r *rand.Rand) error {
			resp, err := c.GetProductWithResponse(ctx, rich[r.IntN(len(rich))], &pm.GetProductParams{Expand: every})
			return check(resp, err, 200)
		})
	})
	b.Run("list-50", func(b *testing.B) {
		load(b, tps, func(r *rand.Rand) error {
			resp, err := c.ListProductsWithResponse(ctx, &pm.ListProductsParams{ItemsPerPage: ptr(50), Page: ptr(1 + r.IntN(20)), Expand: expand})
			return check(resp, err, 200)
		})
	})
	var n sync.Mutex
	created := 0
	b.Run("create-6-variants", func(b *testing.B) {
		load(b, tps, func(r *rand.Rand) error {
			n.Lock()
			created++
			sku := fmt.Sprintf("NEW%d-%d", created, r.Int())
			n.Unlock()
			resp, err := c.CreateProductWithResponse(ctx, nil, tshirt(sku, 6))
			return check(resp, err, 201)
		})
	})
}

func check(r interface{ StatusCode() int }, err error, want int) error {
	if err != nil {
		return err
	}
	if r.StatusCode() != want {
		return fmt.Errorf("status %d: %s", r.StatusCode(), body(r))
	}
	return nil
}

// seed creates n products with 6 variants, each with 4 prices: an undated base price, a channel
// price, a dated channel+country price from 40 days ago, and a scheduled one next month.
func seed(b *testing.B, c *pm.ClientWithResponses, n int, channel string) []pm.Id {
	b.Helper()
	ids := make([]pm.Id, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				p := tshirt(fmt.Sprint("SEED", i), 6)
				for j := range *p.Variants {
					(*p.Variants)[j].Prices = &[]pm.VariantPriceCreate{
						{Currency: "EUR", Amount: "20"},
						{Currency: "EUR", Amount: "18.50", Channel: some(channel)},
						{Currency: "EUR", Amount: "17.99", Channel: some(channel), Country: some("DE"), ValidFrom: nullable.NewNullableWithValue(time.Now().Add(-40 * 24 * time.Hour))},
						{Currency: "EUR", Amount: "15", Channel: some(channel), ValidFrom: nullable.NewNullableWithValue(time.Now().Add(30 * 24 * time.Hour))},
					}
				}
				resp, err := c.CreateProductWithResponse(context.Background(), nil, p)
				if err := check(resp, err, 201); err != nil {
					errs <- err
					return
				}
				ids[i] = resp.ApplicationldJSON201.Id
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return ids
}

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// pgbenchSelect runs pgbench's select-only workload on the database for a few seconds.
func pgbenchSelect(b *testing.B, url string) float64 {
	b.Helper()
	if out, err := exec.Command("pgbench", "-i", "-q", "-s", "1", url).CombinedOutput(); err != nil {
		b.Skipf("pgbench not usable: %v %s", err, out)
	}
	out, err := exec.Command("pgbench", "-S", "-n", "-T", "5", "-c", "4", "-j", "2", url).CombinedOutput()
	if err != nil {
		b.Fatalf("pgbench: %v %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		b.Fatalf("pgbench output: %s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}

// load runs op from 8 goroutines per CPU and reports req/s, p99 and the ratio to pgbench's tps.
func load(b *testing.B, pgbenchTPS float64, op func(r *rand.Rand) error) {
	var mu sync.Mutex
	var latencies []time.Duration
	b.SetParallelism(8)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			if err := op(r); err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	rps := float64(len(latencies)) / elapsed.Seconds()
	b.ReportMetric(rps, "req/s")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(rps/pgbenchTPS, "x-pgbench-S")
}

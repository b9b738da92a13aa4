package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// statementCounter counts the statements a pool runs.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// twoShops seeds two instances with three products and a channel each.
func twoShops(t *testing.T, store *postgres.Store) (instances [2]uuid.UUID, products [2][]uuid.UUID, channels [2]uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	svc := catalog.NewService(store, iri.Metaobjects.Parse, render.EncodeEvent)
	for s := range 2 {
		instances[s] = uuid.New()
		code, name, currency := "web", "Web", []string{"EUR", "CHF"}[s]
		ch, err := svc.CreateChannel(ctx, instances[s], catalog.ChannelInput{Code: &code, Name: &name, Currency: &currency})
		if err != nil {
			t.Fatal(err)
		}
		channels[s] = ch.ID
		for i := range 3 {
			v, err := svc.CreateProduct(ctx, instances[s], "en", catalog.ProductInput{ProductTexts: catalog.ProductTexts{Title: ptr(fmt.Sprintf("shop %d product %d", s, i))}})
			if err != nil {
				t.Fatal(err)
			}
			products[s] = append(products[s], v.Products[0].ID)
		}
	}
	return instances, products, channels
}

// Lookups made together answer each exactly as the same lookup made alone, in every batch size:
// the document unless held or decoded at its revision, the asked channel's currency only from the
// lookup's own instance, nothing for another instance's product or a missing one.
func TestItemLookupsTogetherAnswerAsAlone(t *testing.T) {
	t.Parallel()
	store := postgres.New(testdb.New(t, pmdb.Migrations()))
	inst, prods, chans := twoShops(t, store)
	alone := store.LookUpTogether([]postgres.ItemLookup{{Instance: inst[0], ID: prods[0][0]}})[0]
	if !alone.Found || alone.Revision == 0 || len(alone.Doc) == 0 {
		t.Fatalf("a lookup alone: %+v", alone)
	}
	rev := alone.Revision
	cases := []postgres.ItemLookup{
		{Instance: inst[0], ID: prods[0][0]},
		{Instance: inst[0], ID: prods[0][0], Kept: rev},
		{Instance: inst[0], ID: prods[0][0], Dec: rev},
		{Instance: inst[1], ID: prods[1][1], Channel: chans[1]},
		{Instance: inst[1], ID: prods[1][1], Channel: chans[0]}, // another instance's channel
		{Instance: inst[1], ID: prods[0][0]},                    // another instance's product
		{Instance: inst[0], ID: uuid.New()},
		{Instance: inst[0], ID: prods[0][2], Channel: chans[0], Kept: rev + 7},
	}
	want := make([]postgres.ItemAnswer, len(cases))
	for i, c := range cases {
		want[i] = store.LookUpTogether([]postgres.ItemLookup{c})[0]
	}
	if !want[0].Found || want[1].Doc != nil || want[2].Doc != nil || want[3].Currency == nil || *want[3].Currency != "CHF" ||
		want[4].Currency != nil || want[5].Found || want[6].Found || want[7].Currency == nil || len(want[7].Doc) == 0 {
		t.Fatalf("the lookups alone answer %+v", want)
	}
	r := rand.New(rand.NewPCG(3, 5))
	for size := 2; size <= 32; size++ { // 32: the largest batch a worker makes
		order := make([]int, size)
		batch := make([]postgres.ItemLookup, size)
		for i := range batch {
			order[i] = r.IntN(len(cases))
			batch[i] = cases[order[i]]
		}
		got := store.LookUpTogether(batch)
		for i, a := range got {
			w := want[order[i]]
			if a.Err != nil || a.Found != w.Found || a.Revision != w.Revision || !bytes.Equal(a.Doc, w.Doc) ||
				(a.Currency == nil) != (w.Currency == nil) || (a.Currency != nil && *a.Currency != *w.Currency) {
				t.Fatalf("batch of %d, lookup %d (case %d): found %v at %d, %d bytes, currency %v, %v; alone found %v at %d, %d bytes, currency %v",
					size, i, order[i], a.Found, a.Revision, len(a.Doc), a.Currency, a.Err, w.Found, w.Revision, len(w.Doc), w.Currency)
			}
		}
	}
}

// Concurrent item reads are answered right (each its own product, in its own instance) and, once
// they queue, share statements.
func TestConcurrentItemReadsShareStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var counter statementCounter
	pool, err := pgpool.New(ctx, testdb.NewURL(t, pmdb.Migrations()), pgpool.Options{Tracer: &counter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(pool)
	inst, prods, _ := twoShops(t, store)
	loc := catalog.ReadLocale{Code: "en"}
	const readers, each = 48, 20
	before := counter.n.Load()
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for g := range readers {
		wg.Go(func() {
			for i := range each {
				s, p := (g+i)%2, (g*7+i)%3
				docs, _, err := store.ProductDocuments(ctx, inst[s], []uuid.UUID{prods[s][p]}, []int64{0}, loc, nil)
				switch {
				case err != nil:
					errs <- err
					return
				case len(docs) != 1 || docs[0].ID != prods[s][p] || docs[0].Product == nil ||
					*docs[0].Product.Title != fmt.Sprintf("shop %d product %d", s, p):
					errs <- fmt.Errorf("shop %d product %d read %+v", s, p, docs)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// 48 readers against a few workers queue: most statements serve several reads (one shared
	// statement alone must not pass).
	n := counter.n.Load() - before
	if n > readers*each*3/4 {
		t.Fatalf("%d reads ran %d statements: fewer than a quarter saved", readers*each, n)
	}
	t.Logf("%d concurrent reads ran %d statements", readers*each, n)
	// A reader that has given up gets its context's error, never "no such product".
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if docs, _, err := store.ProductDocuments(gone, inst[0], []uuid.UUID{prods[0][0]}, []int64{0}, loc, nil); err == nil {
		t.Fatalf("a read with its context ended answered %+v, want an error", docs)
	}
}

type readerKey struct{}

// readerTracer counts statements and those that carry a reader's context value.
type readerTracer struct{ all, carried atomic.Int64 }

func (c *readerTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.all.Add(1)
	if ctx.Value(readerKey{}) != nil {
		c.carried.Add(1)
	}
	return ctx
}
func (c *readerTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Item reads keep their reader's context values (its trace) when they share statements, and with
// the coalescer off each read is its own statement.
func TestItemReadsKeepTheirTraceAndCoalescingTurnsOff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var tracer readerTracer
	pool, err := pgpool.New(ctx, testdb.NewURL(t, pmdb.Migrations()), pgpool.Options{Tracer: &tracer})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	loc := catalog.ReadLocale{Code: "en"}
	for _, tc := range []struct {
		name  string
		opts  []postgres.Option
		alone bool // every read its own statement
	}{{"coalescing", nil, false}, {"off", []postgres.Option{postgres.WithoutCoalescing()}, true}} {
		store := postgres.New(pool, tc.opts...)
		inst, prods, _ := twoShops(t, store)
		const readers, each = 32, 10
		all, carried := tracer.all.Load(), tracer.carried.Load()
		var wg sync.WaitGroup
		for g := range readers {
			wg.Go(func() {
				rctx := context.WithValue(ctx, readerKey{}, g)
				for i := range each {
					if _, _, err := store.ProductDocuments(rctx, inst[i%2], []uuid.UUID{prods[i%2][g%3]}, []int64{0}, loc, nil); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		n, traced := tracer.all.Load()-all, tracer.carried.Load()-carried
		if traced != n {
			t.Errorf("%s: %d of %d statements carried a reader's context", tc.name, traced, n)
		}
		if tc.alone && n != readers*each {
			t.Errorf("%s: %d reads ran %d statements, want one each", tc.name, readers*each, n)
		}
		t.Logf("%s: %d reads, %d statements", tc.name, readers*each, n)
	}
}

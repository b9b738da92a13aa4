package postgres_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// seedProducts adds n products with titles and vendors straight to the tables, then builds their
// documents through the rebuild path (readmodel rebuild), and vacuums.
func seedProducts(b *testing.B, pool *pgxpool.Pool, store *postgres.Store, instance uuid.UUID, n int) {
	ctx := context.Background()
	// One transaction without the pool's statement timeout: seeding is not a request.
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `set local statement_timeout = 0`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `insert into products (instance_id, id, status, vendor, created_at, updated_at)
			select $1, gen_random_uuid(), (array['draft','active','archived'])[1 + g % 3], 'vendor-' || (g % 50),
				now() - g * interval '1 second', now() - g * interval '1 second'
			from generate_series(1, $2) g`, instance, n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `insert into product_translations (instance_id, product_id, locale, title, product_created_at)
			select instance_id, id, 'en', 'Product ' || md5(id::text), created_at from products where instance_id = $1`, instance)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := store.RebuildDocuments(ctx, instance); err != nil {
		b.Fatal(err)
	}
	// Autovacuum would have visited tables this size (it is off on the development cluster):
	// without the visibility map, index-only scans read the heap.
	if _, err := pool.Exec(ctx, "vacuum analyze"); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkListsAtScale times each list shape (best of three, single requests, through the
// catalog and the store) on an instance of 200 products and on one of 200,200, and reports the
// ratio: the aim is at most 4.
//
//	go test -run '^$' -bench BenchmarkListsAtScale -benchtime 1x ./internal/postgres/
func BenchmarkListsAtScale(b *testing.B) {
	ctx := context.Background()
	pool := testdb.New(b, pmdb.Migrations())
	store := postgres.New(pool)
	svc := catalog.NewService(store, iri.Metaobjects.Parse, render.EncodeEvent)
	small, large := uuid.New(), uuid.New()
	seedProducts(b, pool, store, small, 200)
	seedProducts(b, pool, store, large, 200_200)
	// abc is in about 0.7% of the titles, "product 0" in a sixteenth (12,500 of the large instance's).
	vendor, title, common := "vendor-7", "abc", "product 0"
	active := catalog.Active
	shapes := []struct {
		name string
		q    catalog.ListQuery
	}{
		{"page-1", catalog.ListQuery{Page: 1, PerPage: 30}},
		{"page-30", catalog.ListQuery{Page: 30, PerPage: 5}},
		{"vendor", catalog.ListQuery{Page: 1, PerPage: 30, Vendor: &vendor}},
		{"status", catalog.ListQuery{Page: 1, PerPage: 30, Status: &active}},
		{"title", catalog.ListQuery{Page: 1, PerPage: 30, Title: &title}},
		{"title-common", catalog.ListQuery{Page: 1, PerPage: 30, Title: &common}},
		{"order-title", catalog.ListQuery{Page: 1, PerPage: 30, OrderBy: "title"}},
		{"order-updated-desc", catalog.ListQuery{Page: 1, PerPage: 30, OrderBy: "updated_at", Descending: true}},
		{"cursor", catalog.ListQuery{PerPage: 30, Cursor: &catalog.Cursor{}}},
	}
	read := catalog.Read{Locale: catalog.ReadLocale{Code: "en"}}
	best := func(instance uuid.UUID, q catalog.ListQuery) time.Duration {
		var times []time.Duration
		for range 3 {
			start := time.Now()
			if _, _, _, err := svc.ListProducts(ctx, instance, q, read); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		return slices.Min(times)
	}
	b.ResetTimer()
	for range b.N {
		for _, s := range shapes {
			sm, lg := best(small, s.q), best(large, s.q)
			ratio := float64(lg) / float64(sm)
			b.Logf("%-20s 200: %6.2f ms   200,200: %7.2f ms   ratio %5.1f", s.name, float64(sm.Microseconds())/1000, float64(lg.Microseconds())/1000, ratio)
			b.ReportMetric(ratio, s.name+"-ratio")
		}
	}
}

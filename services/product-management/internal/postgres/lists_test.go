package postgres_test

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
)

// Every page of the list shapes (each order in both directions; no filter, status, vendor, tags,
// created after, collection, title search alone and with status) equals what the plain statement
// (a join of both locales' titles, the whole set sorted) gives: for the indexed title walks, the
// gathered and the walked title search, with and without a fallback locale, into the untitled
// products, and for cursor walks.
func TestListPagesEqualThePlainStatement(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	store := postgres.New(pool)
	instance, other := uuid.New(), uuid.New()
	// 90 products: titles in de, in en, in both, a null de title, none in either (fr only), ties,
	// mixed case; statuses and vendors vary. Another instance's products must never show.
	for _, inst := range []uuid.UUID{instance, other} {
		if _, err := pool.Exec(ctx, `insert into products (instance_id, id, status, vendor, created_at, updated_at)
			select $1, gen_random_uuid(), (array['draft','active','archived'])[1 + g % 3], 'vendor-' || (g % 4),
				now() - g * interval '1 minute', now() - ((g * 37) % 90) * interval '1 minute'
			from generate_series(1, 90) g`, inst); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `insert into product_translations (instance_id, product_id, locale, title, product_created_at)
			select instance_id, id, l.locale, l.title, created_at from (
				select instance_id, id, created_at, row_number() over (order by created_at) n from products where instance_id = $1) p,
				lateral (values
					('de', case when n % 5 in (0, 1) then (array['Apfel ab', 'apfel AB', 'Birne', 'zebra'])[1 + n % 4] || (n % 7)
						when n % 5 = 2 then null end),
					('en', case when n % 5 in (1, 2, 3) then (array['Apple ab', 'banana', 'Cherry', 'ab'])[1 + n % 4] || (n % 3) end),
					('fr', 'Pomme ' || n)) l(locale, title)
			where l.title is not null or (l.locale = 'de' and n % 5 = 2)`, inst); err != nil {
			t.Fatal(err)
		}
	}
	// Tags on every third product, a collection holding every fourth.
	collection := uuid.New()
	if _, err := pool.Exec(ctx, `update products set tags = array['sale'] where instance_id = $1 and extract(minute from created_at)::int % 3 = 0`, instance); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `insert into collections (instance_id, id, handle) values ($1, $2, 'c')`, instance, collection); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `insert into product_collections (instance_id, product_id, collection_id, position)
		select instance_id, id, $2, 0 from (select instance_id, id, row_number() over (order by id) n from products where instance_id = $1) p
		where n % 4 = 0`, instance, collection); err != nil {
		t.Fatal(err)
	}
	var midpoint time.Time
	if err := pool.QueryRow(ctx, `select created_at from products where instance_id = $1 order by created_at offset 45 limit 1`, instance).Scan(&midpoint); err != nil {
		t.Fatal(err)
	}
	// Documents at different revisions, every seventh product without one: each page lists its
	// products' revisions as the documents have them.
	if _, err := store.RebuildDocuments(ctx, uuid.Nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `update product_documents set revision = revision + (hashtext(product_id::text) & 15)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `delete from product_documents where hashtext(product_id::text) % 7 = 0`); err != nil {
		t.Fatal(err)
	}
	revisionsAreCurrent := func(ctx context.Context, page catalog.ListedPage) error {
		var want []int64
		if err := pool.QueryRow(ctx, `select coalesce(array_agg(coalesce(d.revision, 0) order by k.n), '{}') from unnest($2::uuid[]) with ordinality k(id, n)
			left join product_documents d on d.instance_id = $1 and d.product_id = k.id`, instance, page.IDs).Scan(&want); err != nil {
			return err
		}
		if !slices.Equal(page.Revisions, want) {
			return fmt.Errorf("the page lists revisions %v, the documents have %v", page.Revisions, want)
		}
		return nil
	}
	if _, err := pool.Exec(ctx, "analyze"); err != nil {
		t.Fatal(err)
	}
	reference := func(t *testing.T, q catalog.ListQuery) ([]uuid.UUID, int) {
		t.Helper()
		args := []any{instance, q.Locale.Code, q.Locale.Fallback}
		where := "p.instance_id = $1"
		if q.Status != nil {
			args = append(args, string(*q.Status))
			where += fmt.Sprintf(" and p.status = $%d", len(args))
		}
		if q.Vendor != nil {
			args = append(args, *q.Vendor)
			where += fmt.Sprintf(" and p.vendor = $%d", len(args))
		}
		if q.Title != nil {
			args = append(args, "%"+*q.Title+"%")
			where += fmt.Sprintf(" and coalesce(t.title, d.title) ilike $%d", len(args))
		}
		if len(q.Tags) > 0 {
			args = append(args, q.Tags)
			where += fmt.Sprintf(" and p.tags && $%d", len(args))
		}
		if q.CreatedAfter != nil {
			args = append(args, *q.CreatedAfter)
			where += fmt.Sprintf(" and p.created_at >= $%d", len(args))
		}
		if q.Collection != nil {
			args = append(args, *q.Collection)
			where += fmt.Sprintf(" and p.id in (select product_id from product_collections where instance_id = $1 and collection_id = $%d)", len(args))
		}
		dir := "asc"
		if q.Descending {
			dir = "desc"
		}
		order := map[string]string{"": "p.created_at", "updated_at": "p.updated_at", "title": "lower(coalesce(t.title, d.title))"}[q.OrderBy]
		rows, err := pool.Query(ctx, fmt.Sprintf(`select p.id from products p
			left join product_translations t on t.instance_id = p.instance_id and t.product_id = p.id and t.locale = $2
			left join product_translations d on d.instance_id = p.instance_id and d.product_id = p.id and d.locale = $3
			where %s order by %s %s nulls last, p.id %s`, where, order, dir, dir), args...)
		if err != nil {
			t.Fatal(err)
		}
		all, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			t.Fatal(err)
		}
		from := min(len(all), (q.Page-1)*q.PerPage)
		return all[from:min(len(all), from+q.PerPage)], len(all)
	}
	active, vendor, search := catalog.Active, "vendor-1", "ab"
	locales := map[string]catalog.ReadLocale{"de→en": {Code: "de", Fallback: "en"}, "en": {Code: "en"}, "de": {Code: "de"}}
	filters := map[string]catalog.ListQuery{"all": {}, "status": {Status: &active}, "vendor": {Vendor: &vendor},
		"title": {Title: &search}, "title and status": {Title: &search, Status: &active}, "tags": {Tags: []string{"sale"}},
		"created after": {CreatedAfter: &midpoint}, "collection": {Collection: &collection}}
	checked := 0
	// Every search here is gathered; gathering overflows, so the search walks; the planner expects
	// more than the bound, so the search walks from the start and its total is estimated.
	for _, paging := range []struct{ gather, walkAbove int }{{2000, 1 << 30}, {3, 1 << 30}, {2000, 0}} {
		gather := paging.gather // for the messages
		store.PageTitleSearches(paging.gather, paging.walkAbove)
		for ln, loc := range locales {
			for fn, f := range filters {
				for _, order := range []string{"", "updated_at", "title"} {
					for _, desc := range []bool{false, true} {
						q := f
						q.Locale, q.OrderBy, q.Descending, q.PerPage = loc, order, desc, 7
						total := -1
						for q.Page = 1; q.Page == 1 || (q.Page-1)*q.PerPage < total+q.PerPage; q.Page++ {
							want, n := reference(t, q)
							page, err := store.ListProductIDs(ctx, instance, q)
							ids, got := page.IDs, page.Total
							if err == nil {
								err = revisionsAreCurrent(ctx, page)
							}
							if err != nil {
								t.Fatalf("%s %s order %q desc %v gather %d: %v", ln, fn, order, desc, gather, err)
							}
							if estimated := paging.walkAbove == 0 && q.Title != nil; estimated {
								if !got.Estimated || got.Items <= catalog.ExactTotalUpTo {
									t.Fatalf("%s %s order %q desc %v: a search walked from the start gave the total %+v, want an estimate", ln, fn, order, desc, got)
								}
								got.Items, got.Estimated = n, false // the page must still be the same
							}
							if !slices.Equal(ids, want) || got.Items != n || got.Estimated {
								t.Fatalf("%s %s order %q desc %v gather %d page %d: got %d ids (total %+v), want %d (total %d)\n got %v\nwant %v",
									ln, fn, order, desc, gather, q.Page, len(ids), got, len(want), n, ids, want)
							}
							total = n
							checked++
						}
					}
				}
			}
		}
	}
	if checked < 500 {
		t.Fatalf("only %d pages checked", checked)
	}
	// A cursor walk (created or updated order, both directions) visits what the plain statement
	// lists, in its order, without a count.
	for fn, f := range filters {
		for _, order := range []string{"", "updated_at"} {
			for _, desc := range []bool{false, true} {
				q := f
				q.Locale, q.OrderBy, q.Descending, q.PerPage, q.Page = locales["de→en"], order, desc, 7, 1
				all := q
				all.PerPage = 1000
				want, _ := reference(t, all)
				var got []uuid.UUID
				q.Cursor = &catalog.Cursor{}
				for pages := 0; q.Cursor != nil && pages < 20; pages++ {
					page, err := store.ListProductIDs(ctx, instance, q)
					ids, total, next := page.IDs, page.Total, page.Next
					if err == nil {
						err = revisionsAreCurrent(ctx, page)
					}
					if err != nil || total.Items != -1 {
						t.Fatalf("cursor %s order %q desc %v: total %+v, %v", fn, order, desc, total, err)
					}
					got, q.Cursor = append(got, ids...), next
				}
				if !slices.Equal(got, want) {
					t.Fatalf("cursor %s order %q desc %v: walked %d ids, want %d", fn, order, desc, len(got), len(want))
				}
			}
		}
	}
}

// A translation written without its product's creation time (by the previous version, during a
// rollout) gets it from the trigger of migration 025, and 026 fills rows left without one. (034
// drops the trigger, the rollout long over: the schema before it is tested.)
func TestTranslationsGetTheirProductsCreationTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, migrationsBefore(t, "034"))
	instance, product := uuid.New(), uuid.New()
	created := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	if _, err := pool.Exec(ctx, `insert into products (instance_id, id, status, created_at, updated_at) values ($1, $2, 'draft', $3, $3)`,
		instance, product, created); err != nil {
		t.Fatal(err)
	}
	carried := func() (got *time.Time) {
		t.Helper()
		if err := pool.QueryRow(ctx, `select product_created_at from product_translations where instance_id = $1 and product_id = $2 and locale = 'en'`,
			instance, product).Scan(&got); err != nil {
			t.Fatal(err)
		}
		return got
	}
	// As the previous version upserts a title: no product_created_at.
	if _, err := pool.Exec(ctx, `insert into product_translations as t (instance_id, product_id, locale, title) values ($1, $2, 'en', 'Old')
		on conflict (instance_id, product_id, locale) do update set title = excluded.title`, instance, product); err != nil {
		t.Fatal(err)
	}
	if got := carried(); got == nil || !got.Equal(created) {
		t.Fatalf("the trigger gave %v, want %v", got, created)
	}
	backfill, err := fs.ReadFile(pmdb.Migrations(), "026_title_search_order_backfill.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `update product_translations set product_created_at = null where instance_id = $1`, instance); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, string(backfill)); err != nil {
		t.Fatal(err)
	}
	if got := carried(); got == nil || !got.Equal(created) {
		t.Fatalf("026 filled %v, want %v", got, created)
	}
}

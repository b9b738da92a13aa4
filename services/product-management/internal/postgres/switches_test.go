package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// The caches' off switches (internal/README.md): with DECODED_DOCUMENTS=0 nothing is kept decoded
// and every read still shows the last write; with LOCALE_CACHE_TTL=0 a locale written behind the
// store's back is seen at once, where the default TTL trusts what it read.
func TestCacheOffSwitches(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	t.Run("decoded documents off", func(t *testing.T) {
		store := New(pool, WithDecodedDocuments(0))
		svc := catalog.NewService(store, func(string) (uuid.UUID, bool) { return uuid.Nil, false }, noEventData)
		instance := uuid.New()
		created, err := svc.CreateProduct(ctx, instance, "en", catalog.ProductInput{ProductTexts: catalog.ProductTexts{Title: ptr("Tee")}})
		if err != nil {
			t.Fatal(err)
		}
		id := created.Products[0].ID
		for i, title := range []string{"Shirt", "Top"} {
			if _, err := svc.UpdateProduct(ctx, instance, id, "en", catalog.ProductChanges{ProductTextChanges: catalog.ProductTextChanges{Title: mergepatch.Value(title)}}); err != nil {
				t.Fatal(err)
			}
			ps, err := store.Products(ctx, instance, []uuid.UUID{id}, catalog.ReadLocale{Code: "en"})
			if err != nil || len(ps) != 1 || *ps[0].Title != title {
				t.Fatalf("read %d: %v %v, want %s", i, ps, err, title)
			}
		}
		if store.decoded != nil {
			t.Fatal("a cache of decoded documents exists")
		}
	})
	for _, tc := range []struct {
		name string
		ttl  time.Duration
		seen bool // whether a locale inserted behind the store's back shows at once
	}{{"locale cache off", 0, true}, {"locale cache on", LocaleTTL, false}} {
		t.Run(tc.name, func(t *testing.T) {
			store := New(pool, WithLocaleTTL(tc.ttl))
			instance := uuid.New()
			if _, err := store.Locales(ctx, instance); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `insert into locales (instance_id, code, is_default) values ($1, 'de', false)`, instance); err != nil {
				t.Fatal(err)
			}
			ls, err := store.Locales(ctx, instance)
			if err != nil {
				t.Fatal(err)
			}
			if _, seen := ls.Enabled["de"]; seen != tc.seen {
				t.Fatalf("de enabled = %v right after its insert, want %v", seen, tc.seen)
			}
		})
	}
}

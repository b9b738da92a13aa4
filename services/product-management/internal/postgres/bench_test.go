package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// BenchmarkProducts measures loading one product graph (6 variants) straight from the store: the
// database share of an expanded product read.
func BenchmarkProducts(b *testing.B) {
	ctx := context.Background()
	store := postgres.New(testdb.New(b, pmdb.Migrations()))
	svc := catalog.NewService(store, iri.Metaobjects.Parse, render.EncodeEvent)
	instance := uuid.New()
	ids := make([]uuid.UUID, 200)
	for i := range ids {
		p, err := svc.CreateProduct(ctx, instance, "en", catalog.ProductInput{
			ProductTexts: catalog.ProductTexts{Title: ptr(fmt.Sprint("P", i))},
			Options:      []catalog.OptionInput{{Name: "Size", Values: []string{"XS", "S", "M", "L", "XL", "XXL"}}},
			Variants: func() []catalog.VariantInput {
				var vs []catalog.VariantInput
				for _, s := range []string{"XS", "S", "M", "L", "XL", "XXL"} {
					vs = append(vs, catalog.VariantInput{SKU: fmt.Sprint("P", i, s), OptionValues: []catalog.ValueRef{{Option: "Size", Value: s}}})
				}
				return vs
			}(),
		})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = p.Products[0].ID
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := store.Products(ctx, instance, []uuid.UUID{ids[rand.IntN(len(ids))]}, catalog.ReadLocale{Code: "en"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func ptr(s string) *string { return &s }

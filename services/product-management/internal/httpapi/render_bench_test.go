package httpapi

import (
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// BenchmarkRenderProduct renders and encodes the storefront's expanded read of a 6-variant
// product (variants, options, optionValues), the Go side of every product page, to count its
// allocations apart from the store and the network.
//
//	go test -run '^$' -bench BenchmarkRenderProduct -benchmem ./internal/httpapi/
func BenchmarkRenderProduct(b *testing.B) {
	p := sampleProduct(6)
	r := render.Of(catalog.View{Products: []catalog.Product{p},
		Expand: catalog.Expand{Variants: true, Options: true, OptionValues: true}})
	enc := json.NewEncoder(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(r.Product(p, true)); err != nil {
			b.Fatal(err)
		}
	}
}

// sampleProduct is a product with one option of n values and a variant for each value.
func sampleProduct(n int) catalog.Product {
	str := func(s string) *string { return &s }
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	p := catalog.Product{ID: uuid.New(), Status: "active", Vendor: str("Acme"),
		ProductTexts: catalog.ProductTexts{Title: str("T-shirt"), Description: str("A soft cotton tee.")}, Tags: []string{"summer", "cotton"}, Version: 3,
		CreatedAt: now, UpdatedAt: now}
	o := catalog.Option{ID: uuid.New(), ProductID: p.ID, Name: str("Size")}
	for i := range n {
		v := catalog.OptionValue{ID: uuid.New(), OptionID: o.ID, ProductID: p.ID, Value: str(fmt.Sprint("S", i)), Position: i}
		o.Values = append(o.Values, v)
		p.Variants = append(p.Variants, catalog.Variant{ID: uuid.New(), ProductID: p.ID, SKU: fmt.Sprint("TEE-", i),
			Position: i, OptionValueIDs: []uuid.UUID{v.ID}, Version: 1, CreatedAt: now, UpdatedAt: now})
	}
	p.Options = []catalog.Option{o}
	return p
}

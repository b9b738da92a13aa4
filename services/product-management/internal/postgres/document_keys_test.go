package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// noEventData stands in for the HTTP layer's rendering: these tests read documents, not events.
func noEventData(catalog.Change) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }

// Random products (options, variants, prices, images, tags, and every text in two locales, each
// set or not) leave documents that decode strictly into the document type and hold every key it
// has, and their reads return each text as written, in each locale.
func TestDocumentsAgreeWithTheirTypeOverRandomProducts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := New(testdb.New(t, pmdb.Migrations()))
	svc := catalog.NewService(store, func(string) (uuid.UUID, bool) { return uuid.Nil, false }, noEventData)
	instance := uuid.New()
	eur := "EUR"
	web, err := svc.CreateChannel(ctx, instance, catalog.ChannelInput{Code: ptr("web"), Name: ptr("Web"), Currency: &eur})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(25, 6))
	maybe := func(s string) *string {
		if r.IntN(3) == 0 {
			return nil
		}
		return &s
	}
	randomTexts := func(tag string) catalog.ProductTexts {
		var texts catalog.ProductTexts
		for i, f := range texts.Fields() {
			*f = maybe(fmt.Sprintf("%s %s %d", tag, catalog.ProductTextNames()[i], r.IntN(1000)))
		}
		return texts
	}
	for n := range 40 {
		in := catalog.ProductInput{Key: maybe(fmt.Sprint("K", n)), Vendor: maybe("Acme"), Tags: maybe("a, b"), ProductTexts: randomTexts("en")}
		options := r.IntN(3)
		for o := range options {
			in.Options = append(in.Options, catalog.OptionInput{Name: fmt.Sprint("O", o), Values: []string{"x", "y"}})
		}
		if r.IntN(2) == 0 {
			in.Medias = []catalog.MediaChange{{Type: ptr("image"), Src: ptr(fmt.Sprintf("https://cdn.example.com/%d.jpg", n))}}
		}
		for v := range 1 << options {
			vi := catalog.VariantInput{SKU: fmt.Sprintf("S%d-%d", n, v), Title: maybe("v"), Barcode: maybe("123")}
			for o := range options {
				vi.OptionValues = append(vi.OptionValues, catalog.ValueRef{Option: fmt.Sprint("O", o), Value: []string{"x", "y"}[v>>o&1]})
			}
			if r.IntN(2) == 0 {
				vi.Prices = []catalog.PriceInput{{Currency: eur, Amount: fmt.Sprint(1 + r.IntN(99)), Channel: &web.ID}}
			}
			in.Variants = append(in.Variants, vi)
		}
		created, err := svc.CreateProduct(ctx, instance, "en", in)
		if err != nil {
			t.Fatalf("product %d: %v", n, err)
		}
		id := created.Products[0].ID
		want := map[string]catalog.ProductTexts{"en": in.ProductTexts.Normalized(), "de": randomTexts("de")}
		var patch catalog.ProductTextChanges
		de := want["de"]
		for i, f := range patch.Fields() {
			if text := *de.Fields()[i]; text != nil {
				*f = mergepatch.Value(*text)
			}
		}
		if _, err := svc.UpdateProduct(ctx, instance, id, "de", catalog.ProductChanges{ProductTextChanges: patch}); err != nil {
			t.Fatalf("product %d in de: %v", n, err)
		}

		var doc []byte
		if err := store.pool.QueryRow(ctx, `select doc from product_documents where instance_id = $1 and product_id = $2`, instance, id).Scan(&doc); err != nil {
			t.Fatal(err)
		}
		if err := checkDocumentKeys(doc); err != nil {
			t.Fatalf("product %d: the document and its type disagree: %v\n%s", n, err, doc)
		}
		for locale, texts := range want {
			ps, err := store.Products(ctx, instance, []uuid.UUID{id}, catalog.ReadLocale{Code: locale})
			if err != nil || len(ps) != 1 {
				t.Fatalf("read %d: %v %v", n, ps, err)
			}
			if !ps[0].ProductTexts.Equal(texts) {
				t.Errorf("product %d in %s: read %s, wrote %s", n, locale, show(ps[0].ProductTexts), show(texts))
			}
		}
	}
	if stale, err := store.VerifyDocuments(ctx, instance); err != nil || len(stale) > 0 {
		t.Fatalf("verify: %v %v", stale, err)
	}
}

// A document with a key its type lacks, without a key its type has, or with a text no field of
// catalog.ProductTexts names fails the check; the document product_document builds passes.
func TestCheckDocumentKeysFailsOnEitherSide(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := New(testdb.New(t, pmdb.Migrations()))
	svc := catalog.NewService(store, func(string) (uuid.UUID, bool) { return uuid.Nil, false }, noEventData)
	instance := uuid.New()
	created, err := svc.CreateProduct(ctx, instance, "en", catalog.ProductInput{ProductTexts: catalog.ProductTexts{Title: ptr("Tee")},
		Options: []catalog.OptionInput{{Name: "Size", Values: []string{"S"}}}, Variants: []catalog.VariantInput{{SKU: "TEE", OptionValues: []catalog.ValueRef{{Option: "Size", Value: "S"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	if err := store.pool.QueryRow(ctx, `select doc::text from product_documents where instance_id = $1 and product_id = $2`, instance, created.Products[0].ID).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	if err := checkDocumentKeys([]byte(doc)); err != nil {
		t.Fatalf("a fresh document fails: %v\n%s", err, doc)
	}
	for _, tc := range []struct{ name, from, to string }{
		{"a key the type lacks", `"vendor":`, `"maker": null, "vendor":`},
		{"a key the document lacks", `"vendor": null, `, ``},
		{"a nested key the document lacks", `"barcode": null, `, ``},
		{"a text no field names", `"title": "Tee"`, `"titel": "Tee"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(doc, tc.from) {
				t.Fatalf("the document has no %s:\n%s", tc.from, doc)
			}
			if err := checkDocumentKeys([]byte(strings.Replace(doc, tc.from, tc.to, 1))); err == nil {
				t.Fatal("passed")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func show(t catalog.ProductTexts) string {
	var parts []string
	for i, f := range t.Fields() {
		if *f != nil {
			parts = append(parts, catalog.ProductTextNames()[i]+"="+**f)
		}
	}
	return "{" + strings.Join(parts, " ") + "}"
}

package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// The documents an import's batch builds for the products it creates (WriteNewDocuments) are
// the ones product_document() builds from the stored rows, to the byte of their jsonb: over
// random products with every part a product can be created with (texts, tags, a category,
// options given out of order, variants with titles, barcodes and images, prices dated or not,
// for a channel, a country, with a compare-at price and an end, attribute values, channels,
// collections, images), each batch compared product by product, and VerifyDocuments then
// finds nothing to mend. The products WriteNewDocuments returns (for the batch's events) are
// those a read of the stored documents returns.
func TestNewDocumentsAreProductDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := New(testdb.New(t, pmdb.Migrations()))
	spy := &newDocumentsSpy{Store: store}
	svc := catalog.NewService(spy, func(string) (uuid.UUID, bool) { return uuid.Nil, false }, noEventData)
	instance := uuid.New()
	eur := "EUR"
	web, err := svc.CreateChannel(ctx, instance, catalog.ChannelInput{Code: ptr("web"), Name: ptr("Web"), Currency: &eur, Countries: &[]string{"DE", "AT"}})
	if err != nil {
		t.Fatal(err)
	}
	shop, err := svc.CreateChannel(ctx, instance, catalog.ChannelInput{Code: ptr("shop"), Name: ptr("Shop"), Currency: &eur})
	if err != nil {
		t.Fatal(err)
	}
	collection, err := svc.CreateCollection(ctx, instance, "en", catalog.CollectionChange{Handle: ptr("summer"), Title: mergepatch.Value("Summer")})
	if err != nil {
		t.Fatal(err)
	}
	material, err := svc.CreateAttribute(ctx, instance, "en", catalog.AttributeChange{Code: ptr("material"), Type: ptr("text"), Name: mergepatch.Value("Material")})
	if err != nil {
		t.Fatal(err)
	}
	organic, err := svc.CreateAttribute(ctx, instance, "en", catalog.AttributeChange{Code: ptr("organic"), Type: ptr("boolean"), Name: mergepatch.Value("Organic")})
	if err != nil {
		t.Fatal(err)
	}
	// A list jsonb writes with spaces ("a", "b") where Go writes none.
	fits, err := svc.CreateAttribute(ctx, instance, "en", catalog.AttributeChange{Code: ptr("fits"), Type: ptr("multiselect"), Name: mergepatch.Value("Fits"),
		Options: &[]string{"slim", "loose"}})
	if err != nil {
		t.Fatal(err)
	}
	category, err := svc.CreateCategory(ctx, instance, "en", catalog.CategoryChange{Handle: ptr("shirts"), Name: mergepatch.Value("Shirts"),
		Attributes: &[]uuid.UUID{material.ID, organic.ID, fits.ID}})
	if err != nil {
		t.Fatal(err)
	}

	r := rand.New(rand.NewPCG(23, 36))
	maybe := func(s string) *string {
		if r.IntN(3) == 0 {
			return nil
		}
		return &s
	}
	// A time with a fraction of a second that PostgreSQL writes without its trailing zeros.
	at := time.Date(2027, 3, 1, 10, 30, 0, 120_000_000, time.UTC)
	product := func(n int) catalog.SetLine {
		in := catalog.ProductInput{Vendor: maybe("Acme"), Tags: maybe("b, a"), Status: []string{"", "draft", "active"}[r.IntN(3)]}
		for _, f := range in.ProductTexts.Fields() {
			*f = maybe(fmt.Sprintf("text \"%d\" <é>", r.IntN(1000)))
		}
		if r.IntN(3) > 0 {
			in.Category = &category.ID
		}
		if r.IntN(2) == 0 {
			in.Channels = []uuid.UUID{shop.ID, web.ID}[:1+r.IntN(2)]
		}
		if r.IntN(3) == 0 {
			in.Collections = []uuid.UUID{collection.ID}
		}
		if in.Category != nil && r.IntN(2) == 0 {
			in.Values = []catalog.AttributeValueInput{{Attribute: organic.ID, Value: true}, {Attribute: material.ID, Value: "cotton"},
				{Attribute: fits.ID, Value: []any{"slim", "loose"}}}
		}
		images := r.IntN(3)
		for i := range images {
			in.Medias = append(in.Medias, catalog.MediaChange{Type: ptr("image"), Src: ptr(fmt.Sprintf("https://cdn.example.com/%d-%d.jpg", n, i)),
				Alt: mergepatch.Value("alt")})
		}
		options := r.IntN(3)
		for o := range options {
			in.Options = append(in.Options, catalog.OptionInput{Name: fmt.Sprint("O", o), Values: []string{"y", "x"}})
		}
		for v := range 1 << options {
			vi := catalog.VariantInput{SKU: fmt.Sprintf("S%d-%d", n, v), Title: maybe("v"), Barcode: maybe("123")}
			if r.IntN(2) == 0 {
				vi.Position = ptr((1 << options) - v) // given in the reverse of the line's order
			}
			for o := range options {
				vi.OptionValues = append(vi.OptionValues, catalog.ValueRef{Option: fmt.Sprint("O", o), Value: []string{"x", "y"}[v>>o&1]})
			}
			if images > 0 && r.IntN(2) == 0 {
				vi.Medias = []catalog.MediaRef{{Src: fmt.Sprintf("https://cdn.example.com/%d-%d.jpg", n, r.IntN(images))}}
			}
			vi.Prices = []catalog.PriceInput{{Currency: eur, Amount: fmt.Sprint(1 + r.IntN(99))}}
			if r.IntN(2) == 0 {
				vi.Prices = append(vi.Prices, catalog.PriceInput{Currency: eur, Amount: "5.50", CompareAt: ptr("9.90"), Channel: &web.ID,
					Country: ptr("DE"), ValidFrom: &at, ValidUntil: ptr(at.Add(48 * time.Hour))})
			}
			in.Variants = append(in.Variants, vi)
		}
		return catalog.SetLine{Key: fmt.Sprint("K", n), Input: in}
	}

	var ids []uuid.UUID
	for batch := range 4 {
		lines := make([]catalog.SetLine, 25)
		for i := range lines {
			lines[i] = product(batch*25 + i)
		}
		results, err := svc.SetProducts(ctx, instance, "en", lines)
		if err != nil {
			t.Fatal(err)
		}
		for i, res := range results {
			if res.Err != nil || res.Outcome != catalog.SetCreated {
				t.Fatalf("line %d: %v %v", i, res.Outcome, res.Err)
			}
			ids = append(ids, res.Product)
		}
	}
	rows, err := store.pool.Query(ctx, `select d.product_id, d.doc::text, product_document($1, d.product_id)::text
		from product_documents d where d.instance_id = $1 and d.product_id = any($2) and d.doc is distinct from product_document($1, d.product_id)`,
		instance, ids)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var got, want string
		if err := rows.Scan(&id, &got, &want); err != nil {
			t.Fatal(err)
		}
		t.Errorf("product %s:\nbuilt  %s\nstored %s", id, got, want)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := store.pool.QueryRow(ctx, `select count(*) from product_documents where instance_id = $1 and product_id = any($2)`, instance, ids).Scan(&n); err != nil || n != len(ids) {
		t.Fatalf("%d documents of %d products: %v", n, len(ids), err)
	}
	if stale, err := store.VerifyDocuments(ctx, instance); err != nil || len(stale) > 0 {
		t.Fatalf("verify: %v %v", stale, err)
	}

	read, err := store.Products(ctx, instance, ids, catalog.ReadLocale{Code: "en"})
	if err != nil || len(read) != len(ids) || len(spy.products) != len(ids) {
		t.Fatalf("%d read, %d returned of %d: %v", len(read), len(spy.products), len(ids), err)
	}
	returned := map[uuid.UUID]catalog.Product{}
	for _, p := range spy.products {
		returned[p.ID] = p
	}
	for _, want := range read {
		if got := returned[want.ID]; !reflect.DeepEqual(got, want) {
			t.Errorf("product %s:\nreturned %+v\nread     %+v", want.ID, got, want)
		}
	}
}

// newDocumentsSpy keeps the products WriteNewDocuments returns.
type newDocumentsSpy struct {
	*Store
	products []catalog.Product
}

func (s *newDocumentsSpy) WriteNewDocuments(ctx context.Context, instance uuid.UUID, locale string, ps []catalog.NewProduct) ([]catalog.Product, error) {
	out, err := s.Store.WriteNewDocuments(ctx, instance, locale, ps)
	s.products = append(s.products, out...)
	return out, err
}

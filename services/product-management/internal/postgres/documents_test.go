package postgres_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// A read since a revision is unchanged, building nothing, while the product's document is at that
// revision; a write moves it and the read shows the write, on a store that never read the product
// before (another replica) as on the one that did; another instance does not find the product, and
// a read embedding shared parts is not answered by revision.
func TestKeptProductRevision(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	replicas := []*catalog.Service{
		catalog.NewService(postgres.New(pool), iri.Metaobjects.Parse, render.EncodeEvent),
		catalog.NewService(postgres.New(pool), iri.Metaobjects.Parse, render.EncodeEvent),
	}
	instance := uuid.New()
	created, err := replicas[0].CreateProduct(ctx, instance, "en", catalog.ProductInput{ProductTexts: catalog.ProductTexts{Title: ptr("Tee")},
		Options:  []catalog.OptionInput{{Name: "Size", Values: []string{"S", "M"}}},
		Variants: []catalog.VariantInput{{SKU: "TEE-S", OptionValues: []catalog.ValueRef{{Option: "Size", Value: "S"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.Products[0].ID
	read := catalog.Read{Locale: catalog.ReadLocale{Code: "en"}, Expand: catalog.Expand{Variants: true, Options: true, OptionValues: true}}

	first, v, err := replicas[0].KeptProduct(ctx, instance, id, read, catalog.Kept{})
	if err != nil || first.Unchanged || first.Kept.Revision == 0 || len(v.Products) != 1 {
		t.Fatalf("first read = %+v, %v; want the product at a revision", first, err)
	}
	for i, svc := range replicas {
		again, v, err := svc.KeptProduct(ctx, instance, id, read, first.Kept)
		if err != nil || !again.Unchanged || again.Kept != first.Kept || len(v.Products) != 0 {
			t.Fatalf("replica %d, read since the current revision = %+v, %v; want unchanged and nothing built", i, again, err)
		}
	}
	updated, err := replicas[1].UpdateProduct(ctx, instance, id, "en", catalog.ProductChanges{ProductTextChanges: catalog.ProductTextChanges{Title: mergepatch.Value("Shirt")}})
	if err != nil {
		t.Fatal(err)
	}
	// The update's view carries its event's data, the response rendered once in the transaction.
	if want, _ := json.Marshal(render.Of(updated).Product(updated.Products[0], true)); !bytes.Equal(updated.Encoded, want) {
		t.Fatalf("the update's encoding is %s, want %s", updated.Encoded, want)
	}
	for i, svc := range replicas {
		after, v, err := svc.KeptProduct(ctx, instance, id, read, first.Kept)
		if err != nil || after.Unchanged || after.Kept.Revision <= first.Kept.Revision || len(v.Products) != 1 {
			t.Fatalf("replica %d, read after a write = %+v, %v; want the new revision", i, after, err)
		}
		if p := v.Products[0]; p.Title == nil || *p.Title != "Shirt" || len(p.Variants) != 1 {
			t.Fatalf("replica %d reads %+v after the write, want the title Shirt and its variant", i, p)
		}
	}
	if _, _, err := replicas[0].KeptProduct(ctx, uuid.New(), id, read, first.Kept); fault.KindOf(err) != fault.KindNotFound {
		t.Fatalf("another instance's read = %v, want not found", err)
	}
	shared := read
	shared.Expand.Channels = true
	if _, _, err := replicas[0].KeptProduct(ctx, instance, id, shared, catalog.Kept{}); err == nil {
		t.Fatal("a read embedding shared parts was answered by revision")
	}
}

// A priced copy answers only within the span its prices hold: a moment past a scheduled price
// builds the product again; and once its channel is gone the read is refused, not answered by the
// copy.
func TestPricedKeptProductSpan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := catalog.NewService(postgres.New(testdb.New(t, pmdb.Migrations())), iri.Metaobjects.Parse, render.EncodeEvent)
	instance := uuid.New()
	web, err := svc.CreateChannel(ctx, instance, catalog.ChannelInput{Code: ptr("web"), Name: ptr("Web"), Currency: ptr("EUR")})
	if err != nil {
		t.Fatal(err)
	}
	soon := time.Now().UTC().Add(10 * 24 * time.Hour).Truncate(time.Second)
	created, err := svc.CreateProduct(ctx, instance, "en", catalog.ProductInput{ProductTexts: catalog.ProductTexts{Title: ptr("Tee")}, Variants: []catalog.VariantInput{{SKU: "TEE",
		Prices: []catalog.PriceInput{{Currency: "EUR", Amount: "20"}, {Currency: "EUR", Amount: "15", ValidFrom: &soon}, {Currency: "USD", Amount: "22"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.Products[0].ID
	at := time.Now().UTC()
	read := func(at time.Time) catalog.Read {
		return catalog.Read{Locale: catalog.ReadLocale{Code: "en"}, Expand: catalog.Expand{Variants: true},
			Resolution: &catalog.Resolution{Channel: web.ID, Country: "DE", At: at}}
	}
	amount := func(v catalog.View) string {
		r := v.Products[0].Variants[0].Resolved
		if r == nil {
			t.Fatal("no price resolved")
		}
		return fmt.Sprint(r.Amount, r.Currency)
	}
	first, v, err := svc.KeptProduct(ctx, instance, id, read(at), catalog.Kept{})
	if err != nil || first.Unchanged || amount(v) != "2000EUR" {
		t.Fatalf("first priced read = %+v %v", first, err)
	}
	if !first.Kept.Until.Equal(soon) {
		t.Fatalf("the copy holds %+v, want until the scheduled price (%v)", first.Kept, soon)
	}
	if again, _, err := svc.KeptProduct(ctx, instance, id, read(at.Add(time.Hour)), first.Kept); err != nil || !again.Unchanged {
		t.Fatalf("a read within the span = %+v %v, want unchanged", again, err)
	}
	later, v, err := svc.KeptProduct(ctx, instance, id, read(soon.Add(time.Hour)), first.Kept)
	if err != nil || later.Unchanged || amount(v) != "1500EUR" {
		t.Fatalf("a read past the span = %+v %v, want the scheduled price", later, err)
	}
	if err := svc.DeleteChannel(ctx, instance, web.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.KeptProduct(ctx, instance, id, read(at.Add(time.Hour)), first.Kept); fault.KindOf(err) != fault.KindBadRequest {
		t.Fatalf("a read in a deleted channel = %v, want a bad request", err)
	}
}

// A read of many documents comes back in the order asked, without the missing ones: one held at its
// revision unbuilt, one this store decoded before built from that (no body), the rest from
// their bodies.
func TestProductDocumentsInOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	store := postgres.New(pool)
	svc := catalog.NewService(store, iri.Metaobjects.Parse, render.EncodeEvent)
	instance := uuid.New()
	var ids []uuid.UUID
	for i := range 3 {
		v, err := svc.CreateProduct(ctx, instance, "en", catalog.ProductInput{ProductTexts: catalog.ProductTexts{Title: ptr(fmt.Sprint("P", i))}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.Products[0].ID)
	}
	loc := catalog.ReadLocale{Code: "en"}
	asked := []uuid.UUID{ids[2], uuid.New(), ids[0], ids[1]} // a missing one among them
	first, _, err := store.ProductDocuments(ctx, instance, asked, make([]int64, len(asked)), loc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 3 || first[0].ID != ids[2] || first[1].ID != ids[0] || first[2].ID != ids[1] {
		t.Fatalf("read %+v, want products 2, 0, 1 in that order", first)
	}
	for _, d := range first {
		if d.Product == nil || d.Product.ID != d.ID || d.Revision == 0 {
			t.Fatalf("document %s came back unbuilt or at no revision: %+v", d.ID, d)
		}
	}
	// Product 2 held at its revision; 0 and 1 held at none, but decoded by the first read: their
	// bodies, changed behind the revision, are neither sent nor decoded again.
	if _, err := pool.Exec(ctx, `update product_documents set doc = jsonb_set(doc, '{texts,en,title}', '"behind the revision"')
		where instance_id = $1 and product_id = any($2)`, instance, ids[:2]); err != nil {
		t.Fatal(err)
	}
	again, _, err := store.ProductDocuments(ctx, instance, asked, []int64{first[0].Revision, 0, 0, 0}, loc, nil)
	if err != nil || len(again) != 3 {
		t.Fatalf("second read = %+v, %v", again, err)
	}
	if again[0].Product != nil || again[0].Revision != first[0].Revision {
		t.Fatalf("the held document came back %+v, want unbuilt at revision %d", again[0], first[0].Revision)
	}
	for i, d := range again[1:] {
		if d.Product == nil || *d.Product.Title != *first[i+1].Product.Title {
			t.Fatalf("document %s came back %+v, want it built as before", d.ID, d)
		}
	}
}

// A read hands out nothing a caller can change in the decoded document the next read shares:
// changing every text, pointer and list of a read leaves the next read as the first was.
func TestDecodedDocumentsAreNotChangedThroughReads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := postgres.New(testdb.New(t, pmdb.Migrations()))
	svc := catalog.NewService(store, iri.Metaobjects.Parse, render.EncodeEvent)
	instance := uuid.New()
	web, err := svc.CreateChannel(ctx, instance, catalog.ChannelInput{Code: ptr("web"), Name: ptr("Web"), Currency: ptr("EUR")})
	if err != nil {
		t.Fatal(err)
	}
	created, err := svc.CreateProduct(ctx, instance, "en", catalog.ProductInput{Key: ptr("TEE"), ProductTexts: catalog.ProductTexts{Title: ptr("Tee"), Description: ptr("Soft")},
		Vendor: ptr("Acme"), Tags: ptr("a, b"), Options: []catalog.OptionInput{{Name: "Size", Values: []string{"S", "M"}}},
		Variants: []catalog.VariantInput{{SKU: "TEE-S", Title: ptr("Small"), Barcode: ptr("123"), OptionValues: []catalog.ValueRef{{Option: "Size", Value: "S"}},
			Prices: []catalog.PriceInput{{Currency: "EUR", Amount: "20", CompareAt: ptr("25"), Channel: &web.ID}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.Products[0].ID
	loc := catalog.ReadLocale{Code: "en"}
	read := func() catalog.Product {
		ps, err := store.Products(ctx, instance, []uuid.UUID{id}, loc)
		if err != nil || len(ps) != 1 {
			t.Fatalf("read: %v %v", ps, err)
		}
		return ps[0]
	}
	first := read() // decodes and keeps the document
	want, _ := json.Marshal(read())
	*first.Key, *first.Vendor = "x", "x"
	for _, text := range first.ProductTexts.Fields() {
		if *text != nil {
			**text = "x"
		}
	}
	first.Tags[0] = "x"
	*first.Options[0].Name, *first.Options[0].Values[0].Value = "x", "x"
	*first.Variants[0].Title, *first.Variants[0].Barcode = "x", "x"
	first.Variants[0].OptionValueIDs[0] = uuid.Nil
	*first.PriceHistory[0].ChannelID, *first.PriceHistory[0].CompareAt = uuid.Nil, 1
	if again, _ := json.Marshal(read()); !bytes.Equal(again, want) {
		t.Fatalf("a read changed through another:\n%s\nwant\n%s", again, want)
	}
}

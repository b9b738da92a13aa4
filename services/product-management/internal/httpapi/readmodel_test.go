package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/apitest"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// withLocale sends X-Flowkiwi-Locale.
func withLocale(l string) pm.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-Flowkiwi-Locale", l)
		return nil
	}
}

// After a long random sequence of writes touching every relation a product document holds, every
// document equals a fresh build from the base tables (what `readmodel verify` checks), and a
// rebuild changes none.
func TestReadModelMatchesTheBaseTablesAfterRandomWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	if resp, err := w.c.CreateLocaleWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"code":"de"}`)); err != nil || resp.StatusCode() != 201 {
		t.Fatalf("locale: %v %s", err, body(resp))
	}
	ref := w.metaobject(t, "RM")
	var products []pm.Product
	for i := range 3 {
		products = append(products, w.richProduct(t, fmt.Sprint("RM", i), 3, ref))
	}
	extraMedia, err := w.c.CreateMediaWithResponse(ctx, nil, image("https://cdn.example.com/extra.jpg"))
	if err != nil || extraMedia.StatusCode() != 201 {
		t.Fatalf("media: %v %s", err, body(extraMedia))
	}
	extraCol, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "rm-extra"})
	if err != nil || extraCol.StatusCode() != 201 {
		t.Fatalf("collection: %v %s", err, body(extraCol))
	}
	r := rand.New(rand.NewPCG(7, 11))
	pick := func(n int) int { return r.IntN(n) }
	// A replica that renders every read: w's replica serves reads it encoded before (by product
	// version), and after every write those must be the bytes a fresh rendering gives.
	fresh := testenv.StartPMWith(t, w.id, testenv.PMOptions{DatabaseURL: w.pm.Pool.Config().ConnString(),
		Env: map[string]string{"RENDERED_PRODUCTS": "0"}}).Client(w.owner, w.handle, w.org)
	own := &pm.GetProductParams{Expand: ptr("variants,options,optionValues,metafields")}
	web := w.channel(t, "rm-web", "EUR")
	start := time.Now().UTC()
	// Moments for priced reads around the prices the writes schedule (from 10 and 40 days on).
	moments := []time.Time{start, start.Add(10*24*time.Hour + time.Hour), start.Add(25 * 24 * time.Hour), start.Add(45 * 24 * time.Hour)}
	compared := 0
	same := func(what string, got, want interface {
		StatusCode() int
	}, gotBody, wantBody []byte, gotETag, wantETag string) {
		t.Helper()
		if got.StatusCode() != 200 || want.StatusCode() != 200 {
			t.Fatalf("%s: %d and %d", what, got.StatusCode(), want.StatusCode())
		}
		if !bytes.Equal(gotBody, wantBody) || gotETag != wantETag {
			t.Fatalf("%s: a kept read differs from a fresh rendering:\n kept %s\nfresh %s", what, gotBody, wantBody)
		}
		compared++
	}
	read := func(p pm.Product) pm.Product {
		var kept *pm.GetProductResponse
		for _, loc := range []pm.RequestEditorFn{withLocale("en"), withLocale("de"), locale("de", true)} {
			got, err := w.c.GetProductWithResponse(ctx, p.Id, own, loc)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fresh.GetProductWithResponse(ctx, p.Id, own, loc)
			if err != nil {
				t.Fatal(err)
			}
			same("item", got, want, got.Body, want.Body, got.HTTPResponse.Header.Get("ETag"), want.HTTPResponse.Header.Get("ETag"))
			if kept == nil {
				kept = got
			}
		}
		// Priced reads, kept while their prices hold still: at moments on both sides of scheduled prices.
		for _, at := range []time.Time{moments[pick(len(moments))], moments[pick(len(moments))]} {
			priced := &pm.GetProductParams{Expand: own.Expand, ResolveContextChannel: &web.LdID, ResolveContextCountry: ptr("DE"), ResolveContextAt: &at}
			got, err := w.c.GetProductWithResponse(ctx, p.Id, priced)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fresh.GetProductWithResponse(ctx, p.Id, priced)
			if err != nil {
				t.Fatal(err)
			}
			same("priced item at "+at.String(), got, want, got.Body, want.Body, got.HTTPResponse.Header.Get("ETag"), want.HTTPResponse.Header.Get("ETag"))
		}
		// A list page of kept members, unpriced and priced.
		at := moments[pick(len(moments))]
		for _, params := range []*pm.ListProductsParams{{Expand: own.Expand}, {Expand: own.Expand, ResolveContextChannel: &web.LdID, ResolveContextCountry: ptr("DE"), ResolveContextAt: &at}} {
			got, err := w.c.ListProductsWithResponse(ctx, params, withLocale("de"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := fresh.ListProductsWithResponse(ctx, params, withLocale("de"))
			if err != nil {
				t.Fatal(err)
			}
			same("list", got, want, got.Body, want.Body, "", "")
		}
		return *kept.ApplicationldJSON200
	}
	const mp = "application/merge-patch+json"
	const js = "application/json"
	statuses := map[int]int{}
	for step := range 160 {
		p := read(products[pick(len(products))])
		var variants []pm.Variant
		for _, v := range p.Variants {
			if x, err := v.AsVariant(); err == nil {
				variants = append(variants, x)
			}
		}
		var resp apitest.Response
		switch op := pick(13); op {
		case 0:
			loc := []string{"en", "de"}[pick(2)]
			resp, err = w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, mp, strings.NewReader(fmt.Sprintf(`{"title":"T%d %s","description":"D%d"}`, step, loc, step)), withLocale(loc))
		case 1:
			resp, err = w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, mp, strings.NewReader(fmt.Sprintf(`{"vendor":"V%d","tags":"a%d, b"}`, step, step%3)))
		case 2:
			cols := `[]`
			if pick(2) == 0 {
				cols = fmt.Sprintf(`[{"collection":%q}]`, extraCol.ApplicationldJSON201.LdID)
			}
			resp, err = w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, mp, strings.NewReader(`{"collections":`+cols+`}`))
		case 3:
			resp, err = w.c.CreateProductVariantWithBodyWithResponse(ctx, p.Id, nil, js, strings.NewReader(fmt.Sprintf(`{"sku":"RMV-%d"}`, step)))
		case 4:
			if len(variants) > 0 {
				v := variants[pick(len(variants))]
				resp, err = w.c.UpdateVariantWithBodyWithResponse(ctx, v.Id, nil, mp, strings.NewReader(fmt.Sprintf(`{"title":"VT%d","barcode":"B%d"}`, step, step)))
			}
		case 5:
			if len(variants) > 1 {
				resp, err = w.c.DeleteVariantWithResponse(ctx, variants[pick(len(variants))].Id, nil)
			}
		case 6:
			if len(p.Options) > 0 {
				o, _ := p.Options[0].AsProductOption()
				resp, err = w.c.CreateOptionValueWithBodyWithResponse(ctx, o.Id, nil, js, strings.NewReader(fmt.Sprintf(`{"value":"X%d"}`, step)), withLocale("en"))
			}
		case 7:
			if len(p.Options) > 0 {
				o, _ := p.Options[0].AsProductOption()
				resp, err = w.c.UpdateProductOptionWithBodyWithResponse(ctx, o.Id, nil, mp, strings.NewReader(fmt.Sprintf(`{"name":"Größe %d"}`, step)), withLocale("de"))
			}
		case 8:
			if len(variants) > 0 {
				scheduled := "" // from now, or from 10 or 40 days on: priced reads' spans end there
				if days := []int{0, 10, 40}[pick(3)]; days > 0 {
					scheduled = fmt.Sprintf(`,"validFrom":%q`, start.Add(time.Duration(days)*24*time.Hour).Format(time.RFC3339))
				}
				resp, err = w.c.CreateVariantPriceWithBodyWithResponse(ctx, variants[pick(len(variants))].Id, nil, js,
					strings.NewReader(fmt.Sprintf(`{"currency":"EUR","amount":"%d.50","country":"/rest/api/countries/DE"%s}`, 5+step, scheduled)))
			}
		case 9:
			list, lerr := w.c.ListPricesWithResponse(ctx, nil)
			if lerr == nil && list.StatusCode() == 200 && len(list.ApplicationldJSON200.Member) > 0 {
				pr := list.ApplicationldJSON200.Member[pick(len(list.ApplicationldJSON200.Member))]
				if pick(2) == 0 {
					resp, err = w.c.UpdatePriceWithBodyWithResponse(ctx, pr.Id, nil, mp, strings.NewReader(fmt.Sprintf(`{"amount":"%d.00"}`, 3+step)))
				} else {
					resp, err = w.c.DeletePriceWithResponse(ctx, pr.Id, nil)
				}
			}
		case 10:
			resp, err = w.c.CreateMetafieldWithBodyWithResponse(ctx, nil, js, strings.NewReader(fmt.Sprintf(
				`{"owner":%q,"namespace":"rm","key":"k%d","type":"single_line_text_field","value":"v%d"}`, p.LdID, step%5, step)))
		case 11:
			if p.Metafields != nil && len(*p.Metafields) > 0 {
				m, _ := (*p.Metafields)[pick(len(*p.Metafields))].AsMetafield()
				if pick(2) == 0 {
					resp, err = w.c.DeleteMetafieldWithResponse(ctx, m.Id, nil)
				} else if m.Type == pm.MetafieldTypeSingleLineTextField {
					resp, err = w.c.UpdateMetafieldWithBodyWithResponse(ctx, m.Id, nil, mp, strings.NewReader(fmt.Sprintf(`{"value":"u%d"}`, step)))
				}
			}
		case 12: // no write this step
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if resp != nil {
			statuses[resp.StatusCode()]++
			if resp.StatusCode() >= 500 {
				t.Fatalf("step %d: %d %s", step, resp.StatusCode(), body(resp))
			}
		}
		if step == 120 { // a shared media and collection go: their products' documents change
			ms := read(products[0]).Medias
			if ms == nil || len(*ms) == 0 {
				t.Fatal("the first product shows no media to delete")
			}
			iri, _ := (*ms)[0].AsIri()
			media, err := w.c.DeleteMediaWithResponse(ctx, idOf(iri), nil)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, media, 204)
			col, err := w.c.DeleteCollectionWithResponse(ctx, extraCol.ApplicationldJSON201.Id, nil)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, col, 204)
		}
	}
	t.Logf("statuses: %v; %d reads compared with a fresh rendering", statuses, compared)
	if statuses[200]+statuses[201]+statuses[204] < 100 {
		t.Fatalf("too few writes succeeded to prove anything: %v", statuses)
	}
	store := postgres.New(w.pm.Pool)
	stale, err := store.VerifyDocuments(ctx, uuid.Nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) > 0 {
		t.Fatalf("%d documents differ from a fresh build: %v", len(stale), stale)
	}
	if n, err := store.RebuildDocuments(ctx, uuid.Nil); err != nil || n != 0 {
		t.Fatalf("a rebuild changed %d documents (%v), want 0", n, err)
	}
	// Every translation written carries its product's creation time: a title search pages by it.
	var translations, astray int
	if err := w.pm.Pool.QueryRow(ctx, `select count(*), count(*) filter (where t.product_created_at is distinct from p.created_at)
		from product_translations t join products p on p.instance_id = t.instance_id and p.id = t.product_id`).Scan(&translations, &astray); err != nil {
		t.Fatal(err)
	}
	if astray > 0 || translations < len(products) {
		t.Fatalf("%d of %d translations carry another time than their product's creation", astray, translations)
	}
	// The check can fail: a document changed behind the change path is found, and rebuilt.
	before, err := w.c.GetProductWithResponse(ctx, products[1].Id, own)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.pm.Pool.Exec(ctx, `update product_documents set doc = doc || '{"vendor": "stale"}' where product_id = $1`, products[1].Id); err != nil {
		t.Fatal(err)
	}
	if stale, err = store.VerifyDocuments(ctx, uuid.Nil); err != nil || len(stale) != 1 || stale[0] != products[1].Id {
		t.Fatalf("verify after tampering: %v (%v), want %s", stale, err, products[1].Id)
	}
	if n, err := store.RebuildDocuments(ctx, uuid.Nil); err != nil || n != 1 {
		t.Fatalf("the rebuild changed %d documents (%v), want 1", n, err)
	}
	// A rebuilt document moves its product's version: the ETag, and what replicas keep under it.
	after, err := w.c.GetProductWithResponse(ctx, products[1].Id, own)
	if err != nil {
		t.Fatal(err)
	}
	if b, a := before.HTTPResponse.Header.Get("ETag"), after.HTTPResponse.Header.Get("ETag"); a == b {
		t.Fatalf("the ETag stayed %s after its document was rebuilt", a)
	}
	if stale, err = store.VerifyDocuments(ctx, uuid.Nil); err != nil || len(stale) != 0 {
		t.Fatalf("after the rebuild %d documents differ (%v)", len(stale), err)
	}
}

// A replica reads its writes under concurrent writers: each writer reads its product right after each
// write and sees it (TestReadModelReplicasReadEachOthersWrites covers two replicas).
func TestReadModelReadsItsWritesUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		p := w.create(t, w.c, tshirt(fmt.Sprint("RAW", g), 3))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				vendor := fmt.Sprintf("W%d-%d", g, i)
				resp, err := w.c.UpdateProductWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, p.Id, nil, pm.ProductPatch{Vendor: some(vendor)})
				if err != nil || resp.StatusCode() != 200 {
					t.Errorf("write: %v %s", err, body(resp))
					return
				}
				got, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
				if err != nil || got.StatusCode() != 200 {
					t.Errorf("read: %v", err)
					return
				}
				if v, _ := got.ApplicationldJSON200.Vendor.Get(); v != vendor {
					t.Errorf("read after write: vendor %q, want %q", v, vendor)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// A replica that holds a product's document decoded still shows another replica's write at once:
// the database's revision decides, not the cache.
func TestReadModelReplicasReadEachOthersWrites(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	db := testdb.NewURL(t, pmdb.Migrations())
	a := &world{id: id, pm: testenv.StartPMWith(t, id, testenv.PMOptions{DatabaseURL: db}), owner: id.Partner("Owner"), handle: "replicas"}
	a.org = a.owner.Org(t, "Replicas")
	a.owner.Instance(t, a.org, a.handle)
	a.c = a.pm.Client(a.owner, a.handle, a.org)
	b := testenv.StartPMWith(t, id, testenv.PMOptions{DatabaseURL: db}).Client(a.owner, a.handle, a.org)
	ctx := context.Background()
	p := a.create(t, a.c, tshirt("REP", 2))
	for i := range 5 {
		for range 2 { // the second read is served from a's decoded document
			got, err := a.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{Expand: ptr("variants")})
			if err != nil || got.StatusCode() != 200 {
				t.Fatalf("read on a: %v", err)
			}
			if want := fmt.Sprint("B", i-1); i > 0 {
				if v, _ := got.ApplicationldJSON200.Vendor.Get(); v != want {
					t.Fatalf("replica a shows vendor %q after b wrote %q", v, want)
				}
			}
		}
		resp, err := b.UpdateProductWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, p.Id, nil, pm.ProductPatch{Vendor: some(fmt.Sprint("B", i))})
		if err != nil || resp.StatusCode() != 200 {
			t.Fatalf("write on b: %v %s", err, body(resp))
		}
	}
}

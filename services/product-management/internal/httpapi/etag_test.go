package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestConditionalWrites: products and variants carry an ETag that every write to them changes;
// a PATCH or DELETE with a stale If-Match is a 412 and changes nothing.
func TestConditionalWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("ETAG", 2))
	ifMatch := func(etag string) pm.RequestEditorFn {
		return func(_ context.Context, r *http.Request) error { r.Header.Set("If-Match", etag); return nil }
	}
	productETag := func(t *testing.T) (string, pm.Product) {
		t.Helper()
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		etag := resp.HTTPResponse.Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag on the product read")
		}
		return etag, *resp.ApplicationldJSON200
	}
	patchProduct := func(t *testing.T, etag, body string) *pm.UpdateProductResponse {
		t.Helper()
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(body), ifMatch(etag))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	t.Run("products", func(t *testing.T) {
		first, _ := productETag(t)
		ok := patchProduct(t, first, `{"vendor":"Globex"}`)
		expectStatus(t, ok, 200)
		second := ok.HTTPResponse.Header.Get("ETag")
		if second == "" || second == first {
			t.Fatalf("the update's ETag %q does not move on from %q", second, first)
		}
		for name, etag := range map[string]string{"stale": first, "malformed": `"abc"`, "weak stale": "W/" + first} {
			expectProblem(t, patchProduct(t, etag, `{"vendor":"Initech"}`), 412, "")
			del, err := w.c.DeleteProductWithResponse(ctx, p.Id, nil, ifMatch(etag))
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, del, 412, "")
			if now, got := productETag(t); now != second || got.Vendor.MustGet() != "Globex" {
				t.Fatalf("%s If-Match changed the product: %s %v", name, now, got.Vendor)
			}
		}
		expectStatus(t, patchProduct(t, "*", `{"tags":"a"}`), 200)
		// A change to the product's graph (a new option value) moves the product's ETag too.
		before, _ := productETag(t)
		add, err := w.c.CreateOptionValueWithResponse(ctx, mustOption(t, w, p), nil, pm.OptionValueCreate{Value: "XL"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, add, 201)
		if after, _ := productETag(t); after == before {
			t.Fatal("a new option value did not change the product's ETag")
		}
	})

	t.Run("variants", func(t *testing.T) {
		_, cur := productETag(t)
		iri, _ := cur.Variants[0].AsIri()
		id := idOf(iri)
		get, err := w.c.GetVariantWithResponse(ctx, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, get, 200)
		first := get.HTTPResponse.Header.Get("ETag")
		upd, err := w.c.UpdateVariantWithBodyWithResponse(ctx, id, nil, "application/merge-patch+json", strings.NewReader(`{"barcode":"123"}`), ifMatch(first))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, upd, 200)
		second := upd.HTTPResponse.Header.Get("ETag")
		if second == "" || second == first {
			t.Fatalf("variant ETag %q after %q", second, first)
		}
		stale, err := w.c.UpdateVariantWithBodyWithResponse(ctx, id, nil, "application/merge-patch+json", strings.NewReader(`{"barcode":"456"}`), ifMatch(first))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, stale, 412, "")
		del, err := w.c.DeleteVariantWithResponse(ctx, id, nil, ifMatch(first))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, del, 412, "")
		del, err = w.c.DeleteVariantWithResponse(ctx, id, nil, ifMatch(second))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		gone, err := w.c.DeleteVariantWithResponse(ctx, id, nil, ifMatch(second))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, gone, 404, "")
	})
}

// mustOption returns the id of the product's first option.
func mustOption(t *testing.T, w *world, p pm.Product) pm.Id {
	t.Helper()
	iri, err := p.Options[0].AsIri()
	if err != nil {
		t.Fatal(err)
	}
	return idOf(iri)
}

// TestConditionalReads: a product or variant read with the current ETag in If-None-Match answers
// 304 without a body; any change to what the read shows (metafields and prices included) moves the
// ETag; reads whose representation the version does not follow (shared embeds, resolved prices)
// always answer 200.
func TestConditionalReads(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	web := w.channel(t, "web", "EUR")
	p := w.create(t, w.c, tshirt("COND", 2))
	vIRI, _ := p.Variants[0].AsIri()
	vid := idOf(vIRI)
	get := func(etag string, expand *string) *pm.GetProductResponse {
		t.Helper()
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{IfNoneMatch: &etag, Expand: expand})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, first, 200)
	etag := first.HTTPResponse.Header.Get("ETag")
	if r := get(etag, ptr("variants,options,optionValues,metafields")); r.StatusCode() != 304 || len(r.Body) != 0 || r.HTTPResponse.Header.Get("ETag") != etag {
		t.Fatalf("If-None-Match with the current ETag: %d %q (ETag %q)", r.StatusCode(), r.Body, r.HTTPResponse.Header.Get("ETag"))
	}
	if r := get(`"0", W/`+etag, nil); r.StatusCode() != 304 {
		t.Errorf("a list holding the current ETag (weak): %d", r.StatusCode())
	}
	// Another locale's representation of the same version is another entity.
	if resp, err := w.c.CreateLocaleWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"code":"de"}`)); err != nil || resp.StatusCode() != 201 {
		t.Fatalf("locale: %v", err)
	}
	if r, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{IfNoneMatch: &etag}, withLocale("de")); err != nil || r.StatusCode() != 200 ||
		r.HTTPResponse.Header.Get("ETag") == etag {
		t.Errorf("the German read with the English ETag: %v %v (ETag %s)", r.StatusCode(), err, r.HTTPResponse.Header.Get("ETag"))
	}
	if r := get(etag, ptr("channels")); r.StatusCode() != 200 {
		t.Errorf("a read with a shared embed answered %d, want 200", r.StatusCode())
	}
	at := time.Now()
	if r, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{IfNoneMatch: &etag, ResolveContextChannel: &web.LdID,
		ResolveContextCountry: ptr("DE"), ResolveContextAt: &at}); err != nil || r.StatusCode() != 200 {
		t.Errorf("a resolved read answered %v %v, want 200", r.StatusCode(), err)
	}
	variantETag := func() string {
		t.Helper()
		r, err := w.c.GetVariantWithResponse(ctx, vid, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, r, 200)
		return r.HTTPResponse.Header.Get("ETag")
	}
	ve := variantETag()
	if r, err := w.c.GetVariantWithResponse(ctx, vid, &pm.GetVariantParams{IfNoneMatch: &ve}); err != nil || r.StatusCode() != 304 {
		t.Errorf("variant with its current ETag: %v %v, want 304", r.StatusCode(), err)
	}
	if r, err := w.c.GetVariantWithResponse(ctx, vid, &pm.GetVariantParams{IfNoneMatch: &ve, Expand: ptr("optionValues")}); err != nil || r.StatusCode() != 200 {
		t.Errorf("variant with embedded option values: %v %v, want 200", r.StatusCode(), err)
	}

	// A metafield on the product, then a price on the variant: both move the ETags.
	mf, err := w.c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: p.LdID, Namespace: "c", Key: "k", Type: pm.MetafieldTypeSingleLineTextField, Value: "v"})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, mf, 201)
	r := get(etag, nil)
	expectStatus(t, r, 200)
	after := r.HTTPResponse.Header.Get("ETag")
	if after == etag {
		t.Fatal("a metafield left the product's ETag as it was")
	}
	pr, err := w.c.CreateVariantPriceWithResponse(ctx, vid, nil, pm.VariantPriceCreate{Currency: "EUR", Amount: "12"})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, pr, 201)
	if r := get(after, nil); r.StatusCode() != 200 || r.HTTPResponse.Header.Get("ETag") == after {
		t.Errorf("a price left the product's ETag as it was: %d", r.StatusCode())
	}
	if variantETag() == ve {
		t.Error("a price left the variant's ETag as it was")
	}
}

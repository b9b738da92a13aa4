package httpapi_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// shirtState is a product's whole state in the create's shape, by keys and codes only, with a
// variant per size.
func shirtState(title string, sizes []string, amounts map[string]string, medias ...string) string {
	type price struct {
		Channel  string `json:"channel"`
		Currency string `json:"currency"`
		Amount   string `json:"amount"`
	}
	type variant struct {
		SKU          string              `json:"sku"`
		OptionValues []map[string]string `json:"optionValues"`
		Prices       []price             `json:"prices,omitempty"`
		Medias       []map[string]string `json:"medias,omitempty"`
	}
	state := map[string]any{
		"title":       title,
		"status":      "/rest/api/statuses/draft",
		"category":    "/rest/api/categories/key=shirts",
		"collections": []map[string]string{{"collection": "/rest/api/collections/key=summer"}},
		"channels":    []map[string]string{{"channel": "/rest/api/channels/code=web"}},
		"options":     []map[string]any{{"name": "Size", "values": sizes}},
	}
	var ms []map[string]string
	for i, src := range medias {
		ms = append(ms, map[string]string{"type": "image", "src": src, "alt": "view " + string(rune('A'+i))})
	}
	if ms != nil {
		state["medias"] = ms
	}
	var vs []variant
	for _, size := range sizes {
		v := variant{SKU: "SHIRT-" + size, OptionValues: []map[string]string{{"option": "Size", "value": size}}}
		if a, ok := amounts[size]; ok {
			v.Prices = []price{{Channel: "/rest/api/channels/code=web", Currency: "EUR", Amount: a}}
		}
		if len(medias) > 0 {
			v.Medias = []map[string]string{{"src": medias[0]}}
		}
		vs = append(vs, v)
	}
	state["variants"] = vs
	b, _ := json.Marshal(state)
	return string(b)
}

// TestSetProductByKey: a PUT by key creates the product (201), sets it again unchanged with no
// new version and no event (200, same ETag), and sets a changed state keeping the ids of what it
// matches (variants by SKU, values by label, images by src, prices by slot) while removing what it
// leaves out, each change with its event.
func TestSetProductByKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.channel(t, "web", "EUR")
	if r, err := w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "shirts", Key: some("shirts")}); err != nil || r.StatusCode() != 201 {
		t.Fatalf("category: %v %s", err, body(r))
	}
	if r, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "summer", Key: some("summer")}); err != nil || r.StatusCode() != 201 {
		t.Fatalf("collection: %v %s", err, body(r))
	}
	put := func(key, state string, ifMatch *string) *pm.SetProductByKeyResponse {
		t.Helper()
		resp, err := w.c.SetProductByKeyWithBodyWithResponse(ctx, key, &pm.SetProductByKeyParams{IfMatch: ifMatch}, "application/json", strings.NewReader(state))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	_, cursor := feed(t, w.c, pm.ListEventsParams{})

	first := shirtState("Shirt", []string{"S", "M"}, map[string]string{"S": "19.99", "M": "21.99"}, "https://cdn.example.com/front.jpg")
	created := put("SHIRT", first, nil)
	expectStatus(t, created, 201)
	p := *created.ApplicationldJSON201
	if p.Key.MustGet() != "SHIRT" || created.HTTPResponse.Header.Get("Location") != p.LdID || len(p.Variants) != 2 {
		t.Fatalf("created: %s", body(created))
	}
	etag := created.HTTPResponse.Header.Get("ETag")
	events, cursor := feed(t, w.c, pm.ListEventsParams{Cursor: cursor})
	if len(events) != 1 || events[0].Type != "product.created" {
		t.Fatalf("events of the create: %v", types(events))
	}
	// It holds the whole product: variants, each with its prices, and options with their values.
	variants := asList(events[0].Data["variants"])
	if len(variants) != 2 || len(asList(variants[0].(map[string]any)["prices"])) != 1 || len(asList(asList(events[0].Data["options"])[0].(map[string]any)["values"])) != 2 {
		t.Fatalf("product.created data: %s", mustJSON(t, events[0].Data))
	}

	t.Run("the same state again changes nothing", func(t *testing.T) {
		again := put("SHIRT", first, nil)
		expectStatus(t, again, 200)
		if got := again.HTTPResponse.Header.Get("ETag"); got != etag {
			t.Fatalf("ETag %s after an unchanged set, was %s", got, etag)
		}
		if events, _ := feed(t, w.c, pm.ListEventsParams{Cursor: cursor}); len(events) != 0 {
			t.Fatalf("an unchanged set recorded %v", types(events))
		}
		if !slices.Equal(variantIRIs(t, p), variantIRIs(t, *again.ApplicationldJSON200)) {
			t.Fatalf("variants moved: %s", body(again))
		}
	})

	t.Run("stale If-Match", func(t *testing.T) {
		stale := `"v0-en"`
		expectProblem(t, put("SHIRT", first, &stale), 412, "")
		expectProblem(t, put("NOBODY", first, &etag), 412, "")
	})

	t.Run("a key in the body must be the path's", func(t *testing.T) {
		expectProblem(t, put("SHIRT", `{"key":"OTHER"}`, nil), 422, "key")
	})

	t.Run("a violation changes nothing", func(t *testing.T) {
		bad := strings.Replace(first, "19.99", "nineteen", 1)
		expectProblem(t, put("SHIRT", bad, nil), 422, "variants[0].prices[0].amount")
		if events, _ := feed(t, w.c, pm.ListEventsParams{Cursor: cursor}); len(events) != 0 {
			t.Fatalf("a refused set recorded %v", types(events))
		}
	})

	t.Run("a changed state keeps what it matches", func(t *testing.T) {
		before := w.variantsBySKU(t, p.Id)
		next := shirtState("Linen shirt", []string{"M", "L"}, map[string]string{"M": "24.99", "L": "26.99"},
			"https://cdn.example.com/front.jpg", "https://cdn.example.com/back.jpg")
		set := put("SHIRT", next, &etag)
		expectStatus(t, set, 200)
		q := *set.ApplicationldJSON200
		if q.Id != p.Id || q.Title.MustGet() != "Linen shirt" || set.HTTPResponse.Header.Get("ETag") == etag {
			t.Fatalf("set: %s", body(set))
		}
		after := w.variantsBySKU(t, q.Id)
		if after["SHIRT-M"] != before["SHIRT-M"] || after["SHIRT-L"] == "" || after["SHIRT-S"] != "" {
			t.Fatalf("variants by SKU: before %v, after %v", before, after)
		}
		gone, err := w.c.GetVariantWithResponse(ctx, idOf(before["SHIRT-S"]), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, gone, 404, "")
		prices, err := w.c.ListVariantPricesWithResponse(ctx, idOf(after["SHIRT-M"]), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, prices, 200)
		if m := prices.ApplicationldJSON200.Member; len(m) != 1 || m[0].Amount != "24.99" {
			t.Fatalf("M's prices: %s", body(prices))
		}
		events, _ := feed(t, w.c, pm.ListEventsParams{Cursor: cursor})
		got := types(events)
		for _, want := range []string{"product.updated", "variant.created", "variant.deleted", "variant.updated", "optionValue.created",
			"optionValue.deleted", "option.updated", "media.created", "price.updated", "price.created"} {
			if !slices.Contains(got, want) {
				t.Errorf("no %s among %v", want, got)
			}
		}
		if q.Medias == nil || len(*q.Medias) != 2 {
			t.Fatalf("medias: %s", body(set))
		}
		// Sending it again is unchanged once more.
		again := put("SHIRT", next, nil)
		expectStatus(t, again, 200)
		if again.HTTPResponse.Header.Get("ETag") != set.HTTPResponse.Header.Get("ETag") {
			t.Fatalf("the changed state sent again moved the ETag")
		}
	})

	t.Run("a SKU of another product is a conflict", func(t *testing.T) {
		w.create(t, w.c, pm.ProductCreate{Variants: &[]pm.VariantCreate{{Sku: "TAKEN"}}})
		resp := put("OTHER", `{"variants":[{"sku":"TAKEN"}]}`, nil)
		expectConflict(t, resp, "TAKEN")
		missing, err := w.c.GetProductByKeyWithResponse(ctx, "OTHER", nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, missing, 404, "")
	})

	t.Run("keys are per instance", func(t *testing.T) {
		w.owner.Instance(t, w.org, "acme-set")
		other := w.pm.Client(w.owner, "acme-set", w.org)
		resp, err := other.SetProductByKeyWithBodyWithResponse(ctx, "SHIRT", nil, "application/json", strings.NewReader(`{"title":"Theirs"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		if resp.ApplicationldJSON201.Id == p.Id {
			t.Fatal("another instance's PUT of the key changed our product")
		}
	})
}

func variantIRIs(t *testing.T, p pm.Product) []string {
	t.Helper()
	out := make([]string, len(p.Variants))
	for i, v := range p.Variants {
		s, err := v.AsIri()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

// variantsBySKU reads the IRI of each variant of a product by SKU.
func (w *world) variantsBySKU(t *testing.T, id pm.Id) map[string]string {
	t.Helper()
	resp, err := w.c.GetProductWithResponse(context.Background(), id, &pm.GetProductParams{Expand: ptr("variants")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
	out := map[string]string{}
	for _, v := range resp.ApplicationldJSON200.Variants {
		variant, err := v.AsVariant()
		if err != nil {
			t.Fatal(err)
		}
		out[variant.Sku] = variant.LdID
	}
	return out
}

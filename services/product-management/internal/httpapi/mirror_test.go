package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestFeedMirrorsEveryResourceAfterRandomWrites is the mirror's promise: after random writes
// through every product sub-resource (options and values added, moved and deleted, variants
// changed and deleted, prices set and changed, medias and metafields, products set by key and
// deleted), each resource's latest event in the feed carries exactly what a read of it shows,
// and a resource that reads 404 has a .deleted event of its own or of a parent.
func TestFeedMirrorsEveryResourceAfterRandomWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	w.channel(t, "web", "EUR")
	for _, kind := range []string{"categor", "collection"} {
		var resp interface{ StatusCode() int }
		var err error
		if kind == "categor" {
			resp, err = w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "shirts", Key: some("shirts")})
		} else {
			resp, err = w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "summer", Key: some("summer")})
		}
		if err != nil || resp.StatusCode() != 201 {
			t.Fatalf("%s: %v", kind, err)
		}
	}

	var products []pm.Id
	n := 0
	next := func() int { n++; return n }
	// shape reads a product with its children embedded (what the random writes pick from).
	type shape struct {
		Variants []struct {
			ID           pm.Id  `json:"id"`
			OptionValues []any  `json:"optionValues"`
			Medias       []any  `json:"medias"`
			LdID         string `json:"@id"`
		} `json:"variants"`
		Options []struct {
			ID     pm.Id `json:"id"`
			Name   string
			Values []struct {
				ID pm.Id `json:"id"`
			} `json:"values"`
		} `json:"options"`
		Medias []struct {
			ID pm.Id `json:"id"`
		} `json:"medias"`
		LdID string `json:"@id"`
	}
	read := func(id pm.Id) (shape, bool) {
		expand := "variants,options,optionValues,medias"
		resp, err := w.c.GetProductWithResponse(ctx, id, &pm.GetProductParams{Expand: &expand})
		if err != nil {
			t.Fatal(err)
		}
		var s shape
		if resp.StatusCode() != 200 || json.Unmarshal(resp.Body, &s) != nil {
			return s, false
		}
		return s, true
	}
	pick := func() (pm.Id, shape, bool) {
		if len(products) == 0 {
			return pm.Id{}, shape{}, false
		}
		id := products[rng.IntN(len(products))]
		s, ok := read(id)
		return id, s, ok
	}
	state := func(sizes ...string) string {
		amounts := map[string]string{}
		for _, s := range sizes {
			if rng.IntN(2) == 0 {
				amounts[s] = fmt.Sprintf("%d.99", 5+rng.IntN(20))
			}
		}
		var medias []string
		if rng.IntN(2) == 0 {
			medias = []string{fmt.Sprintf("https://cdn.example.com/%d.jpg", next())}
		}
		return strings.ReplaceAll(shirtState(fmt.Sprintf("Shirt %d", next()), sizes, amounts, medias...), "SHIRT-", fmt.Sprintf("M%d-", next()))
	}
	var prices []pm.Id
	sizes := []string{"S", "M", "L", "XL"}
	someSizes := func() []string { return sizes[:1+rng.IntN(len(sizes))] }
	// created notes the id of what a 201 created in ids (its body is read: the caller gets it
	// emptied).
	created := func(resp *http.Response, err error, ids *[]pm.Id) (*http.Response, error) {
		if err == nil && resp.StatusCode == 201 {
			var made struct{ ID pm.Id }
			b, _ := io.ReadAll(resp.Body)
			_ = json.Unmarshal(b, &made)
			*ids = append(*ids, made.ID)
		}
		return resp, err
	}
	mp := "application/merge-patch+json"
	js := "application/json"
	ops := []struct {
		name string
		do   func() (*http.Response, error)
	}{
		{"create product", func() (*http.Response, error) {
			resp, err := w.c.CreateProductWithBody(ctx, nil, js, strings.NewReader(state(someSizes()...)))
			return created(resp, err, &products)
		}},
		{"set product by key", func() (*http.Response, error) {
			key := fmt.Sprintf("K%d", rng.IntN(4))
			resp, err := w.c.SetProductByKeyWithBody(ctx, key, nil, js, strings.NewReader(state(someSizes()...)))
			return created(resp, err, &products)
		}},
		{"patch product", func() (*http.Response, error) {
			id, _, ok := pick()
			if !ok {
				return nil, nil
			}
			return w.c.UpdateProductWithBody(ctx, id, nil, mp, strings.NewReader(fmt.Sprintf(`{"vendor":"V%d"}`, next())))
		}},
		{"add option", func() (*http.Response, error) {
			id, _, ok := pick()
			if !ok {
				return nil, nil
			}
			return w.c.CreateProductOptionWithBody(ctx, id, nil, js, strings.NewReader(fmt.Sprintf(`{"name":"Colour %d","values":["Red","Blue"]}`, next())))
		}},
		{"add option value", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Options) == 0 {
				return nil, nil
			}
			o := s.Options[rng.IntN(len(s.Options))]
			return w.c.CreateOptionValueWithBody(ctx, o.ID, nil, js, strings.NewReader(fmt.Sprintf(`{"value":"V%d","position":0}`, next())))
		}},
		{"move option", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Options) == 0 {
				return nil, nil
			}
			o := s.Options[rng.IntN(len(s.Options))]
			return w.c.UpdateProductOptionWithBody(ctx, o.ID, nil, mp, strings.NewReader(fmt.Sprintf(`{"position":%d}`, rng.IntN(len(s.Options)))))
		}},
		{"move option value", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Options) == 0 {
				return nil, nil
			}
			o := s.Options[rng.IntN(len(s.Options))]
			v := o.Values[rng.IntN(len(o.Values))]
			return w.c.UpdateOptionValueWithBody(ctx, v.ID, nil, mp, strings.NewReader(fmt.Sprintf(`{"position":%d,"value":"W%d"}`, rng.IntN(len(o.Values)), next())))
		}},
		{"delete option value", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Options) == 0 {
				return nil, nil
			}
			o := s.Options[rng.IntN(len(s.Options))]
			return w.c.DeleteOptionValue(ctx, o.Values[rng.IntN(len(o.Values))].ID, nil)
		}},
		{"delete option", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Options) == 0 {
				return nil, nil
			}
			return w.c.DeleteProductOption(ctx, s.Options[rng.IntN(len(s.Options))].ID, nil)
		}},
		{"patch variant", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Variants) == 0 {
				return nil, nil
			}
			v := s.Variants[rng.IntN(len(s.Variants))]
			return w.c.UpdateVariantWithBody(ctx, v.ID, nil, mp, strings.NewReader(fmt.Sprintf(`{"title":"T%d","position":%d}`, next(), rng.IntN(len(s.Variants)))))
		}},
		{"delete variant", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Variants) < 2 {
				return nil, nil
			}
			return w.c.DeleteVariant(ctx, s.Variants[rng.IntN(len(s.Variants))].ID, nil)
		}},
		{"add price", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Variants) == 0 {
				return nil, nil
			}
			v := s.Variants[rng.IntN(len(s.Variants))]
			resp, err := w.c.CreateVariantPriceWithBody(ctx, v.ID, nil, js, strings.NewReader(fmt.Sprintf(`{"currency":"EUR","amount":"%d.50","country":"/rest/api/countries/%s"}`, 1+rng.IntN(50), []string{"DE", "FR", "IT"}[rng.IntN(3)])))
			return created(resp, err, &prices)
		}},
		{"change price", func() (*http.Response, error) {
			if len(prices) == 0 {
				return nil, nil
			}
			return w.c.UpdatePriceWithBody(ctx, prices[rng.IntN(len(prices))], nil, mp, strings.NewReader(fmt.Sprintf(`{"amount":"%d.25"}`, 1+rng.IntN(50))))
		}},
		{"add metafield", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok {
				return nil, nil
			}
			owner := s.LdID
			if len(s.Variants) > 0 && rng.IntN(2) == 0 {
				owner = s.Variants[rng.IntN(len(s.Variants))].LdID
			}
			return w.c.CreateMetafieldWithBody(ctx, nil, js, strings.NewReader(fmt.Sprintf(`{"owner":%q,"namespace":"custom","key":"k%d","type":"single_line_text_field","value":"x"}`, owner, next())))
		}},
		{"delete media", func() (*http.Response, error) {
			_, s, ok := pick()
			if !ok || len(s.Medias) == 0 {
				return nil, nil
			}
			return w.c.DeleteMedia(ctx, s.Medias[rng.IntN(len(s.Medias))].ID, nil)
		}},
		{"delete product", func() (*http.Response, error) {
			if len(products) < 4 {
				return nil, nil
			}
			i := rng.IntN(len(products))
			id := products[i]
			products = append(products[:i], products[i+1:]...)
			return w.c.DeleteProduct(ctx, id, nil)
		}},
	}
	done := map[string]int{}
	for i := range 160 {
		op := ops[rng.IntN(len(ops))]
		if i < 6 {
			op = ops[0]
		}
		resp, err := op.do()
		if err != nil {
			t.Fatal(err)
		}
		if resp == nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s: %d %s", op.name, resp.StatusCode, b)
		}
		if resp.StatusCode < 300 {
			done[op.name]++
		}
	}
	t.Logf("writes done: %v", done)

	// A definition that loses a field changes its metaobjects.
	def, err := w.c.CreateMetaobjectDefinitionWithBody(ctx, nil, js, strings.NewReader(
		`{"type":"care","fields":[{"key":"wash","type":"single_line_text_field"},{"key":"dry","type":"single_line_text_field"}]}`))
	if err != nil || def.StatusCode != 201 {
		t.Fatalf("definition: %v", err)
	}
	var defined struct{ ID pm.Id }
	b, _ := io.ReadAll(def.Body)
	_ = json.Unmarshal(b, &defined)
	for i := range 2 {
		r, err := w.c.CreateMetaobjectWithBody(ctx, nil, js, strings.NewReader(fmt.Sprintf(`{"type":"care","handle":"care-%d","fields":{"wash":"30","dry":"low"}}`, i)))
		if err != nil || r.StatusCode != 201 {
			t.Fatalf("metaobject: %v", err)
		}
		r.Body.Close()
	}
	if r, err := w.c.UpdateMetaobjectDefinitionWithBody(ctx, defined.ID, nil, mp, strings.NewReader(`{"fields":[{"key":"wash","type":"single_line_text_field"}]}`)); err != nil || r.StatusCode != 200 {
		t.Fatalf("definition patch: %v", err)
	}

	// The mirror: the latest event of each resource, in feed order; a product.created also holds
	// its options, values, variants and their prices (embedded).
	events, _ := feed(t, w.c, pm.ListEventsParams{})
	latest := map[string]pm.Event{}
	for _, e := range events {
		latest[e.Resource] = e
		if e.Type != "product.created" {
			continue
		}
		embedded := func(kind string, x any) {
			if m, ok := x.(map[string]any); ok {
				latest[m["@id"].(string)] = pm.Event{Id: e.Id, Type: kind + ".created", Resource: m["@id"].(string), Data: m}
			}
		}
		for _, x := range asList(e.Data["variants"]) {
			embedded("variant", x)
			for _, p := range asList(x.(map[string]any)["prices"]) {
				embedded("price", p)
			}
		}
		for _, x := range asList(e.Data["options"]) {
			embedded("option", x)
			for _, v := range asList(x.(map[string]any)["values"]) {
				embedded("optionValue", v)
			}
		}
	}
	// gone reports whether iri's own latest event, or a parent's, is a deletion.
	var gone func(iri string, depth int) bool
	gone = func(iri string, depth int) bool {
		e, ok := latest[iri]
		if !ok || depth > 4 {
			return false
		}
		if strings.HasSuffix(e.Type, ".deleted") {
			return true
		}
		for _, parent := range []string{"product", "variant", "option", "owner"} {
			if p, ok := e.Data[parent].(string); ok && gone(p, depth+1) {
				return true
			}
		}
		return false
	}
	get := map[string]func(id pm.Id) (*http.Response, error){
		"products":        func(id pm.Id) (*http.Response, error) { return w.c.GetProduct(ctx, id, nil) },
		"variants":        func(id pm.Id) (*http.Response, error) { return w.c.GetVariant(ctx, id, nil) },
		"product_options": func(id pm.Id) (*http.Response, error) { return w.c.GetProductOption(ctx, id, nil) },
		"option_values":   func(id pm.Id) (*http.Response, error) { return w.c.GetOptionValue(ctx, id, nil) },
		"prices":          func(id pm.Id) (*http.Response, error) { return w.c.GetPrice(ctx, id, nil) },
		"medias":          func(id pm.Id) (*http.Response, error) { return w.c.GetMedia(ctx, id, nil) },
		"metafields":      func(id pm.Id) (*http.Response, error) { return w.c.GetMetafield(ctx, id, nil) },
		"metaobjects":     func(id pm.Id) (*http.Response, error) { return w.c.GetMetaobject(ctx, id, nil) },
		"metaobject_definitions": func(id pm.Id) (*http.Response, error) {
			return w.c.GetMetaobjectDefinition(ctx, id, nil)
		},
	}
	checked := map[string]int{}
	for iri, e := range latest {
		parts := strings.Split(iri, "/")
		fetch, ok := get[parts[len(parts)-2]]
		if !ok {
			continue
		}
		resp, err := fetch(idOf(iri))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checked[e.Type]++
		switch {
		case resp.StatusCode == 404:
			if !gone(iri, 0) {
				t.Errorf("%s reads 404 but its latest event is %s and no parent's is a deletion", iri, e.Type)
			}
		case resp.StatusCode != 200:
			t.Errorf("%s: %d %s", iri, resp.StatusCode, b)
		case strings.HasSuffix(e.Type, ".deleted"):
			t.Errorf("%s reads 200 after its %s", iri, e.Type)
		default:
			var read any
			_ = json.Unmarshal(b, &read)
			if !reflect.DeepEqual(asRead(read, 0), asRead(map[string]any(e.Data), 0)) {
				t.Errorf("%s: its latest event (%s, #%s) carries\n%s\nbut a read shows\n%s", iri, e.Type, e.Id, mustJSON(t, e.Data), b)
			}
		}
	}
	t.Logf("resources checked by their latest event's type: %v", checked)
	if len(checked) < 8 {
		t.Fatalf("too little was checked: %v", checked)
	}
}

func asList(x any) []any {
	l, _ := x.([]any)
	return l
}

// asRead is a representation as a read without expand shows it: embedded resources as their
// IRIs, without @context, and a variant without the prices a product.created embeds in it.
func asRead(x any, depth int) any {
	switch v := x.(type) {
	case map[string]any:
		if id, ok := v["@id"].(string); ok && depth > 0 {
			return id
		}
		out := map[string]any{}
		for k, val := range v {
			if k == "@context" || k == "prices" && v["@type"] == "Variant" {
				continue
			}
			out[k] = asRead(val, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, val := range v {
			out[i] = asRead(val, depth+1)
		}
		return out
	}
	return x
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oapi-codegen/nullable"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func (w *world) channel(t testing.TB, code, currency string, countries ...string) pm.Channel {
	t.Helper()
	var cs *[]string
	if len(countries) > 0 {
		cs = &countries
	}
	resp, err := w.c.CreateChannelWithResponse(context.Background(), nil, pm.ChannelCreate{Code: code, Name: "Channel " + code, Currency: currency, Countries: cs})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 201)
	return *resp.ApplicationldJSON201
}

func resolved(t *testing.T, c *pm.ClientWithResponses, id pm.Id, channel, country string, at *time.Time) pm.Variant {
	t.Helper()
	params := &pm.GetProductParams{Expand: ptr("variants"), ResolveContextChannel: &channel, ResolveContextCountry: &country, ResolveContextAt: at}
	resp, err := c.GetProductWithResponse(context.Background(), id, params)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
	v, err := resp.ApplicationldJSON200.Variants[0].AsVariant()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func amountOf(v pm.Variant) string {
	if !v.ResolvedPrice.IsSpecified() || v.ResolvedPrice.IsNull() {
		return "null"
	}
	return v.ResolvedPrice.MustGet().Amount
}

func lowestOf(v pm.Variant) string {
	if !v.LowestPriceLast30Days.IsSpecified() || v.LowestPriceLast30Days.IsNull() {
		return "null"
	}
	return v.LowestPriceLast30Days.MustGet().Amount
}

func TestPricesEndToEnd(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	web := w.channel(t, "web-eu", "EUR", "DE", "/rest/api/countries/FR")
	usd := w.channel(t, "web-us", "USD")
	if strings.Join(web.Countries, ",") != "/rest/api/countries/DE,/rest/api/countries/FR" {
		t.Fatalf("countries = %v", web.Countries)
	}
	past := time.Now().UTC().Add(-40 * 24 * time.Hour)
	p := w.create(t, w.c, pm.ProductCreate{
		Title:    some("Tea"),
		Channels: &[]pm.ChannelAssignment{{Channel: web.LdID}},
		Variants: &[]pm.VariantCreate{{Sku: "TEA", Prices: &[]pm.VariantPriceCreate{
			{Currency: "EUR", Amount: "12.00", ValidFrom: nullable.NewNullableWithValue(past)},
			{Currency: "EUR", Amount: "11.50", Channel: some(web.LdID), Country: some("DE")},
			{Currency: "USD", Amount: "13", Channel: some(usd.LdID)},
		}}},
	})
	if p.Channels == nil || len(*p.Channels) != 1 {
		t.Fatalf("channels = %v", p.Channels)
	}

	t.Run("most specific scope wins", func(t *testing.T) {
		de := resolved(t, w.c, p.Id, web.LdID, "DE", nil)
		if amountOf(de) != "11.50" || de.ResolvedPrice.MustGet().Currency != "EUR" {
			t.Fatalf("DE = %s", amountOf(de))
		}
		fr := resolved(t, w.c, p.Id, web.LdID, "/rest/api/countries/FR", nil)
		if amountOf(fr) != "12.00" {
			t.Fatalf("FR = %s", amountOf(fr))
		}
		us := resolved(t, w.c, p.Id, usd.LdID, "US", nil)
		if amountOf(us) != "13.00" {
			t.Fatalf("US = %s", amountOf(us))
		}
	})
	var priceIRI string
	t.Run("a change keeps history", func(t *testing.T) {
		before := time.Now().UTC()
		v := resolved(t, w.c, p.Id, web.LdID, "DE", nil)
		priceIRI = v.ResolvedPrice.MustGet().Price
		time.Sleep(20 * time.Millisecond)
		resp, err := w.c.UpdatePriceWithBodyWithResponse(ctx, idOf(priceIRI), nil, "application/merge-patch+json", strings.NewReader(`{"amount":"9.99"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if resp.ApplicationldJSON200.Amount != "9.99" || resp.ApplicationldJSON200.LdID != priceIRI {
			t.Fatalf("changed = %s", resp.Body)
		}
		now := resolved(t, w.c, p.Id, web.LdID, "DE", nil)
		if amountOf(now) != "9.99" || lowestOf(now) != "11.50" {
			t.Fatalf("now = %s, lowest %s", amountOf(now), lowestOf(now))
		}
		then := resolved(t, w.c, p.Id, web.LdID, "DE", &before)
		if amountOf(then) != "11.50" {
			t.Fatalf("before the change = %s", amountOf(then))
		}
	})
	t.Run("ending a price", func(t *testing.T) {
		resp, err := w.c.DeletePriceWithResponse(ctx, idOf(priceIRI), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 204)
		now := resolved(t, w.c, p.Id, web.LdID, "DE", nil)
		if amountOf(now) != "12.00" {
			t.Fatalf("after ending the DE price = %s", amountOf(now))
		}
		again, err := w.c.DeletePriceWithResponse(ctx, idOf(priceIRI), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, again, 409, "")
	})
	t.Run("lists", func(t *testing.T) {
		resp, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{Channel: &usd.LdID})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if *resp.ApplicationldJSON200.TotalItems != 0 {
			t.Fatal("the product is not in the USD channel")
		}
		resp, err = w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{Channel: &web.LdID, Expand: ptr("variants,channels"),
			ResolveContextChannel: &web.LdID, ResolveContextCountry: ptr("DE")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		v, _ := resp.ApplicationldJSON200.Member[0].Variants[0].AsVariant()
		ch, err := (*resp.ApplicationldJSON200.Member[0].Channels)[0].AsChannel()
		if amountOf(v) != "12.00" || err != nil || ch.Code != "web-eu" {
			t.Fatalf("list = %s", resp.Body)
		}
	})
	t.Run("other tenants see nothing", func(t *testing.T) {
		other := w.id.Partner("Other")
		otherOrg := other.Org(t, "Other")
		other.Instance(t, otherOrg, "other-tea")
		c := w.pm.Client(other, "other-tea", otherOrg)
		v, _ := p.Variants[0].AsIri()
		calls := map[string]func() (interface{ StatusCode() int }, error){
			"get channel":    func() (interface{ StatusCode() int }, error) { return c.GetChannelWithResponse(ctx, web.Id, nil) },
			"delete channel": func() (interface{ StatusCode() int }, error) { return c.DeleteChannelWithResponse(ctx, web.Id, nil) },
			"patch channel": func() (interface{ StatusCode() int }, error) {
				return c.UpdateChannelWithBodyWithResponse(ctx, web.Id, nil, "application/merge-patch+json", strings.NewReader(`{"name":"x"}`))
			},
			"get price": func() (interface{ StatusCode() int }, error) { return c.GetPriceWithResponse(ctx, idOf(priceIRI), nil) },
			"patch price": func() (interface{ StatusCode() int }, error) {
				return c.UpdatePriceWithBodyWithResponse(ctx, idOf(priceIRI), nil, "application/merge-patch+json", strings.NewReader(`{"amount":"1"}`))
			},
			"end price": func() (interface{ StatusCode() int }, error) {
				return c.DeletePriceWithResponse(ctx, idOf(priceIRI), nil)
			},
			"list variant prices": func() (interface{ StatusCode() int }, error) {
				return c.ListVariantPricesWithResponse(ctx, idOf(v), nil)
			},
			"set variant price": func() (interface{ StatusCode() int }, error) {
				return c.CreateVariantPriceWithResponse(ctx, idOf(v), nil, pm.VariantPriceCreate{Currency: "EUR", Amount: "1"})
			},
		}
		for name, call := range calls {
			resp, err := call()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != 404 {
				t.Errorf("%s: %d, want 404", name, resp.StatusCode())
			}
		}
		list, err := c.ListPricesWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if list.ApplicationldJSON200.TotalItems != 0 {
			t.Error("another tenant lists our prices")
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			params pm.GetProductParams
			path   string
		}{
			{"channel without country", pm.GetProductParams{ResolveContextChannel: &web.LdID}, "query.resolveContext[country]"},
			{"country without channel", pm.GetProductParams{ResolveContextCountry: ptr("DE")}, "query.resolveContext[channel]"},
			{"unknown channel", pm.GetProductParams{ResolveContextChannel: ptr("/rest/api/channels/0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"), ResolveContextCountry: ptr("DE")}, "query.resolveContext[channel]"},
			{"unknown country", pm.GetProductParams{ResolveContextChannel: &web.LdID, ResolveContextCountry: ptr("XX")}, "query.resolveContext[country]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := w.c.GetProductWithResponse(ctx, p.Id, &tc.params)
				if err != nil {
					t.Fatal(err)
				}
				expectProblem(t, resp, 400, tc.path)
			})
		}
		v, _ := p.Variants[0].AsIri()
		for _, tc := range []struct {
			name string
			body pm.VariantPriceCreate
			path string
		}{
			{"three decimals in EUR", pm.VariantPriceCreate{Currency: "EUR", Amount: "1.999"}, "amount"},
			{"negative", pm.VariantPriceCreate{Currency: "EUR", Amount: "-1"}, "amount"},
			{"unknown currency", pm.VariantPriceCreate{Currency: "EUX", Amount: "1"}, "currency"},
			{"currency not the channel's", pm.VariantPriceCreate{Currency: "EUR", Amount: "1", Channel: some(usd.LdID)}, "currency"},
			{"until before from", pm.VariantPriceCreate{Currency: "EUR", Amount: "1", ValidFrom: nullable.NewNullableWithValue(time.Now()), ValidUntil: nullable.NewNullableWithValue(time.Now().Add(-time.Hour))}, "validUntil"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				resp, err := w.c.CreateVariantPriceWithResponse(ctx, idOf(v), nil, tc.body)
				if err != nil {
					t.Fatal(err)
				}
				expectProblem(t, resp, 422, tc.path)
			})
		}
		del, err := w.c.DeleteChannelWithResponse(ctx, web.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, del, 409, "")
	})
}

// TestResolvedReadsCostAFixedNumberOfQueries: resolving prices adds the same statements whatever
// the number of products and variants on the page: the price history is in the products'
// documents, and the channel is read in the same round trip.
func TestResolvedReadsCostAFixedNumberOfQueries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	web := w.channel(t, "web", "EUR")
	var first pm.Id
	for i := range 8 {
		p := tshirt(fmt.Sprint("R", i), 1+i%6)
		for j := range *p.Variants {
			(*p.Variants)[j].Prices = &[]pm.VariantPriceCreate{{Currency: "EUR", Amount: "10"}, {Currency: "EUR", Amount: "9", Channel: some(web.LdID)}}
		}
		if created := w.create(t, w.c, p); i == 0 {
			first = created.Id
		}
	}
	list := func(n int) int64 {
		params := &pm.ListProductsParams{ItemsPerPage: ptr(n), Expand: ptr("variants"), ResolveContextChannel: &web.LdID, ResolveContextCountry: ptr("NL")}
		statements, _ := w.pm.Queries.Fewest(3, func() {
			resp, err := w.c.ListProductsWithResponse(ctx, params)
			if err != nil || resp.StatusCode() != 200 {
				t.Fatal(err)
			}
			v, _ := resp.ApplicationldJSON200.Member[0].Variants[0].AsVariant()
			if amountOf(v) != "9.00" {
				t.Fatalf("resolved = %s", amountOf(v))
			}
		})
		return statements
	}
	item := func(resolve bool) int64 {
		params := &pm.GetProductParams{Expand: ptr("variants,options,optionValues")}
		if resolve {
			params.ResolveContextChannel, params.ResolveContextCountry = &web.LdID, ptr("NL")
		}
		_, trips := w.pm.Queries.Fewest(3, func() {
			resp, err := w.c.GetProductWithResponse(ctx, first, params)
			if err != nil || resp.StatusCode() != 200 {
				t.Fatalf("read: %v %s", err, body(resp))
			}
			if v, _ := resp.ApplicationldJSON200.Variants[0].AsVariant(); resolve && amountOf(v) != "9.00" {
				t.Fatalf("resolved = %s", amountOf(v))
			}
		})
		return trips
	}
	// The product's document holds its price history; the resolution's channel travels with it:
	// one round trip either way.
	if plain, resolved := item(false), item(true); plain != 1 || resolved != 1 {
		t.Fatalf("item read: %d round trips unresolved, %d resolved; want 1 and 1", plain, resolved)
	}
	if two, eight := list(2), list(8); two != eight {
		t.Fatalf("resolved list: %d statements for 2 products, %d for 8", two, eight)
	} else {
		t.Logf("resolved list page: %d statements", two)
	}
}

// priceRequest sets a price of variant (an IRI) through POST /rest/api/prices.
func priceRequest(t *testing.T, w *world, variant string, p pm.VariantPriceCreate) *pm.CreatePriceResponse {
	t.Helper()
	resp, err := w.c.CreatePriceWithResponse(context.Background(), nil, pm.PriceCreate{Variant: variant, Channel: p.Channel, Country: p.Country,
		Currency: p.Currency, Amount: p.Amount, CompareAtAmount: p.CompareAtAmount, ValidFrom: p.ValidFrom, ValidUntil: p.ValidUntil})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func patchPrice(t *testing.T, w *world, iri, body string) *pm.UpdatePriceResponse {
	t.Helper()
	resp, err := w.c.UpdatePriceWithBodyWithResponse(context.Background(), idOf(iri), nil, "application/merge-patch+json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestPricesDuplicateScope: a variant has at most one price per slot (channel, country, currency,
// dated or not) at any moment. A second one over an overlapping validity is a 409 naming the
// first, on create and on a PATCH that moves validUntil later; within one request body it is a 422
// at the later price. Prices that follow one another, and undated beside dated, are fine.
func TestPricesDuplicateScope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	web := w.channel(t, "web", "EUR", "DE", "FR")
	p := w.create(t, w.c, tshirt("DUP", 2))
	variant, _ := p.Variants[0].AsIri()
	from := func(days int) nullable.Nullable[time.Time] {
		return nullable.NewNullableWithValue(time.Now().UTC().Add(time.Duration(days) * 24 * time.Hour))
	}
	set := func(t *testing.T, in pm.VariantPriceCreate) *pm.CreateVariantPriceResponse {
		t.Helper()
		resp, err := w.c.CreateVariantPriceWithResponse(ctx, idOf(variant), nil, in)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	created := func(t *testing.T, in pm.VariantPriceCreate) string {
		t.Helper()
		resp := set(t, in)
		expectStatus(t, resp, 201)
		return resp.ApplicationldJSON201.LdID
	}
	eur := func(amount string) pm.VariantPriceCreate {
		return pm.VariantPriceCreate{Currency: "EUR", Amount: amount, Channel: some(web.LdID), Country: some("DE")}
	}
	dated := func(amount string, fromDay, untilDay int) pm.VariantPriceCreate {
		in := eur(amount)
		in.ValidFrom = from(fromDay)
		if untilDay != 0 {
			in.ValidUntil = from(untilDay)
		}
		return in
	}

	base := created(t, eur("20.00"))
	t.Run("the same undated scope again", func(t *testing.T) {
		expectConflict(t, set(t, eur("19.00")), base, "undated")
		expectConflict(t, priceRequest(t, w, variant, eur("19.00")), base)
	})
	t.Run("other scopes are other slots", func(t *testing.T) {
		fr := eur("21.00")
		fr.Country = some("FR")
		created(t, fr)
		everywhere := eur("22.00")
		everywhere.Country = nullable.Nullable[string]{}
		created(t, everywhere)
		anyChannel := eur("23.00")
		anyChannel.Channel = nullable.Nullable[string]{}
		created(t, anyChannel)
		other, _ := p.Variants[1].AsIri()
		expectStatus(t, priceRequest(t, w, other, eur("20.00")), 201)
	})
	var first, second string
	t.Run("dated prices beside the undated one, one after another", func(t *testing.T) {
		first = created(t, dated("15.00", 1, 5))
		second = created(t, dated("14.00", 5, 9)) // starts where the first ends
	})
	t.Run("a dated price overlapping a dated one", func(t *testing.T) {
		expectConflict(t, set(t, dated("13.00", 4, 6)), first, "dated")
		expectConflict(t, set(t, dated("13.00", 8, 0)), second)
		expectConflict(t, priceRequest(t, w, variant, dated("13.00", 0, 2)), first)
	})
	t.Run("a PATCH that moves validUntil into the next price", func(t *testing.T) {
		later := from(6).MustGet().Format(time.RFC3339Nano)
		expectConflict(t, patchPrice(t, w, first, `{"validUntil":"`+later+`"}`), second)
		expectConflict(t, patchPrice(t, w, first, `{"validUntil":null}`), second)
		earlier := from(4).MustGet().Format(time.RFC3339Nano)
		expectStatus(t, patchPrice(t, w, first, `{"validUntil":"`+earlier+`"}`), 200)
		expectStatus(t, patchPrice(t, w, second, `{"validUntil":null}`), 200) // nothing after it
		expectStatus(t, patchPrice(t, w, first, `{"amount":"15.50"}`), 200)
	})
	t.Run("an ended price leaves its slot", func(t *testing.T) {
		del, err := w.c.DeletePriceWithResponse(ctx, idOf(base), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		created(t, eur("18.00"))
	})
	t.Run("two prices of one request body", func(t *testing.T) {
		body := tshirt("DUP-BODY", 1)
		(*body.Variants)[0].Prices = &[]pm.VariantPriceCreate{{Currency: "EUR", Amount: "1"}, {Currency: "EUR", Amount: "2", Country: some("DE")}, {Currency: "EUR", Amount: "3"}}
		resp, err := w.c.CreateProductWithResponse(ctx, nil, body)
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, resp, 422, "variants[0].prices[2]")
		if len(*pr.Violations) != 1 || !strings.Contains((*pr.Violations)[0].Message, "variants[0].prices[0]") {
			t.Fatalf("violations = %s", resp.Body)
		}
		plain := w.create(t, w.c, pm.ProductCreate{Title: some("Plain")})
		v, err := w.c.CreateProductVariantWithResponse(ctx, plain.Id, nil, pm.VariantCreate{Sku: "DUP-NEW",
			Prices: &[]pm.VariantPriceCreate{dated("1", 1, 3), dated("2", 2, 4)}})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, v, 422, "prices[1]")
	})
}

// TestPricesDuplicateScopeConcurrently: creates of one slot racing each other make one price; the
// others are told which.
func TestPricesDuplicateScopeConcurrently(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.create(t, w.c, tshirt("RACE", 1))
	variant, _ := p.Variants[0].AsIri()
	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := w.c.CreatePriceWithResponse(context.Background(), nil, pm.PriceCreate{Variant: variant, Currency: "EUR", Amount: "9.99"})
			if err != nil {
				t.Error(err)
				return
			}
			statuses <- resp.StatusCode()
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses = %v, want one 201 and %d 409", count, n-1)
	}
	list, err := w.c.ListVariantPricesWithResponse(context.Background(), idOf(variant), nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, list, 200)
	if list.ApplicationldJSON200.TotalItems != 1 {
		t.Fatalf("%d prices, want 1", list.ApplicationldJSON200.TotalItems)
	}
}

// jsonMembers returns the raw JSON of the named members of a document, as sent.
func jsonMembers(t *testing.T, doc []byte, names ...string) map[string]string {
	t.Helper()
	var all map[string]json.RawMessage
	if err := json.Unmarshal(doc, &all); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range names {
		out[n] = string(all[n])
	}
	return out
}

// TestPriceTimestamps: createdAt is when the price was set and stays; updatedAt moves with each
// change; a write's response shows the times every later read returns, byte for byte (stored
// precision: microseconds), even for a validFrom sent with nanoseconds.
func TestPriceTimestamps(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("TIME", 1))
	variant, _ := p.Variants[0].AsIri()
	get := func(t *testing.T, iri string) *pm.GetPriceResponse {
		t.Helper()
		resp, err := w.c.GetPriceWithResponse(ctx, idOf(iri), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		return resp
	}
	members := []string{"createdAt", "updatedAt", "validFrom", "validUntil"}
	nanos := time.Date(2031, 5, 17, 8, 30, 15, 123456789, time.UTC)
	for name, in := range map[string]pm.VariantPriceCreate{
		"undated": {Currency: "EUR", Amount: "5"},
		"dated, times with nanoseconds": {Currency: "USD", Amount: "5", ValidFrom: nullable.NewNullableWithValue(nanos),
			ValidUntil: nullable.NewNullableWithValue(nanos.Add(time.Hour))},
	} {
		t.Run(name, func(t *testing.T) {
			created := priceRequest(t, w, variant, in)
			expectStatus(t, created, 201)
			c := created.ApplicationldJSON201
			read := get(t, c.LdID)
			if got, want := jsonMembers(t, created.Body, members...), jsonMembers(t, read.Body, members...); !maps.Equal(got, want) {
				t.Fatalf("created %v, read %v", got, want)
			}
			if !c.UpdatedAt.Equal(c.CreatedAt) || c.CreatedAt.Nanosecond()%1000 != 0 {
				t.Fatalf("createdAt %v, updatedAt %v", c.CreatedAt, c.UpdatedAt)
			}
			if in.ValidFrom.IsSpecified() && !c.ValidFrom.MustGet().Equal(nanos.Truncate(time.Microsecond)) {
				t.Fatalf("validFrom = %v", c.ValidFrom.MustGet())
			}

			time.Sleep(5 * time.Millisecond)
			changed := patchPrice(t, w, c.LdID, `{"amount":"6"}`)
			expectStatus(t, changed, 200)
			ch := changed.ApplicationldJSON200
			if !ch.CreatedAt.Equal(c.CreatedAt) || !ch.UpdatedAt.After(c.CreatedAt) {
				t.Fatalf("after a PATCH: createdAt %v (was %v), updatedAt %v", ch.CreatedAt, c.CreatedAt, ch.UpdatedAt)
			}
			if got, want := jsonMembers(t, changed.Body, members...), jsonMembers(t, get(t, c.LdID).Body, members...); !maps.Equal(got, want) {
				t.Fatalf("patched %v, read %v", got, want)
			}
			if got, want := jsonMembers(t, changed.Body, "validFrom"), jsonMembers(t, created.Body, "validFrom"); in.ValidFrom.IsSpecified() && !maps.Equal(got, want) {
				t.Fatalf("a scheduled price's validFrom moved: %v -> %v", want, got)
			}

			time.Sleep(5 * time.Millisecond)
			del, err := w.c.DeletePriceWithResponse(ctx, idOf(c.LdID), nil)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, del, 204)
			ended := get(t, c.LdID).ApplicationldJSON200
			if !ended.CreatedAt.Equal(c.CreatedAt) || !ended.UpdatedAt.After(ch.UpdatedAt) || !ended.ValidUntil.IsSpecified() || ended.ValidUntil.IsNull() {
				t.Fatalf("after a DELETE: createdAt %v, updatedAt %v (was %v), validUntil %v", ended.CreatedAt, ended.UpdatedAt, ch.UpdatedAt, ended.ValidUntil)
			}
		})
	}
}

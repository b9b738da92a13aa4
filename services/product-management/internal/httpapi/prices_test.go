package httpapi_test

import (
	"context"
	"fmt"
	"strings"
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
// the number of products and variants on the page.
func TestResolvedReadsCostAFixedNumberOfQueries(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	web := w.channel(t, "web", "EUR")
	for i := range 8 {
		p := tshirt(fmt.Sprint("R", i), 1+i%6)
		for j := range *p.Variants {
			(*p.Variants)[j].Prices = &[]pm.VariantPriceCreate{{Currency: "EUR", Amount: "10"}, {Currency: "EUR", Amount: "9", Channel: some(web.LdID)}}
		}
		w.create(t, w.c, p)
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
	if two, eight := list(2), list(8); two != eight {
		t.Fatalf("resolved list: %d statements for 2 products, %d for 8", two, eight)
	} else {
		t.Logf("resolved list page: %d statements", two)
	}
}

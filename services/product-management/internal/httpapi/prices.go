package httpapi

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/iso"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

func channelIRI(id uuid.UUID) string { return "/rest/api/channels/" + id.String() }
func countryIRI(code string) string  { return "/rest/api/countries/" + code }
func priceIRI(id uuid.UUID) string   { return "/rest/api/prices/" + id.String() }

// resolution reads resolveContext: channel and country together, at defaulting to now.
func resolution(channel, country *string, at *time.Time) (*catalog.Resolution, error) {
	if channel == nil && country == nil {
		return nil, nil
	}
	var vs []fault.Violation
	add := func(name, code, msg string) {
		vs = append(vs, fault.Violation{Path: "query.resolveContext[" + name + "]", Code: code, Message: msg})
	}
	r := &catalog.Resolution{At: time.Now().UTC()}
	if at != nil {
		r.At = at.UTC()
	}
	switch {
	case channel == nil:
		add("channel", "required", "resolveContext[channel] and resolveContext[country] go together")
	default:
		id, ok := catalog.ParseIRI(*channel, "/rest/api/channels/")
		if !ok {
			add("channel", "invalid_channel", "a channel IRI, /rest/api/channels/{id}")
		}
		r.Channel = id
	}
	switch {
	case country == nil:
		add("country", "required", "resolveContext[channel] and resolveContext[country] go together")
	default:
		code, ok := catalog.CountryCode(*country)
		if !ok {
			add("country", "invalid_country", "a country IRI or ISO 3166-1 code")
		}
		r.Country = code
	}
	if len(vs) > 0 {
		return nil, &fault.Error{Kind: fault.KindBadRequest, Violations: vs}
	}
	return r, nil
}

func amount(minor int64, currency string) string {
	c, _ := iso.CurrencyByCode(currency)
	return price.FormatAmount(minor, c.MinorUnits)
}

func timeOrNull(t time.Time) nullable.Nullable[time.Time] {
	if t.IsZero() {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t)
}

// priceFields adds the variant's resolved and lowest prices when the read had a context.
func priceFields(out *api.Variant, v catalog.Variant) {
	if !v.Priced {
		return
	}
	out.ResolvedPrice = nullable.NewNullNullable[api.ResolvedPrice]()
	out.LowestPriceLast30Days = nullable.NewNullNullable[api.LowestPrice]()
	if r := v.Resolved; r != nil {
		rp := api.ResolvedPrice{Amount: amount(r.Amount, r.Currency), Currency: r.Currency, Price: priceIRI(r.ID),
			CompareAtAmount: nullable.NewNullNullable[string](), ValidUntil: timeOrNull(r.End), ValidFrom: nullable.NewNullNullable[time.Time]()}
		if r.CompareAt != nil {
			rp.CompareAtAmount = nullable.NewNullableWithValue(amount(*r.CompareAt, r.Currency))
		}
		if r.Dated {
			rp.ValidFrom = nullable.NewNullableWithValue(r.Start)
		}
		out.ResolvedPrice = nullable.NewNullableWithValue(rp)
		if v.Lowest != nil {
			out.LowestPriceLast30Days = nullable.NewNullableWithValue(api.LowestPrice{Amount: amount(*v.Lowest, r.Currency), Currency: r.Currency})
		}
	}
}

func renderPrice(r price.Row, top bool) api.Price {
	out := api.Price{LdID: priceIRI(r.ID), LdType: "Price", Id: r.ID, Variant: variantIRI(r.VariantID), Currency: r.Currency,
		Amount: amount(r.Amount, r.Currency), CreatedAt: r.Start, Channel: nullable.NewNullNullable[string](),
		Country: nullable.NewNullNullable[string](), CompareAtAmount: nullable.NewNullNullable[string](),
		ValidFrom: nullable.NewNullNullable[time.Time](), ValidUntil: timeOrNull(r.End)}
	if top {
		out.LdContext = contextOf("Price")
	}
	if r.ChannelID != nil {
		out.Channel = nullable.NewNullableWithValue(channelIRI(*r.ChannelID))
	}
	if r.Country != "" {
		out.Country = nullable.NewNullableWithValue(countryIRI(r.Country))
	}
	if r.CompareAt != nil {
		out.CompareAtAmount = nullable.NewNullableWithValue(amount(*r.CompareAt, r.Currency))
	}
	if r.Dated {
		out.ValidFrom = nullable.NewNullableWithValue(r.Start)
	}
	return out
}

func renderChannel(c catalog.Channel, top bool) api.Channel {
	out := api.Channel{LdID: channelIRI(c.ID), LdType: "Channel", Id: c.ID, Code: c.Code, Name: c.Name, Currency: c.Currency,
		Countries: make([]api.Iri, len(c.Countries)), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if top {
		out.LdContext = contextOf("Channel")
	}
	for i, code := range c.Countries {
		out.Countries[i] = countryIRI(code)
	}
	return out
}

func renderCountry(c iso.Country, top bool) api.Country {
	out := api.Country{LdID: countryIRI(c.Code), LdType: "Country", Code: c.Code, Name: c.Name}
	if top {
		out.LdContext = contextOf("Country")
	}
	return out
}

func priceInput(b api.VariantPriceCreate) catalog.PriceInput {
	in := catalog.PriceInput{Channel: ptr(b.Channel), Country: ptr(b.Country), Currency: b.Currency, Amount: b.Amount, CompareAt: ptr(b.CompareAtAmount)}
	if b.ValidFrom.IsSpecified() && !b.ValidFrom.IsNull() {
		t := b.ValidFrom.MustGet()
		in.ValidFrom = &t
	}
	if b.ValidUntil.IsSpecified() && !b.ValidUntil.IsNull() {
		t := b.ValidUntil.MustGet()
		in.ValidUntil = &t
	}
	return in
}

// ---- countries ----

func (s *Server) ListCountries(ctx context.Context, _ api.ListCountriesRequestObject) (api.ListCountriesResponseObject, error) {
	if _, err := authorize(ctx, permRead); err != nil {
		return nil, err
	}
	out := api.ListCountries200ApplicationLdPlusJSONResponse{LdContext: contextOf("Country"), LdID: "/rest/api/countries", LdType: "Collection"}
	for _, c := range iso.Countries() {
		out.Member = append(out.Member, renderCountry(c, false))
	}
	out.TotalItems = len(out.Member)
	return out, nil
}

func (s *Server) GetCountry(ctx context.Context, req api.GetCountryRequestObject) (api.GetCountryResponseObject, error) {
	if _, err := authorize(ctx, permRead); err != nil {
		return nil, err
	}
	c, ok := iso.CountryByCode(strings.ToUpper(req.Code))
	if !ok {
		return nil, fault.NotFound("no such country")
	}
	return api.GetCountry200ApplicationLdPlusJSONResponse(renderCountry(c, true)), nil
}

// ---- channels ----

func (s *Server) ListChannels(ctx context.Context, _ api.ListChannelsRequestObject) (api.ListChannelsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	list, err := s.Catalog.Store().Channels(ctx, t.InstanceID)
	if err != nil {
		return nil, err
	}
	out := api.ListChannels200ApplicationLdPlusJSONResponse{LdContext: contextOf("Channel"), LdID: "/rest/api/channels", LdType: "Collection", Member: []api.Channel{}, TotalItems: len(list)}
	for _, c := range list {
		out.Member = append(out.Member, renderChannel(c, false))
	}
	return out, nil
}

func (s *Server) channel(ctx context.Context, instance, id uuid.UUID) (catalog.Channel, error) {
	list, err := s.Catalog.Store().ChannelsByID(ctx, instance, []uuid.UUID{id})
	return first(list, err, "no such channel")
}

func (s *Server) GetChannel(ctx context.Context, req api.GetChannelRequestObject) (api.GetChannelResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	c, err := s.channel(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetChannel200ApplicationLdPlusJSONResponse(renderChannel(c, true)), nil
}

func (s *Server) CreateChannel(ctx context.Context, req api.CreateChannelRequestObject) (api.CreateChannelResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	c, err := catalog.NewChannel(catalog.ChannelInput{Code: &b.Code, Name: &b.Name, Currency: &b.Currency, Countries: b.Countries})
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().CreateChannel(ctx, t.InstanceID, c); err != nil {
		return nil, err
	}
	c, err = s.channel(ctx, t.InstanceID, c.ID)
	if err != nil {
		return nil, err
	}
	iri := channelIRI(c.ID)
	return api.CreateChannel201ApplicationLdPlusJSONResponse{Body: renderChannel(c, true), Headers: api.CreateChannel201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateChannel(ctx context.Context, req api.UpdateChannelRequestObject) (api.UpdateChannelResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	c, err := s.channel(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	if c, err = catalog.ApplyChannel(c, catalog.ChannelInput{Name: req.Body.Name, Countries: req.Body.Countries}); err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().UpdateChannel(ctx, t.InstanceID, c); err != nil {
		return nil, err
	}
	if c, err = s.channel(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.UpdateChannel200ApplicationLdPlusJSONResponse(renderChannel(c, true)), nil
}

func (s *Server) DeleteChannel(ctx context.Context, req api.DeleteChannelRequestObject) (api.DeleteChannelResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteChannel(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteChannel204Response{}, nil
}

// ---- prices ----

func (s *Server) listPrices(ctx context.Context, variant *uuid.UUID, pageP, perP *int, path string) (api.PriceCollection, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return api.PriceCollection{}, err
	}
	page, per := pageOf(pageP, perP)
	rows, total, err := s.Catalog.Store().CurrentPrices(ctx, t.InstanceID, variant, page, per)
	if err != nil {
		return api.PriceCollection{}, err
	}
	view := pageView(path, requestQuery(ctx), page, per, total)
	out := api.PriceCollection{LdContext: contextOf("Price"), LdID: path, LdType: "Collection", TotalItems: total, Member: []api.Price{}, View: &view}
	for _, r := range rows {
		out.Member = append(out.Member, renderPrice(r, false))
	}
	return out, nil
}

func (s *Server) ListPrices(ctx context.Context, req api.ListPricesRequestObject) (api.ListPricesResponseObject, error) {
	var variant *uuid.UUID
	if req.Params.Variant != nil {
		id, ok := catalog.ParseIRI(*req.Params.Variant, "/rest/api/variants/")
		if !ok {
			return nil, badQuery("variant", "a variant IRI or id")
		}
		variant = &id
	}
	out, err := s.listPrices(ctx, variant, req.Params.Page, req.Params.ItemsPerPage, "/rest/api/prices")
	if err != nil {
		return nil, err
	}
	return api.ListPrices200ApplicationLdPlusJSONResponse(out), nil
}

func (s *Server) ListVariantPrices(ctx context.Context, req api.ListVariantPricesRequestObject) (api.ListVariantPricesResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	if _, err := s.Catalog.Store().VariantProduct(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	id := req.Id
	out, err := s.listPrices(ctx, &id, nil, ptrInt(100), variantIRI(req.Id)+"/prices")
	if err != nil {
		return nil, err
	}
	return api.ListVariantPrices200ApplicationLdPlusJSONResponse(out), nil
}

func ptrInt(i int) *int { return &i }

func (s *Server) createPrice(ctx context.Context, in catalog.PriceInput) (price.Row, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return price.Row{}, err
	}
	return s.Catalog.CreatePrice(ctx, t.InstanceID, in)
}

func (s *Server) CreatePrice(ctx context.Context, req api.CreatePriceRequestObject) (api.CreatePriceResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	variant, ok := catalog.ParseIRI(b.Variant, "/rest/api/variants/")
	if !ok {
		return nil, fault.Invalid("variant", "unknown_variant", "a variant IRI, /rest/api/variants/{id}")
	}
	in := priceInput(api.VariantPriceCreate{Channel: b.Channel, Country: b.Country, Currency: b.Currency, Amount: b.Amount,
		CompareAtAmount: b.CompareAtAmount, ValidFrom: b.ValidFrom, ValidUntil: b.ValidUntil})
	in.Variant = variant
	r, err := s.createPrice(ctx, in)
	if err != nil {
		return nil, err
	}
	iri := priceIRI(r.ID)
	return api.CreatePrice201ApplicationLdPlusJSONResponse{Body: renderPrice(r, true), Headers: api.CreatePrice201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) CreateVariantPrice(ctx context.Context, req api.CreateVariantPriceRequestObject) (api.CreateVariantPriceResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	in := priceInput(*b)
	in.Variant = req.Id
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if _, err := s.Catalog.Store().VariantProduct(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err // an unknown variant in the path is a 404
	}
	r, err := s.createPrice(ctx, in)
	if err != nil {
		return nil, err
	}
	iri := priceIRI(r.ID)
	return api.CreateVariantPrice201ApplicationLdPlusJSONResponse{Body: renderPrice(r, true), Headers: api.CreateVariantPrice201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) GetPrice(ctx context.Context, req api.GetPriceRequestObject) (api.GetPriceResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	r, err := s.Catalog.Store().Price(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetPrice200ApplicationLdPlusJSONResponse(renderPrice(r, true)), nil
}

func (s *Server) UpdatePrice(ctx context.Context, req api.UpdatePriceRequestObject) (api.UpdatePriceResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c := catalog.PriceChange{Amount: b.Amount}
	if b.CompareAtAmount.IsSpecified() {
		if b.CompareAtAmount.IsNull() {
			c.ClearCompareAt = true
		} else {
			v := b.CompareAtAmount.MustGet()
			c.CompareAt = &v
		}
	}
	if b.ValidUntil.IsSpecified() {
		if b.ValidUntil.IsNull() {
			c.ClearUntil = true
		} else {
			v := b.ValidUntil.MustGet()
			c.ValidUntil = &v
		}
	}
	r, err := s.Catalog.ChangePrice(ctx, t.InstanceID, req.Id, c)
	if err != nil {
		return nil, err
	}
	return api.UpdatePrice200ApplicationLdPlusJSONResponse(renderPrice(r, true)), nil
}

func (s *Server) DeletePrice(ctx context.Context, req api.DeletePriceRequestObject) (api.DeletePriceResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.EndPrice(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeletePrice204Response{}, nil
}

package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

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
		id, ok := iri.Channels.Parse(*channel)
		if !ok {
			add("channel", "invalid_channel", "a channel IRI, "+iri.Channels.Path()+"/{id}")
		}
		r.Channel = id
	}
	switch {
	case country == nil:
		add("country", "required", "resolveContext[channel] and resolveContext[country] go together")
	default:
		code, ok := catalog.CountryCode(iri.Countries.Code(*country))
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

func priceInput(b api.VariantPriceCreate, r *refReader) catalog.PriceInput {
	in := catalog.PriceInput{Currency: b.Currency, Amount: b.Amount, CompareAt: optional(b.CompareAtAmount),
		ValidFrom: optionalTime(b.ValidFrom), ValidUntil: optionalTime(b.ValidUntil)}
	if c := optional(b.Channel); c != nil {
		id := r.of(iri.Channels)(*c)
		in.Channel = &id
	}
	if c := optional(b.Country); c != nil {
		code := iri.Countries.Code(*c)
		in.Country = &code
	}
	return in
}

// priceCollection renders a page of prices as the collection at path.
func priceCollection(ctx context.Context, rows []price.Row, total, page, per int, path string) api.PriceCollection {
	view := pageView(path, requestQuery(ctx), page, per, total)
	out := api.PriceCollection{LdContext: render.Context("Price"), LdID: path, LdType: hydraCollection, TotalItems: total, Member: members(rows, render.Price), View: &view}
	return out
}

func (s *Server) ListPrices(ctx context.Context, req api.ListPricesRequestObject) (api.ListPricesResponseObject, error) {
	var variant *uuid.UUID
	if req.Params.Variant != nil {
		id, ok := iri.Variants.Parse(*req.Params.Variant)
		if !ok {
			return nil, badQuery("variant", "a variant IRI or id")
		}
		variant = &id
	}
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	rows, total, err := s.Catalog.Prices(ctx, t.InstanceID, variant, page, per)
	if err != nil {
		return nil, err
	}
	return api.ListPrices200ApplicationLdPlusJSONResponse(priceCollection(ctx, rows, total, page, per, iri.Prices.Path())), nil
}

func (s *Server) ListVariantPrices(ctx context.Context, req api.ListVariantPricesRequestObject) (api.ListVariantPricesResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(nil, ptrInt(100))
	rows, total, err := s.Catalog.VariantPrices(ctx, t.InstanceID, req.Id, page, per)
	if err != nil {
		return nil, err
	}
	return api.ListVariantPrices200ApplicationLdPlusJSONResponse(priceCollection(ctx, rows, total, page, per, iri.Variants.Of(req.Id)+"/prices")), nil
}

func ptrInt(i int) *int { return &i }

func (s *Server) CreatePrice(ctx context.Context, req api.CreatePriceRequestObject) (api.CreatePriceResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	variant, ok := iri.Variants.Parse(b.Variant)
	if !ok {
		return nil, fault.Invalid("variant", "unknown_variant", "a variant IRI, "+iri.Variants.Path()+"/{id}")
	}
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	in, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.PriceInput {
		return priceInput(api.VariantPriceCreate{Channel: b.Channel, Country: b.Country, Currency: b.Currency, Amount: b.Amount,
			CompareAtAmount: b.CompareAtAmount, ValidFrom: b.ValidFrom, ValidUntil: b.ValidUntil}, r)
	})
	if err != nil {
		return nil, err
	}
	in.Variant = variant
	r, err := s.Catalog.CreatePrice(ctx, t.InstanceID, in)
	if err != nil {
		return nil, err
	}
	location := iri.Prices.Of(r.ID)
	return api.CreatePrice201ApplicationLdPlusJSONResponse{Body: render.Price(r, true), Headers: api.CreatePrice201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) CreateVariantPrice(ctx context.Context, req api.CreateVariantPriceRequestObject) (api.CreateVariantPriceResponseObject, error) {
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	in, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.PriceInput { return priceInput(*b, r) })
	if err != nil {
		return nil, err
	}
	in.Variant = req.Id
	r, err := s.Catalog.CreateVariantPrice(ctx, t.InstanceID, in)
	if err != nil {
		return nil, err
	}
	location := iri.Prices.Of(r.ID)
	return api.CreateVariantPrice201ApplicationLdPlusJSONResponse{Body: render.Price(r, true), Headers: api.CreateVariantPrice201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) GetPrice(ctx context.Context, req api.GetPriceRequestObject) (api.GetPriceResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	r, err := s.Catalog.Price(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetPrice200ApplicationLdPlusJSONResponse(render.Price(r, true)), nil
}

func (s *Server) UpdatePrice(ctx context.Context, req api.UpdatePriceRequestObject) (api.UpdatePriceResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b := req.Body
	r, err := s.Catalog.ChangePrice(ctx, t.InstanceID, req.Id, catalog.PriceChange{Amount: b.Amount, CompareAt: patch(b.CompareAtAmount), ValidUntil: patch(b.ValidUntil)})
	if err != nil {
		return nil, err
	}
	return api.UpdatePrice200ApplicationLdPlusJSONResponse(render.Price(r, true)), nil
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

package httpapi

import (
	"context"
	"strings"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/iso"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func renderCountry(c iso.Country, top bool) api.Country {
	out := api.Country{LdID: iri.Countries.OfCode(c.Code), LdType: "Country", Code: c.Code, Name: c.Name}
	if top {
		out.LdContext = render.Context("Country")
	}
	return out
}

// countryCodes reads countries given by IRI or code.
func countryCodes(list *[]string) *[]string {
	if list == nil {
		return nil
	}
	out := make([]string, len(*list))
	for i, c := range *list {
		out[i] = iri.Countries.Code(c)
	}
	return &out
}

func (s *Server) ListCountries(ctx context.Context, _ api.ListCountriesRequestObject) (api.ListCountriesResponseObject, error) {
	if _, err := authorize(ctx, permRead); err != nil {
		return nil, err
	}
	out := api.ListCountries200ApplicationLdPlusJSONResponse{LdContext: render.Context("Country"), LdID: iri.Countries.Path(), LdType: hydraCollection}
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

func (s *Server) ListChannels(ctx context.Context, _ api.ListChannelsRequestObject) (api.ListChannelsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	list, err := s.Catalog.Channels(ctx, t.InstanceID)
	if err != nil {
		return nil, err
	}
	out := api.ListChannels200ApplicationLdPlusJSONResponse{LdContext: render.Context("Channel"), LdID: iri.Channels.Path(), LdType: hydraCollection,
		Member: members(list, render.Channel), TotalItems: len(list)}
	return out, nil
}

func (s *Server) GetChannel(ctx context.Context, req api.GetChannelRequestObject) (api.GetChannelResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	c, err := s.Catalog.Channel(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetChannel200ApplicationLdPlusJSONResponse(render.Channel(c, true)), nil
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
	c, err := s.Catalog.CreateChannel(ctx, t.InstanceID, catalog.ChannelInput{Code: &b.Code, Name: &b.Name, Currency: &b.Currency, Countries: countryCodes(b.Countries)})
	if err != nil {
		return nil, err
	}
	location := iri.Channels.Of(c.ID)
	return api.CreateChannel201ApplicationLdPlusJSONResponse{Body: render.Channel(c, true), Headers: api.CreateChannel201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateChannel(ctx context.Context, req api.UpdateChannelRequestObject) (api.UpdateChannelResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	c, err := s.Catalog.UpdateChannel(ctx, t.InstanceID, req.Id, catalog.ChannelInput{Name: req.Body.Name, Countries: countryCodes(req.Body.Countries)})
	if err != nil {
		return nil, err
	}
	return api.UpdateChannel200ApplicationLdPlusJSONResponse(render.Channel(c, true)), nil
}

func (s *Server) DeleteChannel(ctx context.Context, req api.DeleteChannelRequestObject) (api.DeleteChannelResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteChannel(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteChannel204Response{}, nil
}

package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func (s *Server) ListLocales(ctx context.Context, _ api.ListLocalesRequestObject) (api.ListLocalesResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	list, err := s.Catalog.Locales(ctx, t.InstanceID)
	if err != nil {
		return nil, err
	}
	out := api.ListLocales200ApplicationLdPlusJSONResponse{LdContext: render.Context("Locale"), LdID: iri.Locales.Path(), LdType: hydraCollection,
		Member: members(list, render.Locale), TotalItems: len(list)}
	return out, nil
}

func (s *Server) GetLocale(ctx context.Context, req api.GetLocaleRequestObject) (api.GetLocaleResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	l, err := s.Catalog.Locale(ctx, t.InstanceID, req.Code)
	if err != nil {
		return nil, err
	}
	return api.GetLocale200ApplicationLdPlusJSONResponse(render.Locale(l, true)), nil
}

func (s *Server) CreateLocale(ctx context.Context, req api.CreateLocaleRequestObject) (api.CreateLocaleResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	l, err := s.Catalog.EnableLocale(ctx, t.InstanceID, body.Code, body.IsDefault != nil && *body.IsDefault)
	if err != nil {
		return nil, err
	}
	location := iri.Locales.OfCode(l.Code)
	return api.CreateLocale201ApplicationLdPlusJSONResponse{Body: render.Locale(l, true), Headers: api.CreateLocale201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateLocale(ctx context.Context, req api.UpdateLocaleRequestObject) (api.UpdateLocaleResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	l, err := s.Catalog.UpdateLocale(ctx, t.InstanceID, req.Code, req.Body.IsDefault)
	if err != nil {
		return nil, err
	}
	return api.UpdateLocale200ApplicationLdPlusJSONResponse(render.Locale(l, true)), nil
}

func (s *Server) DeleteLocale(ctx context.Context, req api.DeleteLocaleRequestObject) (api.DeleteLocaleResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DisableLocale(ctx, t.InstanceID, req.Code); err != nil {
		return nil, err
	}
	return api.DeleteLocale204Response{}, nil
}

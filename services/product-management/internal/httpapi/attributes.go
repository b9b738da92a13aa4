package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func valueInputs(in []api.AttributeValue, r *refReader) []catalog.AttributeValueInput {
	out := make([]catalog.AttributeValueInput, len(in))
	for i, v := range in {
		out[i] = catalog.AttributeValueInput{Attribute: r.of(iri.Attributes)(v.Attribute), Value: v.Value}
	}
	return out
}

func (s *Server) ListAttributes(ctx context.Context, req api.ListAttributesRequestObject) (api.ListAttributesResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Attributes(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.Attributes.Path(), requestQuery(ctx), page, per, total)
	out := api.ListAttributes200ApplicationLdPlusJSONResponse{LdContext: render.Context("Attribute"), LdID: iri.Attributes.Path(), LdType: hydraCollection,
		TotalItems: total, Member: members(list, render.Attribute), View: &view}
	return out, nil
}

func (s *Server) GetAttribute(ctx context.Context, req api.GetAttributeRequestObject) (api.GetAttributeResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	a, err := s.Catalog.Attribute(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetAttribute200ApplicationLdPlusJSONResponse(render.Attribute(a, true)), nil
}

func (s *Server) CreateAttribute(ctx context.Context, req api.CreateAttributeRequestObject) (api.CreateAttributeResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	typ := string(b.Type)
	a, err := s.Catalog.CreateAttribute(ctx, t.InstanceID, locale, catalog.AttributeChange{Code: &b.Code, Key: patch(b.Key), Name: patch(b.Name), Type: &typ, Options: b.Options, Required: b.Required})
	if err != nil {
		return nil, err
	}
	location := iri.Attributes.Of(a.ID)
	return api.CreateAttribute201ApplicationLdPlusJSONResponse{Body: render.Attribute(a, true), Headers: api.CreateAttribute201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateAttribute(ctx context.Context, req api.UpdateAttributeRequestObject) (api.UpdateAttributeResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b := req.Body
	a, err := s.Catalog.UpdateAttribute(ctx, t.InstanceID, req.Id, locale, catalog.AttributeChange{Key: patch(b.Key), Options: b.Options, Required: b.Required, Name: textPatch(b.Name)})
	if err != nil {
		return nil, err
	}
	return api.UpdateAttribute200ApplicationLdPlusJSONResponse(render.Attribute(a, true)), nil
}

func (s *Server) DeleteAttribute(ctx context.Context, req api.DeleteAttributeRequestObject) (api.DeleteAttributeResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteAttribute(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteAttribute204Response{}, nil
}

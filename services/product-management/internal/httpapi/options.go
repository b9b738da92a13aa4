package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

func (s *Server) CreateProductOption(ctx context.Context, req api.CreateProductOptionRequestObject) (api.CreateProductOptionResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	o, err := s.Catalog.AddOption(ctx, t.InstanceID, req.Id, locale, catalog.OptionInput{Name: b.Name, Values: b.Values})
	if err != nil {
		return nil, err
	}
	if o, err = s.findOption(ctx, t, o.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	iri := optionIRI(o.ID)
	return api.CreateProductOption201ApplicationLdPlusJSONResponse{Body: renderer{}.option(o, true), Headers: api.CreateProductOption201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) DeleteProductOption(ctx context.Context, req api.DeleteProductOptionRequestObject) (api.DeleteProductOptionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteOption(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteProductOption204Response{}, nil
}

func (s *Server) CreateOptionValue(ctx context.Context, req api.CreateOptionValueRequestObject) (api.CreateOptionValueResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	v, err := s.Catalog.AddOptionValue(ctx, t.InstanceID, req.Id, locale, b.Value, b.Position)
	if err != nil {
		return nil, err
	}
	if v, err = s.findValue(ctx, t, v.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	iri := optionValueIRI(v.ID)
	return api.CreateOptionValue201ApplicationLdPlusJSONResponse{Body: renderer{}.value(v, true), Headers: api.CreateOptionValue201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) DeleteOptionValue(ctx context.Context, req api.DeleteOptionValueRequestObject) (api.DeleteOptionValueResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteOptionValue(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteOptionValue204Response{}, nil
}

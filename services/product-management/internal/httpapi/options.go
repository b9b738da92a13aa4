package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func (s *Server) GetProductOption(ctx context.Context, req api.GetProductOptionRequestObject) (api.GetProductOptionResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	o, err := s.Catalog.Option(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	r := render.Of(catalog.View{Expand: expandOf(req.Params.Expand)})
	return api.GetProductOption200ApplicationLdPlusJSONResponse(r.Option(o, true)), nil
}

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
	location := iri.ProductOptions.Of(o.ID)
	return api.CreateProductOption201ApplicationLdPlusJSONResponse{Body: render.Of(catalog.View{}).Option(o, true),
		Headers: api.CreateProductOption201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateProductOption(ctx context.Context, req api.UpdateProductOptionRequestObject) (api.UpdateProductOptionResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	o, err := s.Catalog.UpdateOption(ctx, t.InstanceID, req.Id, locale, req.Body.Name, req.Body.Position)
	if err != nil {
		return nil, err
	}
	return api.UpdateProductOption200ApplicationLdPlusJSONResponse(render.Of(catalog.View{}).Option(o, true)), nil
}

func (s *Server) DeleteProductOption(ctx context.Context, req api.DeleteProductOptionRequestObject) (api.DeleteProductOptionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteOption(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteProductOption204Response{}, nil
}

func (s *Server) GetOptionValue(ctx context.Context, req api.GetOptionValueRequestObject) (api.GetOptionValueResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	v, err := s.Catalog.OptionValue(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetOptionValue200ApplicationLdPlusJSONResponse(render.OptionValue(v, true)), nil
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
	location := iri.OptionValues.Of(v.ID)
	return api.CreateOptionValue201ApplicationLdPlusJSONResponse{Body: render.OptionValue(v, true),
		Headers: api.CreateOptionValue201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateOptionValue(ctx context.Context, req api.UpdateOptionValueRequestObject) (api.UpdateOptionValueResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	v, err := s.Catalog.UpdateOptionValue(ctx, t.InstanceID, req.Id, locale, req.Body.Value, req.Body.Position)
	if err != nil {
		return nil, err
	}
	return api.UpdateOptionValue200ApplicationLdPlusJSONResponse(render.OptionValue(v, true)), nil
}

func (s *Server) DeleteOptionValue(ctx context.Context, req api.DeleteOptionValueRequestObject) (api.DeleteOptionValueResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteOptionValue(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteOptionValue204Response{}, nil
}

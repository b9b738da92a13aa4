package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func fieldDefinitions(in *[]api.MetaobjectFieldDefinition) *[]catalog.FieldDefinition {
	if in == nil {
		return nil
	}
	out := make([]catalog.FieldDefinition, len(*in))
	for i, f := range *in {
		out[i] = catalog.FieldDefinition{Key: f.Key, Type: string(f.Type), Required: f.Required != nil && *f.Required}
		if f.Name != nil {
			out[i].Name = *f.Name
		}
	}
	return &out
}

func (s *Server) ListMetaobjectDefinitions(ctx context.Context, req api.ListMetaobjectDefinitionsRequestObject) (api.ListMetaobjectDefinitionsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Definitions(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.MetaobjectDefinitions.Path(), requestQuery(ctx), page, per, total)
	out := api.ListMetaobjectDefinitions200ApplicationLdPlusJSONResponse{LdContext: render.Context("MetaobjectDefinition"), LdID: iri.MetaobjectDefinitions.Path(),
		LdType: hydraCollection, TotalItems: total, Member: members(list, render.Definition), View: &view}
	return out, nil
}

func (s *Server) GetMetaobjectDefinition(ctx context.Context, req api.GetMetaobjectDefinitionRequestObject) (api.GetMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	d, err := s.Catalog.Definition(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMetaobjectDefinition200ApplicationLdPlusJSONResponse(render.Definition(d, true)), nil
}

func (s *Server) CreateMetaobjectDefinition(ctx context.Context, req api.CreateMetaobjectDefinitionRequestObject) (api.CreateMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	d, err := s.Catalog.CreateDefinition(ctx, t.InstanceID, catalog.DefinitionChange{Type: &b.Type, Name: patch(b.Name), Fields: fieldDefinitions(&b.Fields)})
	if err != nil {
		return nil, err
	}
	location := iri.MetaobjectDefinitions.Of(d.ID)
	return api.CreateMetaobjectDefinition201ApplicationLdPlusJSONResponse{Body: render.Definition(d, true),
		Headers: api.CreateMetaobjectDefinition201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateMetaobjectDefinition(ctx context.Context, req api.UpdateMetaobjectDefinitionRequestObject) (api.UpdateMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	d, err := s.Catalog.UpdateDefinition(ctx, t.InstanceID, req.Id, catalog.DefinitionChange{Name: textPatch(req.Body.Name), Fields: fieldDefinitions(req.Body.Fields)})
	if err != nil {
		return nil, err
	}
	return api.UpdateMetaobjectDefinition200ApplicationLdPlusJSONResponse(render.Definition(d, true)), nil
}

func (s *Server) DeleteMetaobjectDefinition(ctx context.Context, req api.DeleteMetaobjectDefinitionRequestObject) (api.DeleteMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteDefinition(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMetaobjectDefinition204Response{}, nil
}

func (s *Server) ListMetaobjects(ctx context.Context, req api.ListMetaobjectsRequestObject) (api.ListMetaobjectsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Metaobjects(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.Metaobjects.Path(), requestQuery(ctx), page, per, total)
	out := api.ListMetaobjects200ApplicationLdPlusJSONResponse{LdContext: render.Context("Metaobject"), LdID: iri.Metaobjects.Path(), LdType: hydraCollection,
		TotalItems: total, Member: members(list, render.Metaobject), View: &view}
	return out, nil
}

func (s *Server) GetMetaobject(ctx context.Context, req api.GetMetaobjectRequestObject) (api.GetMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.Metaobject(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMetaobject200ApplicationLdPlusJSONResponse(render.Metaobject(m, true)), nil
}

func (s *Server) CreateMetaobject(ctx context.Context, req api.CreateMetaobjectRequestObject) (api.CreateMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.CreateMetaobject(ctx, t.InstanceID, b.Type, b.Handle, b.Fields)
	if err != nil {
		return nil, err
	}
	location := iri.Metaobjects.Of(m.ID)
	return api.CreateMetaobject201ApplicationLdPlusJSONResponse{Body: render.Metaobject(m, true), Headers: api.CreateMetaobject201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateMetaobject(ctx context.Context, req api.UpdateMetaobjectRequestObject) (api.UpdateMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.UpdateMetaobject(ctx, t.InstanceID, req.Id, req.Body.Fields)
	if err != nil {
		return nil, err
	}
	return api.UpdateMetaobject200ApplicationLdPlusJSONResponse(render.Metaobject(m, true)), nil
}

func (s *Server) DeleteMetaobject(ctx context.Context, req api.DeleteMetaobjectRequestObject) (api.DeleteMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteMetaobject(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMetaobject204Response{}, nil
}

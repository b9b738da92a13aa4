package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func (s *Server) ListCollections(ctx context.Context, req api.ListCollectionsRequestObject) (api.ListCollectionsResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Collections(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.Collections.Path(), requestQuery(ctx), page, per, total)
	out := api.ListCollections200ApplicationLdPlusJSONResponse{LdContext: render.Context("Collection"), LdID: iri.Collections.Path(),
		LdType: hydraCollection, TotalItems: total, Member: members(list, render.Collection), View: &view}
	return out, nil
}

func (s *Server) GetCollection(ctx context.Context, req api.GetCollectionRequestObject) (api.GetCollectionResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	c, err := s.Catalog.Collection(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetCollection200ApplicationLdPlusJSONResponse(render.Collection(c, true)), nil
}

func (s *Server) CreateCollection(ctx context.Context, req api.CreateCollectionRequestObject) (api.CreateCollectionResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	c, err := s.Catalog.CreateCollection(ctx, t.InstanceID, locale, catalog.CollectionChange{Handle: &b.Handle, Key: patch(b.Key), Title: patch(b.Title), Description: patch(b.Description)})
	if err != nil {
		return nil, err
	}
	location := iri.Collections.Of(c.ID)
	return api.CreateCollection201ApplicationLdPlusJSONResponse{Body: render.Collection(c, true), Headers: api.CreateCollection201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateCollection(ctx context.Context, req api.UpdateCollectionRequestObject) (api.UpdateCollectionResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c, err := s.Catalog.UpdateCollection(ctx, t.InstanceID, req.Id, locale, catalog.CollectionChange{Handle: b.Handle, Key: patch(b.Key), Title: textPatch(b.Title), Description: textPatch(b.Description)})
	if err != nil {
		return nil, err
	}
	return api.UpdateCollection200ApplicationLdPlusJSONResponse(render.Collection(c, true)), nil
}

func (s *Server) DeleteCollection(ctx context.Context, req api.DeleteCollectionRequestObject) (api.DeleteCollectionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteCollection(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteCollection204Response{}, nil
}

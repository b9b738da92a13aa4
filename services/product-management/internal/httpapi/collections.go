package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
)

func collectionIRI(id uuid.UUID) string { return "/rest/api/collections/" + id.String() }

func renderCollection(c catalog.Collection, top bool) api.Collection {
	out := api.Collection{LdID: collectionIRI(c.ID), LdType: "Collection", Id: c.ID, Handle: c.Handle, Title: text(c.Title),
		Description: text(c.Description), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if top {
		out.LdContext = contextOf("Collection")
	}
	return out
}

func (s *Server) collection(ctx context.Context, t tenant.Tenant, id uuid.UUID, loc catalog.ReadLocale) (catalog.Collection, error) {
	list, err := s.Catalog.Store().CollectionsByID(ctx, t.InstanceID, []uuid.UUID{id}, loc)
	return first(list, err, "no such collection")
}

func (s *Server) ListCollections(ctx context.Context, req api.ListCollectionsRequestObject) (api.ListCollectionsResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Store().Collections(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView("/rest/api/collections", requestQuery(ctx), page, per, total)
	out := api.ListCollections200ApplicationLdPlusJSONResponse{LdContext: contextOf("Collection"), LdID: "/rest/api/collections",
		LdType: "Collection", TotalItems: total, Member: []api.Collection{}, View: &view}
	for _, c := range list {
		out.Member = append(out.Member, renderCollection(c, false))
	}
	return out, nil
}

func (s *Server) GetCollection(ctx context.Context, req api.GetCollectionRequestObject) (api.GetCollectionResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	c, err := s.collection(ctx, t, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetCollection200ApplicationLdPlusJSONResponse(renderCollection(c, true)), nil
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
	c, err := catalog.ApplyCollection(catalog.Collection{}, catalog.CollectionChange{Handle: &b.Handle, Title: ptr(b.Title), Description: ptr(b.Description)})
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveCollection(ctx, t.InstanceID, c, locale, c.Title != nil, true); err != nil {
		return nil, err
	}
	if c, err = s.collection(ctx, t, c.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	iri := collectionIRI(c.ID)
	return api.CreateCollection201ApplicationLdPlusJSONResponse{Body: renderCollection(c, true), Headers: api.CreateCollection201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateCollection(ctx context.Context, req api.UpdateCollectionRequestObject) (api.UpdateCollectionResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	current, err := s.collection(ctx, t, req.Id, catalog.ReadLocale{Code: locale})
	if err != nil {
		return nil, err
	}
	b := req.Body
	ch := catalog.CollectionChange{Handle: b.Handle}
	ch.Title, ch.ClearTitle = patchText(b.Title)
	ch.Description, ch.ClearDescription = patchText(b.Description)
	c, err := catalog.ApplyCollection(current, ch)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveCollection(ctx, t.InstanceID, c, locale, b.Title.IsSpecified(), false); err != nil {
		return nil, err
	}
	if c, err = s.collection(ctx, t, c.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	return api.UpdateCollection200ApplicationLdPlusJSONResponse(renderCollection(c, true)), nil
}

func (s *Server) DeleteCollection(ctx context.Context, req api.DeleteCollectionRequestObject) (api.DeleteCollectionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteCollection(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteCollection204Response{}, nil
}

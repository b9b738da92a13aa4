package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// attributeIDs reads a category's attribute IRIs.
func attributeIDs(list *[]string, r *refReader) *[]uuid.UUID {
	if list == nil {
		return nil
	}
	out := ids(*list, func(s string) string { return s }, r.of(iri.Attributes))
	return &out
}

func (s *Server) ListCategories(ctx context.Context, req api.ListCategoriesRequestObject) (api.ListCategoriesResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Categories(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.Categories.Path(), requestQuery(ctx), page, per, total)
	out := api.ListCategories200ApplicationLdPlusJSONResponse{LdContext: render.Context("Category"), LdID: iri.Categories.Path(), LdType: hydraCollection,
		TotalItems: total, Member: members(list, render.Category), View: &view}
	return out, nil
}

func (s *Server) GetCategory(ctx context.Context, req api.GetCategoryRequestObject) (api.GetCategoryResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	c, err := s.Catalog.Category(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetCategory200ApplicationLdPlusJSONResponse(render.Category(c, true)), nil
}

func (s *Server) CreateCategory(ctx context.Context, req api.CreateCategoryRequestObject) (api.CreateCategoryResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	ch, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.CategoryChange {
		return catalog.CategoryChange{Handle: &b.Handle, Key: patch(b.Key), Name: patch(b.Name),
			Parent: refOf(b.Parent, r.of(iri.Categories)), Attributes: attributeIDs(b.Attributes, r)}
	})
	if err != nil {
		return nil, err
	}
	c, err := s.Catalog.CreateCategory(ctx, t.InstanceID, locale, ch)
	if err != nil {
		return nil, err
	}
	location := iri.Categories.Of(c.ID)
	return api.CreateCategory201ApplicationLdPlusJSONResponse{Body: render.Category(c, true), Headers: api.CreateCategory201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateCategory(ctx context.Context, req api.UpdateCategoryRequestObject) (api.UpdateCategoryResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b := req.Body
	ch, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.CategoryChange {
		return catalog.CategoryChange{Key: patch(b.Key), Name: textPatch(b.Name),
			Parent: refPatch(b.Parent, r.of(iri.Categories)), Attributes: attributeIDs(b.Attributes, r)}
	})
	if err != nil {
		return nil, err
	}
	c, err := s.Catalog.UpdateCategory(ctx, t.InstanceID, req.Id, locale, ch)
	if err != nil {
		return nil, err
	}
	return api.UpdateCategory200ApplicationLdPlusJSONResponse(render.Category(c, true)), nil
}

func (s *Server) DeleteCategory(ctx context.Context, req api.DeleteCategoryRequestObject) (api.DeleteCategoryResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteCategory(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteCategory204Response{}, nil
}

package httpapi

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
)

func attributeIRI(id uuid.UUID) string { return "/rest/api/attributes/" + id.String() }
func categoryIRI(id uuid.UUID) string  { return "/rest/api/categories/" + id.String() }

func renderAttribute(a catalog.Attribute, top bool) api.Attribute {
	out := api.Attribute{LdID: attributeIRI(a.ID), LdType: "Attribute", Id: a.ID, Code: a.Code, Name: text(a.Name),
		Type: api.AttributeType(a.Type), Options: a.Options, Required: a.Required, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if out.Options == nil {
		out.Options = []string{}
	}
	if top {
		out.LdContext = contextOf("Attribute")
	}
	return out
}

func renderCategory(c catalog.Category, top bool) api.Category {
	out := api.Category{LdID: categoryIRI(c.ID), LdType: "Category", Id: c.ID, Handle: c.Handle, Name: text(c.Name),
		Parent: nullable.NewNullNullable[string](), Attributes: make([]api.Iri, len(c.Attributes)), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Parent != nil {
		out.Parent = nullable.NewNullableWithValue(categoryIRI(*c.Parent))
	}
	for i, id := range c.Attributes {
		out.Attributes[i] = attributeIRI(id)
	}
	if top {
		out.LdContext = contextOf("Category")
	}
	return out
}

func valueInputs(in []api.AttributeValue) []catalog.AttributeValueInput {
	out := make([]catalog.AttributeValueInput, len(in))
	for i, v := range in {
		out[i] = catalog.AttributeValueInput{Attribute: v.Attribute, Value: v.Value}
	}
	return out
}

func renderValues(vs []catalog.AttributeValue) []api.AttributeValue {
	out := make([]api.AttributeValue, len(vs))
	for i, v := range vs {
		var val any
		_ = json.Unmarshal(v.Value, &val)
		out[i] = api.AttributeValue{Attribute: attributeIRI(v.Attribute), Value: val}
	}
	return out
}

func pageOf(p, per *int) (int, int) {
	page, n := 1, 30
	if p != nil {
		page = *p
	}
	if per != nil {
		n = *per
	}
	return page, n
}

// ---- attributes ----

func (s *Server) attribute(ctx context.Context, t tenant.Tenant, id uuid.UUID, loc catalog.ReadLocale) (catalog.Attribute, error) {
	list, err := s.Catalog.Store().AttributesByID(ctx, t.InstanceID, []uuid.UUID{id}, loc)
	return first(list, err, "no such attribute")
}

func (s *Server) ListAttributes(ctx context.Context, req api.ListAttributesRequestObject) (api.ListAttributesResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Store().Attributes(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView("/rest/api/attributes", requestQuery(ctx), page, per, total)
	out := api.ListAttributes200ApplicationLdPlusJSONResponse{LdContext: contextOf("Attribute"), LdID: "/rest/api/attributes", LdType: "Collection",
		TotalItems: total, Member: []api.Attribute{}, View: &view}
	for _, a := range list {
		out.Member = append(out.Member, renderAttribute(a, false))
	}
	return out, nil
}

func (s *Server) GetAttribute(ctx context.Context, req api.GetAttributeRequestObject) (api.GetAttributeResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	a, err := s.attribute(ctx, t, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetAttribute200ApplicationLdPlusJSONResponse(renderAttribute(a, true)), nil
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
	a, err := catalog.ApplyAttribute(catalog.Attribute{}, catalog.AttributeChange{Code: &b.Code, Name: ptr(b.Name), Type: &typ, Options: b.Options, Required: b.Required})
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveAttribute(ctx, t.InstanceID, a, locale, a.Name != nil, true); err != nil {
		return nil, err
	}
	if a, err = s.attribute(ctx, t, a.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	iri := attributeIRI(a.ID)
	return api.CreateAttribute201ApplicationLdPlusJSONResponse{Body: renderAttribute(a, true), Headers: api.CreateAttribute201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateAttribute(ctx context.Context, req api.UpdateAttributeRequestObject) (api.UpdateAttributeResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	cur, err := s.attribute(ctx, t, req.Id, catalog.ReadLocale{Code: locale})
	if err != nil {
		return nil, err
	}
	ch := catalog.AttributeChange{Options: req.Body.Options, Required: req.Body.Required}
	ch.Name, ch.ClearName = patchText(req.Body.Name)
	a, err := catalog.ApplyAttribute(cur, ch)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveAttribute(ctx, t.InstanceID, a, locale, req.Body.Name.IsSpecified(), false); err != nil {
		return nil, err
	}
	if a, err = s.attribute(ctx, t, a.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	return api.UpdateAttribute200ApplicationLdPlusJSONResponse(renderAttribute(a, true)), nil
}

func (s *Server) DeleteAttribute(ctx context.Context, req api.DeleteAttributeRequestObject) (api.DeleteAttributeResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteAttribute(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteAttribute204Response{}, nil
}

// ---- categories ----

func (s *Server) category(ctx context.Context, t tenant.Tenant, id uuid.UUID, loc catalog.ReadLocale) (catalog.Category, error) {
	list, err := s.Catalog.Store().CategoriesByID(ctx, t.InstanceID, []uuid.UUID{id}, loc)
	return first(list, err, "no such category")
}

func (s *Server) ListCategories(ctx context.Context, req api.ListCategoriesRequestObject) (api.ListCategoriesResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Store().Categories(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView("/rest/api/categories", requestQuery(ctx), page, per, total)
	out := api.ListCategories200ApplicationLdPlusJSONResponse{LdContext: contextOf("Category"), LdID: "/rest/api/categories", LdType: "Collection",
		TotalItems: total, Member: []api.Category{}, View: &view}
	for _, c := range list {
		out.Member = append(out.Member, renderCategory(c, false))
	}
	return out, nil
}

func (s *Server) GetCategory(ctx context.Context, req api.GetCategoryRequestObject) (api.GetCategoryResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	c, err := s.category(ctx, t, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetCategory200ApplicationLdPlusJSONResponse(renderCategory(c, true)), nil
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
	c, err := s.Catalog.ApplyCategory(ctx, t.InstanceID, catalog.Category{}, catalog.CategoryChange{Handle: &b.Handle, Name: ptr(b.Name), Parent: ptr(b.Parent), Attributes: b.Attributes})
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveCategory(ctx, t.InstanceID, c, locale, c.Name != nil, true); err != nil {
		return nil, err
	}
	if c, err = s.category(ctx, t, c.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	iri := categoryIRI(c.ID)
	return api.CreateCategory201ApplicationLdPlusJSONResponse{Body: renderCategory(c, true), Headers: api.CreateCategory201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateCategory(ctx context.Context, req api.UpdateCategoryRequestObject) (api.UpdateCategoryResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	cur, err := s.category(ctx, t, req.Id, catalog.ReadLocale{Code: locale})
	if err != nil {
		return nil, err
	}
	b := req.Body
	ch := catalog.CategoryChange{Attributes: b.Attributes}
	ch.Name, ch.ClearName = patchText(b.Name)
	ch.Parent, ch.ClearParent = patchText(b.Parent)
	c, err := s.Catalog.ApplyCategory(ctx, t.InstanceID, cur, ch)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveCategory(ctx, t.InstanceID, c, locale, b.Name.IsSpecified(), false); err != nil {
		return nil, err
	}
	if c, err = s.category(ctx, t, c.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	return api.UpdateCategory200ApplicationLdPlusJSONResponse(renderCategory(c, true)), nil
}

func (s *Server) DeleteCategory(ctx context.Context, req api.DeleteCategoryRequestObject) (api.DeleteCategoryResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteCategory(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteCategory204Response{}, nil
}

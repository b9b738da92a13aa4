package httpapi

import (
	"context"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
)

func mediaIRI(id uuid.UUID) string { return "/rest/api/medias/" + id.String() }

func intOrNull(p *int) nullable.Nullable[int] {
	if p == nil {
		return nullable.NewNullNullable[int]()
	}
	return nullable.NewNullableWithValue(*p)
}

func renderMedia(m catalog.Media, top bool) api.Media {
	out := api.Media{LdID: mediaIRI(m.ID), LdType: "Media", Id: m.ID, Type: api.MediaType(m.Type), Src: m.Src, Alt: text(m.Alt),
		MimeType: text(m.MimeType), Width: intOrNull(m.Width), Height: intOrNull(m.Height), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if top {
		out.LdContext = contextOf("Media")
	}
	return out
}

func intPtr(n nullable.Nullable[int]) *int {
	if !n.IsSpecified() || n.IsNull() {
		return nil
	}
	v := n.MustGet()
	return &v
}

func mediaChange(b api.MediaCreate) catalog.MediaChange {
	typ := string(b.Type)
	return catalog.MediaChange{Type: &typ, Src: &b.Src, Alt: ptr(b.Alt), MimeType: ptr(b.MimeType), Width: intPtr(b.Width), Height: intPtr(b.Height)}
}

func (s *Server) media(ctx context.Context, t tenant.Tenant, id uuid.UUID, loc catalog.ReadLocale) (catalog.Media, error) {
	list, err := s.Catalog.Store().MediasByID(ctx, t.InstanceID, []uuid.UUID{id}, loc)
	return first(list, err, "no such media")
}

func (s *Server) ListMedias(ctx context.Context, req api.ListMediasRequestObject) (api.ListMediasResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Store().Medias(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView("/rest/api/medias", requestQuery(ctx), page, per, total)
	out := api.ListMedias200ApplicationLdPlusJSONResponse{LdContext: contextOf("Media"), LdID: "/rest/api/medias", LdType: "Collection",
		TotalItems: total, Member: []api.Media{}, View: &view}
	for _, m := range list {
		out.Member = append(out.Member, renderMedia(m, false))
	}
	return out, nil
}

func (s *Server) GetMedia(ctx context.Context, req api.GetMediaRequestObject) (api.GetMediaResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	m, err := s.media(ctx, t, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetMedia200ApplicationLdPlusJSONResponse(renderMedia(m, true)), nil
}

func (s *Server) CreateMedia(ctx context.Context, req api.CreateMediaRequestObject) (api.CreateMediaResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	m, err := catalog.ApplyMedia("", catalog.Media{}, mediaChange(*b))
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveMedia(ctx, t.InstanceID, m, locale, m.Alt != nil, true); err != nil {
		return nil, err
	}
	if m, err = s.media(ctx, t, m.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	iri := mediaIRI(m.ID)
	return api.CreateMedia201ApplicationLdPlusJSONResponse{Body: renderMedia(m, true), Headers: api.CreateMedia201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateMedia(ctx context.Context, req api.UpdateMediaRequestObject) (api.UpdateMediaResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	current, err := s.media(ctx, t, req.Id, catalog.ReadLocale{Code: locale})
	if err != nil {
		return nil, err
	}
	b := req.Body
	ch := catalog.MediaChange{Src: b.Src, Width: intPtr(b.Width), Height: intPtr(b.Height),
		ClearWidth: b.Width.IsSpecified() && b.Width.IsNull(), ClearHeight: b.Height.IsSpecified() && b.Height.IsNull()}
	ch.Alt, ch.ClearAlt = patchText(b.Alt)
	ch.MimeType, ch.ClearMime = patchText(b.MimeType)
	m, err := catalog.ApplyMedia("", current, ch)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveMedia(ctx, t.InstanceID, m, locale, b.Alt.IsSpecified(), false); err != nil {
		return nil, err
	}
	if m, err = s.media(ctx, t, m.ID, catalog.ReadLocale{Code: locale}); err != nil {
		return nil, err
	}
	return api.UpdateMedia200ApplicationLdPlusJSONResponse(renderMedia(m, true)), nil
}

func (s *Server) DeleteMedia(ctx context.Context, req api.DeleteMediaRequestObject) (api.DeleteMediaResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteMedia(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMedia204Response{}, nil
}

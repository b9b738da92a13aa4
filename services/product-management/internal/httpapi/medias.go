package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// mediaChange reads a new media (inline in a product, or on its own).
func mediaChange(b api.MediaCreate) catalog.MediaChange {
	typ := string(b.Type)
	return catalog.MediaChange{Type: &typ, Src: &b.Src, Alt: patch(b.Alt), MimeType: patch(b.MimeType), Width: patch(b.Width), Height: patch(b.Height)}
}

func (s *Server) ListMedias(ctx context.Context, req api.ListMediasRequestObject) (api.ListMediasResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Medias(ctx, t.InstanceID, loc, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.Medias.Path(), requestQuery(ctx), page, per, total)
	out := api.ListMedias200ApplicationLdPlusJSONResponse{LdContext: render.Context("Media"), LdID: iri.Medias.Path(), LdType: hydraCollection,
		TotalItems: total, Member: members(list, render.Media), View: &view}
	return out, nil
}

func (s *Server) GetMedia(ctx context.Context, req api.GetMediaRequestObject) (api.GetMediaResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.Media(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetMedia200ApplicationLdPlusJSONResponse(render.Media(m, true)), nil
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
	m, err := s.Catalog.CreateMedia(ctx, t.InstanceID, locale, mediaChange(*b))
	if err != nil {
		return nil, err
	}
	location := iri.Medias.Of(m.ID)
	return api.CreateMedia201ApplicationLdPlusJSONResponse{Body: render.Media(m, true), Headers: api.CreateMedia201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateMedia(ctx context.Context, req api.UpdateMediaRequestObject) (api.UpdateMediaResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	b := req.Body
	m, err := s.Catalog.UpdateMedia(ctx, t.InstanceID, req.Id, locale, catalog.MediaChange{Src: b.Src, Alt: textPatch(b.Alt), MimeType: textPatch(b.MimeType),
		Width: patch(b.Width), Height: patch(b.Height)})
	if err != nil {
		return nil, err
	}
	return api.UpdateMedia200ApplicationLdPlusJSONResponse(render.Media(m, true)), nil
}

func (s *Server) DeleteMedia(ctx context.Context, req api.DeleteMediaRequestObject) (api.DeleteMediaResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteMedia(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMedia204Response{}, nil
}

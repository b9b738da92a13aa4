package httpapi

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/precondition"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func (s *Server) ListProductVariants(ctx context.Context, req api.ListProductVariantsRequestObject) (api.ListProductVariantsResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	v, err := s.Catalog.Product(ctx, t.InstanceID, req.Id, catalog.Read{Locale: loc, Expand: expandOf(req.Params.Expand)})
	if err != nil {
		return nil, err
	}
	p := v.Products[0]
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	from, to := min((page-1)*per, len(p.Variants)), min(page*per, len(p.Variants))
	path := iri.Products.Of(p.ID) + "/variants"
	out := api.ListProductVariants200ApplicationLdPlusJSONResponse{LdContext: render.Context("Variant"), LdID: path, LdType: hydraCollection,
		TotalItems: len(p.Variants), Member: make([]api.Variant, 0, to-from), View: pageView(path, requestQuery(ctx), page, per, len(p.Variants))}
	values := embeddedValues(v)
	for _, variant := range p.Variants[from:to] {
		out.Member = append(out.Member, render.Of(v).Variant(variant, values, false))
	}
	return out, nil
}

// embeddedValues indexes the option values a variant read embeds (expand=optionValues).
func embeddedValues(v catalog.View) map[uuid.UUID]catalog.OptionValue {
	if !v.Expand.OptionValues {
		return nil
	}
	return catalog.OptionValues(v.Products[0])
}

func (s *Server) GetVariant(ctx context.Context, req api.GetVariantRequestObject) (api.GetVariantResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	read := catalog.Read{Locale: loc, Expand: expandOf(req.Params.Expand)}
	v, variant, err := s.Catalog.Variant(ctx, t.InstanceID, req.Id, read)
	if err != nil {
		return nil, err
	}
	etag := precondition.RepresentationETag(variant.Version, loc.Code, loc.Fallback)
	if read.FollowsVariantVersion() && precondition.NoneMatch(req.Params.IfNoneMatch, etag) {
		return api.GetVariant304Response{Headers: api.GetVariant304ResponseHeaders{ETag: etag}}, nil
	}
	return api.GetVariant200ApplicationLdPlusJSONResponse{Body: render.Of(v).Variant(variant, embeddedValues(v), true),
		Headers: api.GetVariant200ResponseHeaders{ETag: etag}}, nil
}

func (s *Server) CreateProductVariant(ctx context.Context, req api.CreateProductVariantRequestObject) (api.CreateProductVariantResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	in, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.VariantInput { return variantInput(*body, r) })
	if err != nil {
		return nil, err
	}
	v, variant, err := s.Catalog.CreateVariant(ctx, t.InstanceID, req.Id, locale, in)
	if err != nil {
		return nil, err
	}
	location := iri.Variants.Of(variant.ID)
	return api.CreateProductVariant201ApplicationLdPlusJSONResponse{Body: render.Of(v).Variant(variant, nil, true),
		Headers: api.CreateProductVariant201ResponseHeaders{Location: &location, ETag: precondition.RepresentationETag(variant.Version, locale, "")}}, nil
}

func (s *Server) UpdateVariant(ctx context.Context, req api.UpdateVariantRequestObject) (api.UpdateVariantResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	ifVersion, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c := catalog.VariantChanges{SKU: b.Sku, Position: b.Position, Title: textPatch(b.Title), Barcode: textPatch(b.Barcode), IfVersion: ifVersion}
	if b.OptionValues != nil {
		refs := valueRefs(*b.OptionValues)
		c.OptionValues = &refs
	}
	if b.Medias != nil {
		refs := mediaRefs(*b.Medias)
		c.Medias = &refs
	}
	v, variant, err := s.Catalog.UpdateVariant(ctx, t.InstanceID, req.Id, locale, c)
	if err != nil {
		return nil, err
	}
	return api.UpdateVariant200ApplicationLdPlusJSONResponse{Body: render.Of(v).Variant(variant, nil, true),
		Headers: api.UpdateVariant200ResponseHeaders{ETag: precondition.RepresentationETag(variant.Version, locale, "")}}, nil
}

func (s *Server) DeleteVariant(ctx context.Context, req api.DeleteVariantRequestObject) (api.DeleteVariantResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	ifVersion, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteVariant(ctx, t.InstanceID, req.Id, ifVersion); err != nil {
		return nil, err
	}
	return api.DeleteVariant204Response{}, nil
}

func variantInput(v api.VariantCreate, r *refReader) catalog.VariantInput {
	in := catalog.VariantInput{SKU: v.Sku, Title: optional(v.Title), Barcode: optional(v.Barcode), Position: v.Position}
	if v.OptionValues != nil {
		in.OptionValues = valueRefs(*v.OptionValues)
	}
	if v.Prices != nil {
		for _, p := range *v.Prices {
			in.Prices = append(in.Prices, priceInput(p, r))
		}
	}
	if v.Medias != nil {
		in.Medias = mediaRefs(*v.Medias)
	}
	return in
}

func mediaRefs(list []api.VariantMediaAssignment) []catalog.MediaRef {
	out := make([]catalog.MediaRef, len(list))
	for i, a := range list {
		if a.Media != nil && strings.TrimSpace(*a.Media) != "" {
			id := iri.Medias.ID(*a.Media)
			out[i].Media = &id
		}
		if a.Src != nil {
			out[i].Src = *a.Src
		}
	}
	return out
}

func valueRefs(refs []api.OptionValueReference) []catalog.ValueRef {
	out := make([]catalog.ValueRef, len(refs))
	for i, r := range refs {
		if sel, err := r.AsOptionValueSelector(); err == nil && sel.Option != "" {
			out[i] = catalog.ValueRef{Option: sel.Option, Value: sel.Value}
		} else if ref, err := r.AsIri(); err == nil && ref != "" {
			out[i] = catalog.ValueRef{ByID: true, ID: iri.OptionValues.ID(ref)}
		}
	}
	return out
}

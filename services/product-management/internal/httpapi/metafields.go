package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// owner reads a metafield's owner IRI: a product or a variant.
func owner(s string, r *refReader) catalog.Owner {
	switch {
	case iri.Products.HasPrefix(s):
		return catalog.Owner{Kind: catalog.OwnerProduct, ID: r.of(iri.Products)(s)}
	case iri.Variants.HasPrefix(s):
		return catalog.Owner{Kind: catalog.OwnerVariant, ID: iri.Variants.ID(s)}
	}
	return catalog.Owner{}
}

func (s *Server) ListMetafields(ctx context.Context, req api.ListMetafieldsRequestObject) (api.ListMetafieldsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Metafields(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView(iri.Metafields.Path(), requestQuery(ctx), page, per, total)
	out := api.ListMetafields200ApplicationLdPlusJSONResponse{LdContext: render.Context("Metafield"), LdID: iri.Metafields.Path(), LdType: hydraCollection,
		TotalItems: total, Member: make([]api.Metafield, len(list)), View: &view}
	for i, m := range list {
		out.Member[i] = render.Metafield(m, nil, false)
	}
	return out, nil
}

func (s *Server) GetMetafield(ctx context.Context, req api.GetMetafieldRequestObject) (api.GetMetafieldResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.Metafield(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMetafield200ApplicationLdPlusJSONResponse(render.Metafield(m, nil, true)), nil
}

func (s *Server) CreateMetafield(ctx context.Context, req api.CreateMetafieldRequestObject) (api.CreateMetafieldResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	own, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.Owner { return owner(b.Owner, r) })
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.CreateMetafield(ctx, t.InstanceID, catalog.MetafieldInput{Owner: own, Namespace: b.Namespace, Key: b.Key,
		Type: string(b.Type), Value: b.Value})
	if err != nil {
		return nil, err
	}
	location := iri.Metafields.Of(m.ID)
	return api.CreateMetafield201ApplicationLdPlusJSONResponse{Body: render.Metafield(m, nil, true), Headers: api.CreateMetafield201ResponseHeaders{Location: &location}}, nil
}

func (s *Server) UpdateMetafield(ctx context.Context, req api.UpdateMetafieldRequestObject) (api.UpdateMetafieldResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.UpdateMetafield(ctx, t.InstanceID, req.Id, req.Body.Value)
	if err != nil {
		return nil, err
	}
	return api.UpdateMetafield200ApplicationLdPlusJSONResponse(render.Metafield(m, nil, true)), nil
}

func (s *Server) DeleteMetafield(ctx context.Context, req api.DeleteMetafieldRequestObject) (api.DeleteMetafieldResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteMetafield(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMetafield204Response{}, nil
}

package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func renderStatus(s catalog.Status, top bool) api.Status {
	out := api.Status{LdID: iri.Statuses.OfCode(string(s)), LdType: "Status", Code: api.StatusCode(s), Name: s.Name()}
	if top {
		out.LdContext = render.Context("Status")
	}
	return out
}

func (s *Server) ListStatuses(ctx context.Context, _ api.ListStatusesRequestObject) (api.ListStatusesResponseObject, error) {
	if _, err := authorize(ctx, permRead); err != nil {
		return nil, err
	}
	out := api.ListStatuses200ApplicationLdPlusJSONResponse{LdContext: render.Context("Status"), LdID: iri.Statuses.Path(), LdType: hydraCollection}
	for _, st := range catalog.Statuses() {
		out.Member = append(out.Member, renderStatus(st, false))
	}
	out.TotalItems = len(out.Member)
	return out, nil
}

func (s *Server) GetStatus(ctx context.Context, req api.GetStatusRequestObject) (api.GetStatusResponseObject, error) {
	if _, err := authorize(ctx, permRead); err != nil {
		return nil, err
	}
	st, ok := catalog.StatusOf(string(req.Code))
	if !ok {
		return nil, fault.NotFound("no such status")
	}
	return api.GetStatus200ApplicationLdPlusJSONResponse(renderStatus(st, true)), nil
}

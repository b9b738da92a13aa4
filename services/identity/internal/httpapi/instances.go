package httpapi

import (
	"context"

	"github.com/flowkiwi/platform/pkg/precondition"

	"github.com/flowkiwi/platform/services/identity/internal/api"
	"github.com/flowkiwi/platform/services/identity/internal/instance"
)

func toInstance(in instance.Instance) api.Instance {
	return api.Instance{
		Id: in.ID, Name: in.Name, Handle: in.Handle, OrganizationId: in.OrganizationID,
		CreatedByOrganizationId: in.CreatedByOrganizationID, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
	}
}

func (s *Server) ListInstances(ctx context.Context, req api.ListInstancesRequestObject) (api.ListInstancesResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	q := instance.ListQuery{OrganizationID: req.OrganizationId, Page: page(p.PageNumber, p.PageSize)}
	if p.SortBy != nil {
		q.SortBy = string(*p.SortBy)
	}
	q.Descending = p.SortDirection != nil && *p.SortDirection == "DESC"
	list, total, err := s.Instances.List(ctx, id, q)
	if err != nil {
		return nil, err
	}
	out := api.ListInstances200JSONResponse{Items: make([]api.Instance, len(list)), Paging: paging(q.Page, total)}
	for i, in := range list {
		out.Items[i] = toInstance(in)
	}
	return out, nil
}

func (s *Server) CreateInstance(ctx context.Context, req api.CreateInstanceRequestObject) (api.CreateInstanceResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.Instances.Create(ctx, id, req.OrganizationId, req.Body.Name, req.Body.Handle)
	if err != nil {
		return nil, err
	}
	loc := "/organizations/" + in.OrganizationID.String() + "/instances/" + in.ID.String()
	return api.CreateInstance201JSONResponse{Body: toInstance(in), Headers: api.CreateInstance201ResponseHeaders{ETag: precondition.ETag(in.Version), Location: &loc}}, nil
}

func (s *Server) GetInstance(ctx context.Context, req api.GetInstanceRequestObject) (api.GetInstanceResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.Instances.Get(ctx, id, req.OrganizationId, req.InstanceId)
	if err != nil {
		return nil, err
	}
	return api.GetInstance200JSONResponse{Body: toInstance(in), Headers: api.GetInstance200ResponseHeaders{ETag: precondition.ETag(in.Version)}}, nil
}

func (s *Server) UpdateInstance(ctx context.Context, req api.UpdateInstanceRequestObject) (api.UpdateInstanceResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	version, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	patch, err := marshalPatch(req.Body)
	if err != nil {
		return nil, err
	}
	in, err := s.Instances.Rename(ctx, id, req.OrganizationId, req.InstanceId, patch, version)
	if err != nil {
		return nil, err
	}
	return api.UpdateInstance200JSONResponse{Body: toInstance(in), Headers: api.UpdateInstance200ResponseHeaders{ETag: precondition.ETag(in.Version)}}, nil
}

func (s *Server) DeleteInstance(ctx context.Context, req api.DeleteInstanceRequestObject) (api.DeleteInstanceResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	version, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.Instances.Delete(ctx, id, req.OrganizationId, req.InstanceId, version); err != nil {
		return nil, err
	}
	return api.DeleteInstance204Response{}, nil
}

func (s *Server) TransferInstance(ctx context.Context, req api.TransferInstanceRequestObject) (api.TransferInstanceResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.Instances.Transfer(ctx, id, req.OrganizationId, req.InstanceId, req.Body.TargetOrganizationId)
	if err != nil {
		return nil, err
	}
	return api.TransferInstance200JSONResponse(toInstance(in)), nil
}

func (s *Server) ListInstanceTransfers(ctx context.Context, req api.ListInstanceTransfersRequestObject) (api.ListInstanceTransfersResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.Instances.Transfers(ctx, id, req.OrganizationId, req.InstanceId)
	if err != nil {
		return nil, err
	}
	out := api.ListInstanceTransfers200JSONResponse{Items: make([]api.InstanceTransfer, len(list))}
	for i, t := range list {
		out.Items[i] = api.InstanceTransfer{Id: t.ID, InstanceId: t.InstanceID, FromOrganizationId: t.From, ToOrganizationId: t.To,
			TransferredBy: t.By, TransferredAt: t.At, OwnershipVersion: t.OwnershipVersion}
	}
	return out, nil
}

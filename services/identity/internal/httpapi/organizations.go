package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/flowkiwi/platform/pkg/precondition"

	"github.com/flowkiwi/platform/services/identity/internal/api"
	"github.com/flowkiwi/platform/services/identity/internal/organization"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
)

func toOrganization(o organization.Organization) api.Organization {
	out := api.Organization{
		Id: o.ID, Name: o.Name, IsActive: o.IsActive, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
		ExternalId: str(o.ExternalID), Address: str(o.Address), City: str(o.City), PostalCode: str(o.PostalCode),
		CountryCode: str(o.CountryCode), Phone: str(o.Phone), VatNumber: str(o.VATNumber), WebsiteUrl: str(o.WebsiteURL),
		BankInfo: nullable.NewNullNullable[api.BankInfo](),
	}
	if o.Email != nil {
		out.Email = nullable.NewNullableWithValue(openapi_types.Email(*o.Email))
	} else {
		out.Email = nullable.NewNullNullable[openapi_types.Email]()
	}
	if b := o.BankInfo; b != nil {
		out.BankInfo = nullable.NewNullableWithValue(api.BankInfo{
			AccountNumber: str(b.AccountNumber), BankName: str(b.BankName), Iban: str(b.IBAN), Swift: str(b.SWIFT),
		})
	}
	return out
}

func fromCreate(b api.OrganizationCreate) organization.Fields {
	f := organization.Fields{
		Name: b.Name, IsActive: b.IsActive == nil || *b.IsActive,
		ExternalID: ptr(b.ExternalId), Address: ptr(b.Address), City: ptr(b.City), PostalCode: ptr(b.PostalCode),
		CountryCode: ptr(b.CountryCode), Email: ptr(b.Email), Phone: ptr(b.Phone), VATNumber: ptr(b.VatNumber),
		WebsiteURL: ptr(b.WebsiteUrl),
	}
	if b.BankInfo.IsSpecified() && !b.BankInfo.IsNull() {
		bi := b.BankInfo.MustGet()
		f.BankInfo = &organization.BankInfo{AccountNumber: ptr(bi.AccountNumber), BankName: ptr(bi.BankName), IBAN: ptr(bi.Iban), SWIFT: ptr(bi.Swift)}
	}
	return f
}

func (s *Server) ListOrganizations(ctx context.Context, req api.ListOrganizationsRequestObject) (api.ListOrganizationsResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	q := organization.ListQuery{PartnerID: id, Page: page(p.PageNumber, p.PageSize), ExternalID: p.ExternalId}
	if p.SortBy != nil {
		q.SortBy = string(*p.SortBy)
	}
	q.Descending = p.SortDirection != nil && *p.SortDirection == "DESC"
	if p.Name != nil {
		q.Name = *p.Name
	}
	list, total, err := s.Organizations.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := api.ListOrganizations200JSONResponse{Items: make([]api.Organization, len(list)), Paging: paging(q.Page, total)}
	for i, o := range list {
		out.Items[i] = toOrganization(o)
	}
	return out, nil
}

func (s *Server) CreateOrganization(ctx context.Context, req api.CreateOrganizationRequestObject) (api.CreateOrganizationResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.Organizations.Create(ctx, id, fromCreate(*req.Body))
	if err != nil {
		return nil, err
	}
	loc := "/organizations/" + o.ID.String()
	return api.CreateOrganization201JSONResponse{Body: toOrganization(o), Headers: api.CreateOrganization201ResponseHeaders{ETag: precondition.ETag(o.Version), Location: &loc}}, nil
}

func (s *Server) GetOrganization(ctx context.Context, req api.GetOrganizationRequestObject) (api.GetOrganizationResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.Organizations.Get(ctx, id, req.OrganizationId)
	if err != nil {
		return nil, err
	}
	return api.GetOrganization200JSONResponse{Body: toOrganization(o), Headers: api.GetOrganization200ResponseHeaders{ETag: precondition.ETag(o.Version)}}, nil
}

func (s *Server) UpdateOrganization(ctx context.Context, req api.UpdateOrganizationRequestObject) (api.UpdateOrganizationResponseObject, error) {
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
	o, err := s.Organizations.Update(ctx, id, req.OrganizationId, patch, version)
	if err != nil {
		return nil, err
	}
	return api.UpdateOrganization200JSONResponse{Body: toOrganization(o), Headers: api.UpdateOrganization200ResponseHeaders{ETag: precondition.ETag(o.Version)}}, nil
}

func (s *Server) DeleteOrganization(ctx context.Context, req api.DeleteOrganizationRequestObject) (api.DeleteOrganizationResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	version, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.Organizations.Delete(ctx, id, req.OrganizationId, version); err != nil {
		return nil, err
	}
	return api.DeleteOrganization204Response{}, nil
}

func toMember(m organization.Member) api.Member {
	return api.Member{PartnerId: m.PartnerID, PartnerName: m.PartnerName, Role: api.RoleName(m.Role), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

func (s *Server) ListMembers(ctx context.Context, req api.ListMembersRequestObject) (api.ListMembersResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p := page(req.Params.PageNumber, req.Params.PageSize)
	list, total, err := s.Organizations.Members(ctx, id, req.OrganizationId, p)
	if err != nil {
		return nil, err
	}
	out := api.ListMembers200JSONResponse{Items: make([]api.Member, len(list)), Paging: paging(p, total)}
	for i, m := range list {
		out.Items[i] = toMember(m)
	}
	return out, nil
}

func (s *Server) PutMember(ctx context.Context, req api.PutMemberRequestObject) (api.PutMemberResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	m, created, err := s.Organizations.PutMember(ctx, id, req.OrganizationId, req.PartnerId, permission.Role(req.Body.Role))
	if err != nil {
		return nil, err
	}
	if created {
		return api.PutMember201JSONResponse(toMember(m)), nil
	}
	return api.PutMember200JSONResponse(toMember(m)), nil
}

func (s *Server) DeleteMember(ctx context.Context, req api.DeleteMemberRequestObject) (api.DeleteMemberResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.Organizations.RemoveMember(ctx, id, req.OrganizationId, req.PartnerId); err != nil {
		return nil, err
	}
	return api.DeleteMember204Response{}, nil
}

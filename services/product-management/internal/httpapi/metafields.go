package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

func definitionIRI(id uuid.UUID) string { return "/rest/api/metaobject_definitions/" + id.String() }
func metaobjectIRI(id uuid.UUID) string { return "/rest/api/metaobjects/" + id.String() }
func metafieldIRI(id uuid.UUID) string  { return "/rest/api/metafields/" + id.String() }

func renderDefinition(d catalog.MetaobjectDefinition, top bool) api.MetaobjectDefinition {
	out := api.MetaobjectDefinition{LdID: definitionIRI(d.ID), LdType: "MetaobjectDefinition", Id: d.ID, Type: d.Type, Name: text(d.Name),
		Fields: make([]api.MetaobjectFieldDefinition, len(d.Fields)), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	for i, f := range d.Fields {
		req := f.Required
		out.Fields[i] = api.MetaobjectFieldDefinition{Key: f.Key, Type: api.MetafieldType(f.Type), Required: &req}
		if f.Name != "" {
			name := f.Name
			out.Fields[i].Name = &name
		}
	}
	if top {
		out.LdContext = contextOf("MetaobjectDefinition")
	}
	return out
}

func renderMetaobject(m catalog.Metaobject, top bool) api.Metaobject {
	out := api.Metaobject{LdID: metaobjectIRI(m.ID), LdType: "Metaobject", Id: m.ID, Type: m.Type, Handle: m.Handle, Fields: m.Fields,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if out.Fields == nil {
		out.Fields = map[string]string{}
	}
	if top {
		out.LdContext = contextOf("Metaobject")
	}
	return out
}

func renderMetafield(m catalog.Metafield, objects map[uuid.UUID]catalog.Metaobject, top bool) api.Metafield {
	owner := productIRI(m.ProductID)
	if m.VariantID != nil {
		owner = variantIRI(*m.VariantID)
	}
	out := api.Metafield{LdID: metafieldIRI(m.ID), LdType: "Metafield", Id: m.ID, Owner: owner, Namespace: m.Namespace, Key: m.Key,
		Type: api.MetafieldType(m.Type), Value: m.Value, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if objects != nil && len(m.References) > 0 {
		embedded := []api.Metaobject{}
		for _, id := range m.References {
			if o, ok := objects[id]; ok {
				embedded = append(embedded, renderMetaobject(o, false))
			}
		}
		out.Metaobjects = &embedded
	}
	if top {
		out.LdContext = contextOf("Metafield")
	}
	return out
}

func fieldDefinitions(in []api.MetaobjectFieldDefinition) []catalog.FieldDefinition {
	out := make([]catalog.FieldDefinition, len(in))
	for i, f := range in {
		out[i] = catalog.FieldDefinition{Key: f.Key, Type: string(f.Type), Required: f.Required != nil && *f.Required}
		if f.Name != nil {
			out[i].Name = *f.Name
		}
	}
	return out
}

// ---- definitions ----

func (s *Server) ListMetaobjectDefinitions(ctx context.Context, req api.ListMetaobjectDefinitionsRequestObject) (api.ListMetaobjectDefinitionsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Store().Definitions(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView("/rest/api/metaobject_definitions", requestQuery(ctx), page, per, total)
	out := api.ListMetaobjectDefinitions200ApplicationLdPlusJSONResponse{LdContext: contextOf("MetaobjectDefinition"), LdID: "/rest/api/metaobject_definitions",
		LdType: "Collection", TotalItems: total, Member: []api.MetaobjectDefinition{}, View: &view}
	for _, d := range list {
		out.Member = append(out.Member, renderDefinition(d, false))
	}
	return out, nil
}

func (s *Server) GetMetaobjectDefinition(ctx context.Context, req api.GetMetaobjectDefinitionRequestObject) (api.GetMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	d, err := s.Catalog.Store().DefinitionByID(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMetaobjectDefinition200ApplicationLdPlusJSONResponse(renderDefinition(d, true)), nil
}

func (s *Server) CreateMetaobjectDefinition(ctx context.Context, req api.CreateMetaobjectDefinitionRequestObject) (api.CreateMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	fields := fieldDefinitions(b.Fields)
	d, err := catalog.ApplyDefinition(catalog.MetaobjectDefinition{}, &b.Type, ptr(b.Name), false, &fields)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveDefinition(ctx, t.InstanceID, d, true); err != nil {
		return nil, err
	}
	if d, err = s.Catalog.Store().DefinitionByID(ctx, t.InstanceID, d.ID); err != nil {
		return nil, err
	}
	iri := definitionIRI(d.ID)
	return api.CreateMetaobjectDefinition201ApplicationLdPlusJSONResponse{Body: renderDefinition(d, true), Headers: api.CreateMetaobjectDefinition201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateMetaobjectDefinition(ctx context.Context, req api.UpdateMetaobjectDefinitionRequestObject) (api.UpdateMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	cur, err := s.Catalog.Store().DefinitionByID(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	var fields *[]catalog.FieldDefinition
	if req.Body.Fields != nil {
		f := fieldDefinitions(*req.Body.Fields)
		fields = &f
	}
	name, clear := patchText(req.Body.Name)
	d, err := catalog.ApplyDefinition(cur, nil, name, clear, fields)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveDefinition(ctx, t.InstanceID, d, false); err != nil {
		return nil, err
	}
	if d, err = s.Catalog.Store().DefinitionByID(ctx, t.InstanceID, d.ID); err != nil {
		return nil, err
	}
	return api.UpdateMetaobjectDefinition200ApplicationLdPlusJSONResponse(renderDefinition(d, true)), nil
}

func (s *Server) DeleteMetaobjectDefinition(ctx context.Context, req api.DeleteMetaobjectDefinitionRequestObject) (api.DeleteMetaobjectDefinitionResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteDefinition(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMetaobjectDefinition204Response{}, nil
}

// ---- metaobjects ----

func (s *Server) metaobject(ctx context.Context, instance, id uuid.UUID) (catalog.Metaobject, error) {
	list, err := s.Catalog.Store().MetaobjectsByID(ctx, instance, []uuid.UUID{id})
	return first(list, err, "no such metaobject")
}

func (s *Server) ListMetaobjects(ctx context.Context, req api.ListMetaobjectsRequestObject) (api.ListMetaobjectsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Store().Metaobjects(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView("/rest/api/metaobjects", requestQuery(ctx), page, per, total)
	out := api.ListMetaobjects200ApplicationLdPlusJSONResponse{LdContext: contextOf("Metaobject"), LdID: "/rest/api/metaobjects", LdType: "Collection",
		TotalItems: total, Member: []api.Metaobject{}, View: &view}
	for _, m := range list {
		out.Member = append(out.Member, renderMetaobject(m, false))
	}
	return out, nil
}

func (s *Server) GetMetaobject(ctx context.Context, req api.GetMetaobjectRequestObject) (api.GetMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	m, err := s.metaobject(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMetaobject200ApplicationLdPlusJSONResponse(renderMetaobject(m, true)), nil
}

func (s *Server) CreateMetaobject(ctx context.Context, req api.CreateMetaobjectRequestObject) (api.CreateMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	b, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	def, err := s.Catalog.Store().DefinitionByType(ctx, t.InstanceID, b.Type)
	if fault.Is(err, fault.KindNotFound) {
		return nil, fault.Invalid("type", "unknown_type", "no metaobject definition of this type in this instance")
	}
	if err != nil {
		return nil, err
	}
	m, err := s.Catalog.BuildMetaobject(ctx, t.InstanceID, catalog.Metaobject{ID: uuid.New(), DefinitionID: def.ID, Type: def.Type, Handle: b.Handle, Fields: b.Fields}, def)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveMetaobject(ctx, t.InstanceID, m, true); err != nil {
		return nil, err
	}
	if m, err = s.metaobject(ctx, t.InstanceID, m.ID); err != nil {
		return nil, err
	}
	iri := metaobjectIRI(m.ID)
	return api.CreateMetaobject201ApplicationLdPlusJSONResponse{Body: renderMetaobject(m, true), Headers: api.CreateMetaobject201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateMetaobject(ctx context.Context, req api.UpdateMetaobjectRequestObject) (api.UpdateMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	cur, err := s.metaobject(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	if req.Body.Fields != nil {
		def, err := s.Catalog.Store().DefinitionByID(ctx, t.InstanceID, cur.DefinitionID)
		if err != nil {
			return nil, err
		}
		cur.Fields = *req.Body.Fields
		if cur, err = s.Catalog.BuildMetaobject(ctx, t.InstanceID, cur, def); err != nil {
			return nil, err
		}
		if err := s.Catalog.Store().SaveMetaobject(ctx, t.InstanceID, cur, false); err != nil {
			return nil, err
		}
	}
	m, err := s.metaobject(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.UpdateMetaobject200ApplicationLdPlusJSONResponse(renderMetaobject(m, true)), nil
}

func (s *Server) DeleteMetaobject(ctx context.Context, req api.DeleteMetaobjectRequestObject) (api.DeleteMetaobjectResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteMetaobject(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMetaobject204Response{}, nil
}

// ---- metafields ----

func (s *Server) metafield(ctx context.Context, instance, id uuid.UUID) (catalog.Metafield, error) {
	list, err := s.Catalog.Store().MetafieldsByID(ctx, instance, []uuid.UUID{id})
	return first(list, err, "no such metafield")
}

func (s *Server) ListMetafields(ctx context.Context, req api.ListMetafieldsRequestObject) (api.ListMetafieldsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	list, total, err := s.Catalog.Store().Metafields(ctx, t.InstanceID, page, per)
	if err != nil {
		return nil, err
	}
	view := pageView("/rest/api/metafields", requestQuery(ctx), page, per, total)
	out := api.ListMetafields200ApplicationLdPlusJSONResponse{LdContext: contextOf("Metafield"), LdID: "/rest/api/metafields", LdType: "Collection",
		TotalItems: total, Member: []api.Metafield{}, View: &view}
	for _, m := range list {
		out.Member = append(out.Member, renderMetafield(m, nil, false))
	}
	return out, nil
}

func (s *Server) GetMetafield(ctx context.Context, req api.GetMetafieldRequestObject) (api.GetMetafieldResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	m, err := s.metafield(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetMetafield200ApplicationLdPlusJSONResponse(renderMetafield(m, nil, true)), nil
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
	m, err := s.Catalog.BuildMetafield(ctx, t.InstanceID, b.Owner, b.Namespace, b.Key, string(b.Type), b.Value)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().SaveMetafield(ctx, t.InstanceID, m, true); err != nil {
		return nil, err
	}
	if m, err = s.metafield(ctx, t.InstanceID, m.ID); err != nil {
		return nil, err
	}
	iri := metafieldIRI(m.ID)
	return api.CreateMetafield201ApplicationLdPlusJSONResponse{Body: renderMetafield(m, nil, true), Headers: api.CreateMetafield201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateMetafield(ctx context.Context, req api.UpdateMetafieldRequestObject) (api.UpdateMetafieldResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	m, err := s.metafield(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	if req.Body.Value != nil {
		if m, err = s.Catalog.ChangeMetafieldValue(ctx, t.InstanceID, m, *req.Body.Value); err != nil {
			return nil, err
		}
		if err := s.Catalog.Store().SaveMetafield(ctx, t.InstanceID, m, false); err != nil {
			return nil, err
		}
		if m, err = s.metafield(ctx, t.InstanceID, m.ID); err != nil {
			return nil, err
		}
	}
	return api.UpdateMetafield200ApplicationLdPlusJSONResponse(renderMetafield(m, nil, true)), nil
}

func (s *Server) DeleteMetafield(ctx context.Context, req api.DeleteMetafieldRequestObject) (api.DeleteMetafieldResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteMetafield(ctx, t.InstanceID, req.Id); err != nil {
		return nil, err
	}
	return api.DeleteMetafield204Response{}, nil
}

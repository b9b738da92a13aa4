package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/oapi-codegen/nullable"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/api"
)

// ListServiceChanges serves the change stream to a service credential (changestream).
func (s *Server) ListServiceChanges(ctx context.Context, req api.ListServiceChangesRequestObject) (api.ListServiceChangesResponseObject, error) {
	p, ok := accesstoken.FromContext(ctx)
	if !ok {
		return nil, fault.Unauthenticated("a bearer token is required")
	}
	var after int64
	if req.Params.After != nil {
		after = *req.Params.After
	}
	limit, wait := 100, 0
	if req.Params.Limit != nil {
		limit = *req.Params.Limit
	}
	if req.Params.Wait != nil {
		wait = *req.Params.Wait
	}
	page, err := s.Changes.Read(ctx, p.Scopes, after, limit, time.Duration(wait)*time.Second)
	if err != nil {
		return nil, err
	}
	out := api.ListServiceChanges200JSONResponse{Items: make([]api.ServiceChange, len(page.Changes)), Head: page.Head}
	for i, c := range page.Changes {
		var data map[string]any
		if err := json.Unmarshal(c.Data, &data); err != nil {
			return nil, err
		}
		if data == nil {
			data = map[string]any{}
		}
		item := api.ServiceChange{Position: c.Position, Id: c.ID, Type: c.Type, SubjectId: c.Subject,
			OccurredAt: c.At, Data: data, OrganizationId: nullable.NewNullNullable[openapi_types.UUID](), ClientId: nullable.NewNullNullable[string]()}
		if c.Organization != nil {
			item.OrganizationId = nullable.NewNullableWithValue(*c.Organization)
		}
		if c.Client != nil {
			item.ClientId = nullable.NewNullableWithValue(*c.Client)
		}
		out.Items[i] = item
	}
	return out, nil
}

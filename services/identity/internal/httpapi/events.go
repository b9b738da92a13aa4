package httpapi

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/api"
	"github.com/flowkiwi/platform/services/identity/internal/event"
	"github.com/flowkiwi/platform/services/identity/internal/instance"
	"github.com/flowkiwi/platform/services/identity/internal/organization"
)

// EncodeEvent renders an event's resource as the API shows it; the domain calls it inside the
// change's transaction.
func EncodeEvent(resource any) (json.RawMessage, error) {
	switch r := resource.(type) {
	case instance.Instance:
		return json.Marshal(toInstance(r))
	case organization.Member:
		return json.Marshal(toMember(r))
	}
	return nil, fmt.Errorf("httpapi: no event rendering for %T", resource)
}

func (s *Server) ListOrganizationEvents(ctx context.Context, req api.ListOrganizationEventsRequestObject) (api.ListOrganizationEventsResponseObject, error) {
	id, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var after event.Position
	if req.Params.After != nil {
		var ok bool
		if after, ok = eventfeed.ParseCursor(*req.Params.After); !ok {
			return nil, &fault.Error{Kind: fault.KindBadRequest, Detail: "after: not a next_cursor of this feed",
				Violations: []fault.Violation{{Path: "query.after", Code: "invalid_cursor", Message: "not a next_cursor of this feed"}}}
		}
	}
	limit := event.MaxPage
	if req.Params.PageSize != nil {
		limit = *req.Params.PageSize
	}
	list, err := s.Events.List(ctx, id, req.OrganizationId, after, limit)
	if err != nil {
		return nil, err
	}
	out := api.ListOrganizationEvents200JSONResponse{Items: make([]api.OrganizationEvent, len(list)), NextCursor: eventfeed.Cursor(after)}
	for i, e := range list {
		var data map[string]any
		if err := json.Unmarshal(e.Data, &data); err != nil {
			return nil, err
		}
		out.Items[i] = api.OrganizationEvent{Id: e.ID, Type: api.OrganizationEventType(e.Type), OrganizationId: e.Organization,
			SubjectId: e.Subject, ActorId: e.Actor, OccurredAt: e.At, Data: data}
	}
	if len(list) > 0 {
		out.NextCursor = eventfeed.Cursor(list[len(list)-1].Position)
	}
	return out, nil
}

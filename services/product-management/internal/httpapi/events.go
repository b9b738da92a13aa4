package httpapi

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/render"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

func (s *Server) ListEvents(ctx context.Context, req api.ListEventsRequestObject) (api.ListEventsResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	p := req.Params
	q := catalog.EventQuery{CreatedAfter: p.CreatedAtAfter, Limit: catalog.MaxEventsPerPage}
	if p.ItemsPerPage != nil {
		q.Limit = *p.ItemsPerPage
	}
	if p.Cursor != nil {
		pos, ok := eventfeed.ParseCursor(*p.Cursor)
		if !ok {
			return nil, badQuery("cursor", "not a cursor from view.next")
		}
		q.After = &pos
	}
	if p.Type != nil {
		known := catalog.EventTypes()
		for _, typ := range strings.Split(*p.Type, ",") {
			typ = strings.TrimSpace(typ)
			if !slices.Contains(known, typ) {
				return nil, badQuery("type", "unknown event type "+strconv.Quote(typ)+"; types are {resource}.{created|updated|deleted}")
			}
			q.Types = append(q.Types, typ)
		}
	}
	list, err := s.Catalog.Events(ctx, t.InstanceID, q)
	if err != nil {
		return nil, err
	}
	query := requestQuery(ctx)
	self := iri.Events.Path()
	if len(query) > 0 {
		self += "?" + query.Encode()
	}
	view := api.HydraView{LdID: self, LdType: "PartialCollectionView"}
	// The feed has no end: next is where to ask again, after the last event seen.
	next := self
	if len(list) > 0 {
		v := cloneValues(query)
		v.Set("cursor", eventfeed.Cursor(list[len(list)-1].Position))
		next = iri.Events.Path() + "?" + v.Encode()
	}
	view.Next = &next
	out := api.ListEvents200ApplicationLdPlusJSONResponse{LdContext: render.Context("Event"), LdID: iri.Events.Path(), LdType: hydraCollection,
		Member: make([]api.Event, len(list)), View: view}
	for i, e := range list {
		out.Member[i] = render.Event(e, t.InstanceID, false)
	}
	return out, nil
}

func (s *Server) GetEvent(ctx context.Context, req api.GetEventRequestObject) (api.GetEventResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	e, err := s.Catalog.Event(ctx, t.InstanceID, req.Id)
	if err != nil {
		return nil, err
	}
	return api.GetEvent200ApplicationLdPlusJSONResponse(render.Event(e, t.InstanceID, true)), nil
}

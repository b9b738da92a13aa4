package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/services/product-management/internal/api"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// kindResource is where a kind's resources live and their JSON-LD type.
var kindResource = map[catalog.Kind]struct {
	collection iri.Collection
	typ        string
}{
	catalog.KindProduct:     {iri.Products, "Product"},
	catalog.KindVariant:     {iri.Variants, "Variant"},
	catalog.KindOption:      {iri.ProductOptions, "ProductOption"},
	catalog.KindOptionValue: {iri.OptionValues, "OptionValue"},
	catalog.KindPrice:       {iri.Prices, "Price"},
	catalog.KindMedia:       {iri.Medias, "Media"},
	catalog.KindCollection:  {iri.Collections, "Collection"},
	catalog.KindCategory:    {iri.Categories, "Category"},
	catalog.KindAttribute:   {iri.Attributes, "Attribute"},
	catalog.KindChannel:     {iri.Channels, "Channel"},
	catalog.KindMetafield:   {iri.Metafields, "Metafield"},
	catalog.KindMetaobject:  {iri.Metaobjects, "Metaobject"},
	catalog.KindDefinition:  {iri.MetaobjectDefinitions, "MetaobjectDefinition"},
	catalog.KindLocale:      {iri.Locales, "Locale"},
}

// EncodeEvent renders a change as its event's data: the resource as the change's response showed
// it (with its @context), or for a delete its @id and @type. The catalog calls it inside the
// change's transaction.
func EncodeEvent(c catalog.Change) (json.RawMessage, error) {
	var doc any
	switch r := c.Resource.(type) {
	case nil:
		kr, ok := kindResource[c.Kind]
		if !ok {
			return nil, fmt.Errorf("httpapi: no resource kind %q", c.Kind)
		}
		doc = struct {
			ID   string `json:"@id"`
			Type string `json:"@type"`
		}{kr.collection.OfCode(c.ID), kr.typ}
	case catalog.View:
		doc = renderer{r}.product(r.Products[0], true)
	case catalog.CreatedProduct:
		return createdProductEvent(r)
	case catalog.VariantOf:
		doc = renderer{r.View}.variant(r.Variant, nil, true)
	case catalog.Option:
		doc = renderer{}.option(r, true)
	case catalog.OptionValue:
		doc = renderValue(r, true)
	case price.Row:
		doc = renderPrice(r, true)
	case catalog.Media:
		doc = renderMedia(r, true)
	case catalog.Collection:
		doc = renderCollection(r, true)
	case catalog.Category:
		doc = renderCategory(r, true)
	case catalog.Attribute:
		doc = renderAttribute(r, true)
	case catalog.Channel:
		doc = renderChannel(r, true)
	case catalog.Metafield:
		doc = renderMetafield(r, nil, true)
	case catalog.Metaobject:
		doc = renderMetaobject(r, true)
	case catalog.MetaobjectDefinition:
		doc = renderDefinition(r, true)
	case catalog.Locale:
		doc = renderLocale(r, true)
	default:
		return nil, fmt.Errorf("httpapi: no event rendering for %T", c.Resource)
	}
	return json.Marshal(doc)
}

// createdProductEvent renders a product.created: the product with its options, values and
// variants embedded (expand=variants,options,optionValues), each variant with the prices created
// with it as `prices` (each as GET /rest/api/prices/{id} shows it), so one event holds the
// product's whole graph.
func createdProductEvent(c catalog.CreatedProduct) (json.RawMessage, error) {
	v := c.View
	v.Expand = catalog.Expand{Variants: true, Options: true, OptionValues: true}
	doc := renderer{v}.product(v.Products[0], true)
	prices := map[uuid.UUID][]api.Price{}
	for _, r := range c.Prices {
		prices[r.VariantID] = append(prices[r.VariantID], renderPrice(r, false))
	}
	for i, x := range doc.Variants {
		if vr, ok := x.(api.Variant); ok {
			doc.Variants[i] = pricedVariant{Variant: vr, Prices: append([]api.Price{}, prices[vr.Id]...)}
		}
	}
	return json.Marshal(doc)
}

// pricedVariant is a variant of a product.created, with the prices created with it.
type pricedVariant struct {
	api.Variant
	Prices []api.Price `json:"prices"`
}

// EventPayload is a webhook delivery's body: the event as the feed shows it, without @context.
func EventPayload(e catalog.Event, instance uuid.UUID) any { return renderEvent(e, instance, false) }

func renderEvent(e catalog.Event, instance uuid.UUID, top bool) api.Event {
	var doc struct {
		ID string `json:"@id"`
	}
	_ = json.Unmarshal(e.Data, &doc)
	out := api.Event{LdID: iri.Events.Of(e.ID), LdType: "Event", Id: e.ID, Type: e.Type, Timestamp: e.CreatedAt, Instance: instance,
		Resource: doc.ID, ResourceVersion: e.ResourceVersion, Data: e.Data}
	if top {
		out.LdContext = contextOf("Event")
	}
	return out
}

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
	out := api.ListEvents200ApplicationLdPlusJSONResponse{LdContext: contextOf("Event"), LdID: iri.Events.Path(), LdType: hydraCollection,
		Member: make([]api.Event, len(list)), View: view}
	for i, e := range list {
		out.Member[i] = renderEvent(e, t.InstanceID, false)
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
	return api.GetEvent200ApplicationLdPlusJSONResponse(renderEvent(e, t.InstanceID, true)), nil
}

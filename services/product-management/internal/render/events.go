package render

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

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
		doc = Renderer{r}.Product(r.Products[0], true)
	case catalog.CreatedProduct:
		return createdProductEvent(r)
	case catalog.VariantOf:
		doc = Renderer{r.View}.Variant(r.Variant, nil, true)
	case catalog.Option:
		doc = Renderer{}.Option(r, true)
	case catalog.OptionValue:
		doc = OptionValue(r, true)
	case price.Row:
		doc = Price(r, true)
	case catalog.Media:
		doc = Media(r, true)
	case catalog.Collection:
		doc = Collection(r, true)
	case catalog.Category:
		doc = Category(r, true)
	case catalog.Attribute:
		doc = Attribute(r, true)
	case catalog.Channel:
		doc = Channel(r, true)
	case catalog.Metafield:
		doc = Metafield(r, nil, true)
	case catalog.Metaobject:
		doc = Metaobject(r, true)
	case catalog.MetaobjectDefinition:
		doc = Definition(r, true)
	case catalog.Locale:
		doc = Locale(r, true)
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
	doc := Renderer{v}.Product(v.Products[0], true)
	prices := map[uuid.UUID][]api.Price{}
	for _, r := range c.Prices {
		prices[r.VariantID] = append(prices[r.VariantID], Price(r, false))
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
func EventPayload(e catalog.Event, instance uuid.UUID) any { return Event(e, instance, false) }

func Event(e catalog.Event, instance uuid.UUID, top bool) api.Event {
	var doc struct {
		ID string `json:"@id"`
	}
	_ = json.Unmarshal(e.Data, &doc)
	out := api.Event{LdID: iri.Events.Of(e.ID), LdType: "Event", Id: e.ID, Type: e.Type, Timestamp: e.CreatedAt, Instance: instance,
		Resource: doc.ID, ResourceVersion: e.ResourceVersion, Data: e.Data}
	if top {
		out.LdContext = Context("Event")
	}
	return out
}

package httpapi

import (
	"encoding/json"
	"fmt"

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

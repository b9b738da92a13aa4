package httpapi

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

func text(p *string) nullable.Nullable[string] {
	if p == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(*p)
}

func intOrNull(p *int) nullable.Nullable[int] {
	if p == nil {
		return nullable.NewNullNullable[int]()
	}
	return nullable.NewNullableWithValue(*p)
}

func timeOrNull(t time.Time) nullable.Nullable[time.Time] {
	if t.IsZero() {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t)
}

// renderer turns a catalog view into JSON-LD documents; top marks the document's root (which alone
// carries @context).
type renderer struct{ catalog.View }

// metafields renders a product's or variant's metafields: IRIs, or embedded with expand=metafields.
func (r renderer) metafields(fields []catalog.Metafield) *[]api.MetafieldOrIri {
	out := make([]api.MetafieldOrIri, len(fields))
	objects := r.Metaobjects
	if objects == nil && r.Expand.Metaobject {
		objects = map[uuid.UUID]catalog.Metaobject{}
	}
	for i, f := range fields {
		if r.Expand.Metafields {
			out[i] = renderMetafield(f, objects, false)
		} else {
			out[i] = iri.Metafields.Of(f.ID)
		}
	}
	return &out
}

// mediaList renders a product's or variant's medias: embedded when loaded (expand=medias), IRIs
// otherwise.
func (r renderer) mediaList(ids []uuid.UUID) *[]api.MediaOrIri {
	out := make([]api.MediaOrIri, len(ids))
	for i, id := range ids {
		if m, ok := r.Medias[id]; ok {
			out[i] = renderMedia(m, false)
		} else {
			out[i] = iri.Medias.Of(id)
		}
	}
	return &out
}

func (r renderer) product(p catalog.Product, top bool) api.Product {
	out := api.Product{
		LdID: iri.Products.Of(p.ID), LdType: "Product", Id: p.ID, Status: iri.Statuses.OfCode(string(p.Status)),
		Key: text(p.Key), Vendor: text(p.Vendor), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Variants: make([]api.VariantOrIri, len(p.Variants)), Options: make([]api.ProductOptionOrIri, len(p.Options)),
	}
	productTextsOut.write(&out, p.ProductTexts, false)
	if top {
		out.LdContext = contextOf("Product")
	}
	out.Tags = nullable.NewNullNullable[string]()
	if len(p.Tags) > 0 {
		out.Tags = nullable.NewNullableWithValue(strings.Join(p.Tags, ","))
	}
	var values map[uuid.UUID]catalog.OptionValue
	if r.Expand.Variants && r.Expand.OptionValues {
		values = catalog.OptionValues(p)
	}
	for i, v := range p.Variants {
		if r.Expand.Variants {
			out.Variants[i] = r.variant(v, values, false)
		} else {
			out.Variants[i] = iri.Variants.Of(v.ID)
		}
	}
	for i, o := range p.Options {
		if r.Expand.Options {
			out.Options[i] = r.option(o, false)
		} else {
			out.Options[i] = iri.ProductOptions.Of(o.ID)
		}
	}
	channels := make([]api.ChannelOrIri, len(p.Channels))
	for i, id := range p.Channels {
		if c, ok := r.Channels[id]; ok {
			channels[i] = renderChannel(c, false)
		} else {
			channels[i] = iri.Channels.Of(id)
		}
	}
	out.Channels = &channels
	collections := make([]api.CollectionOrIri, len(p.Collections))
	for i, id := range p.Collections {
		if c, ok := r.Collections[id]; ok {
			collections[i] = renderCollection(c, false)
		} else {
			collections[i] = iri.Collections.Of(id)
		}
	}
	out.Collections = &collections
	out.Medias = r.mediaList(p.Medias)
	var category api.Product_Category
	switch c, embedded := r.Categories[deref(p.Category)]; {
	case p.Category == nil:
		_ = category.UnmarshalJSON([]byte("null"))
	case embedded:
		_ = category.FromCategory(renderCategory(c, false))
	default:
		_ = category.FromNullableIri(iri.Categories.Of(*p.Category))
	}
	out.Category = &category
	attributeValues := renderValues(p.Values)
	out.AttributeValues = &attributeValues
	if r.ProductFields != nil {
		out.Metafields = r.metafields(r.ProductFields[p.ID])
	}
	return out
}

// variant renders a variant; values (when not nil) embeds its option values.
func (r renderer) variant(v catalog.Variant, values map[uuid.UUID]catalog.OptionValue, top bool) api.Variant {
	out := api.Variant{
		LdID: iri.Variants.Of(v.ID), LdType: "Variant", Id: v.ID, Sku: v.SKU, Title: text(v.Title), Barcode: text(v.Barcode),
		Position: v.Position, Product: iri.Products.Of(v.ProductID), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		OptionValues: make([]api.OptionValueOrIri, len(v.OptionValueIDs)),
	}
	if top {
		out.LdContext = contextOf("Variant")
	}
	for i, id := range v.OptionValueIDs {
		if ov, ok := values[id]; ok {
			out.OptionValues[i] = renderValue(ov, false)
		} else {
			out.OptionValues[i] = iri.OptionValues.Of(id)
		}
	}
	priceFields(&out, v)
	out.Medias = r.mediaList(v.Medias)
	if r.VariantFields != nil {
		out.Metafields = r.metafields(r.VariantFields[v.ID])
	}
	return out
}

func (r renderer) option(o catalog.Option, top bool) api.ProductOption {
	out := api.ProductOption{
		LdID: iri.ProductOptions.Of(o.ID), LdType: "ProductOption", Id: o.ID, Name: text(o.Name), Position: o.Position,
		Product: iri.Products.Of(o.ProductID), Values: make([]api.OptionValueOrIri, len(o.Values)),
	}
	if top {
		out.LdContext = contextOf("ProductOption")
	}
	for i, v := range o.Values {
		if r.Expand.OptionValues {
			out.Values[i] = renderValue(v, false)
		} else {
			out.Values[i] = iri.OptionValues.Of(v.ID)
		}
	}
	return out
}

func renderValue(v catalog.OptionValue, top bool) api.OptionValue {
	out := api.OptionValue{LdID: iri.OptionValues.Of(v.ID), LdType: "OptionValue", Id: v.ID, Value: text(v.Value), Position: v.Position,
		Option: iri.ProductOptions.Of(v.OptionID)}
	if top {
		out.LdContext = contextOf("OptionValue")
	}
	return out
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

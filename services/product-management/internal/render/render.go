// Package render turns catalog values into the API's JSON-LD documents (the generated api types):
// the HTTP layer's responses and the events' data are one rendering. The catalog records events
// through its Encoder, which app wires to EncodeEvent here, so the domain never calls the HTTP
// layer; a product update's response is the bytes its event recorded (catalog.View.Encoded).
// top marks a document's root, which alone carries @context.
package render

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

// Text is an optional text as the API writes it: null when missing.
func Text(p *string) nullable.Nullable[string] {
	if p == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(*p)
}

// IntOrNull is an optional number, null when missing.
func IntOrNull(p *int) nullable.Nullable[int] {
	if p == nil {
		return nullable.NewNullNullable[int]()
	}
	return nullable.NewNullableWithValue(*p)
}

// TimeOrNull is a time, null when zero.
func TimeOrNull(t time.Time) nullable.Nullable[time.Time] {
	if t.IsZero() {
		return nullable.NewNullNullable[time.Time]()
	}
	return nullable.NewNullableWithValue(t)
}

// Renderer renders the products of a view and what they embed as the view's Expand says.
type Renderer struct{ catalog.View }

// Of is the renderer of view v.
func Of(v catalog.View) Renderer { return Renderer{v} }

// metafields renders a product's or variant's metafields: IRIs, or embedded with expand=metafields.
func (r Renderer) Metafields(fields []catalog.Metafield) *[]api.MetafieldOrIri {
	out := make([]api.MetafieldOrIri, len(fields))
	objects := r.Metaobjects
	if objects == nil && r.Expand.Metaobject {
		objects = map[uuid.UUID]catalog.Metaobject{}
	}
	for i, f := range fields {
		if r.Expand.Metafields {
			out[i] = Metafield(f, objects, false)
		} else {
			out[i] = iri.Metafields.Of(f.ID)
		}
	}
	return &out
}

// mediaList renders a product's or variant's medias: embedded when loaded (expand=medias), IRIs
// otherwise.
func (r Renderer) MediaList(ids []uuid.UUID) *[]api.MediaOrIri {
	out := make([]api.MediaOrIri, len(ids))
	for i, id := range ids {
		if m, ok := r.Medias[id]; ok {
			out[i] = Media(m, false)
		} else {
			out[i] = iri.Medias.Of(id)
		}
	}
	return &out
}

func (r Renderer) Product(p catalog.Product, top bool) api.Product {
	out := api.Product{
		LdID: iri.Products.Of(p.ID), LdType: "Product", Id: p.ID, Status: iri.Statuses.OfCode(string(p.Status)),
		Key: Text(p.Key), Vendor: Text(p.Vendor), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Variants: make([]api.VariantOrIri, len(p.Variants)), Options: make([]api.ProductOptionOrIri, len(p.Options)),
	}
	productTextsOut.Write(&out, p.ProductTexts, false)
	if top {
		out.LdContext = Context("Product")
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
			out.Variants[i] = r.Variant(v, values, false)
		} else {
			out.Variants[i] = iri.Variants.Of(v.ID)
		}
	}
	for i, o := range p.Options {
		if r.Expand.Options {
			out.Options[i] = r.Option(o, false)
		} else {
			out.Options[i] = iri.ProductOptions.Of(o.ID)
		}
	}
	channels := make([]api.ChannelOrIri, len(p.Channels))
	for i, id := range p.Channels {
		if c, ok := r.Channels[id]; ok {
			channels[i] = Channel(c, false)
		} else {
			channels[i] = iri.Channels.Of(id)
		}
	}
	out.Channels = &channels
	collections := make([]api.CollectionOrIri, len(p.Collections))
	for i, id := range p.Collections {
		if c, ok := r.Collections[id]; ok {
			collections[i] = Collection(c, false)
		} else {
			collections[i] = iri.Collections.Of(id)
		}
	}
	out.Collections = &collections
	out.Medias = r.MediaList(p.Medias)
	var category api.Product_Category
	switch c, embedded := r.Categories[deref(p.Category)]; {
	case p.Category == nil:
		_ = category.UnmarshalJSON([]byte("null"))
	case embedded:
		_ = category.FromCategory(Category(c, false))
	default:
		_ = category.FromNullableIri(iri.Categories.Of(*p.Category))
	}
	out.Category = &category
	attributeValues := AttributeValues(p.Values)
	out.AttributeValues = &attributeValues
	if r.ProductFields != nil {
		out.Metafields = r.Metafields(r.ProductFields[p.ID])
	}
	return out
}

// variant renders a variant; values (when not nil) embeds its option values.
func (r Renderer) Variant(v catalog.Variant, values map[uuid.UUID]catalog.OptionValue, top bool) api.Variant {
	out := api.Variant{
		LdID: iri.Variants.Of(v.ID), LdType: "Variant", Id: v.ID, Sku: v.SKU, Title: Text(v.Title), Barcode: Text(v.Barcode),
		Position: v.Position, Product: iri.Products.Of(v.ProductID), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		OptionValues: make([]api.OptionValueOrIri, len(v.OptionValueIDs)),
	}
	if top {
		out.LdContext = Context("Variant")
	}
	for i, id := range v.OptionValueIDs {
		if ov, ok := values[id]; ok {
			out.OptionValues[i] = OptionValue(ov, false)
		} else {
			out.OptionValues[i] = iri.OptionValues.Of(id)
		}
	}
	PriceFields(&out, v)
	out.Medias = r.MediaList(v.Medias)
	if r.VariantFields != nil {
		out.Metafields = r.Metafields(r.VariantFields[v.ID])
	}
	return out
}

func (r Renderer) Option(o catalog.Option, top bool) api.ProductOption {
	out := api.ProductOption{
		LdID: iri.ProductOptions.Of(o.ID), LdType: "ProductOption", Id: o.ID, Name: Text(o.Name), Position: o.Position,
		Product: iri.Products.Of(o.ProductID), Values: make([]api.OptionValueOrIri, len(o.Values)),
	}
	if top {
		out.LdContext = Context("ProductOption")
	}
	for i, v := range o.Values {
		if r.Expand.OptionValues {
			out.Values[i] = OptionValue(v, false)
		} else {
			out.Values[i] = iri.OptionValues.Of(v.ID)
		}
	}
	return out
}

func OptionValue(v catalog.OptionValue, top bool) api.OptionValue {
	out := api.OptionValue{LdID: iri.OptionValues.Of(v.ID), LdType: "OptionValue", Id: v.ID, Value: Text(v.Value), Position: v.Position,
		Option: iri.ProductOptions.Of(v.OptionID)}
	if top {
		out.LdContext = Context("OptionValue")
	}
	return out
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

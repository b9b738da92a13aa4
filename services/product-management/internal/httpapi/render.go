package httpapi

import (
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// IRIs of the resources.
func productIRI(id uuid.UUID) string     { return "/rest/api/products/" + id.String() }
func variantIRI(id uuid.UUID) string     { return "/rest/api/variants/" + id.String() }
func optionIRI(id uuid.UUID) string      { return "/rest/api/product_options/" + id.String() }
func optionValueIRI(id uuid.UUID) string { return "/rest/api/option_values/" + id.String() }
func statusIRI(s catalog.Status) string  { return "/rest/api/statuses/" + string(s) }
func localeIRI(code string) string       { return "/rest/api/locales/" + code }

func contextOf(typ string) *string {
	s := "/rest/api/contexts/" + typ
	return &s
}

func text(p *string) nullable.Nullable[string] {
	if p == nil {
		return nullable.NewNullNullable[string]()
	}
	return nullable.NewNullableWithValue(*p)
}

// renderer turns catalog values into JSON-LD documents; top marks the document's root (which alone
// carries @context).
type renderer struct {
	expand      catalog.Expand
	channels    map[uuid.UUID]catalog.Channel    // with expand=channels
	collections map[uuid.UUID]catalog.Collection // with expand=collections
	medias      map[uuid.UUID]catalog.Media      // with expand=medias
	categories  map[uuid.UUID]catalog.Category   // with expand=category
	// metafields of the products and variants being rendered; metaobjects with expand=metaobject
	productFields, variantFields map[uuid.UUID][]catalog.Metafield
	metaobjects                  map[uuid.UUID]catalog.Metaobject
}

// metafields renders a product's or variant's metafields: IRIs, or embedded with expand=metafields.
func (r renderer) metafields(fields []catalog.Metafield) *[]api.MetafieldOrIri {
	out := make([]api.MetafieldOrIri, len(fields))
	for i, f := range fields {
		if r.expand.Metafields {
			objects := r.metaobjects
			if objects == nil && r.expand.Metaobject {
				objects = map[uuid.UUID]catalog.Metaobject{}
			}
			_ = out[i].FromMetafield(renderMetafield(f, objects, false))
		} else {
			_ = out[i].FromIri(metafieldIRI(f.ID))
		}
	}
	return &out
}

// mediaList renders a product's or variant's medias: embedded when loaded (expand=medias), IRIs
// otherwise.
func (r renderer) mediaList(ids []uuid.UUID) *[]api.MediaOrIri {
	out := make([]api.MediaOrIri, len(ids))
	for i, id := range ids {
		if m, ok := r.medias[id]; ok {
			_ = out[i].FromMedia(renderMedia(m, false))
		} else {
			_ = out[i].FromIri(mediaIRI(id))
		}
	}
	return &out
}

func (r renderer) product(p catalog.Product, top bool) api.Product {
	out := api.Product{
		LdID: productIRI(p.ID), LdType: "Product", Id: p.ID, Status: statusIRI(p.Status),
		Vendor: text(p.Vendor), Title: text(p.Title), Description: text(p.Description),
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
		Variants: make([]api.VariantOrIri, len(p.Variants)), Options: make([]api.ProductOptionOrIri, len(p.Options)),
	}
	if top {
		out.LdContext = contextOf("Product")
	}
	out.Tags = nullable.NewNullNullable[string]()
	if len(p.Tags) > 0 {
		out.Tags = nullable.NewNullableWithValue(joinTags(p.Tags))
	}
	var values map[uuid.UUID]catalog.OptionValue
	if r.expand.Variants && r.expand.OptionValues {
		values = valueIndex(p)
	}
	for i, v := range p.Variants {
		if r.expand.Variants {
			_ = out.Variants[i].FromVariant(r.variant(v, values, false))
		} else {
			_ = out.Variants[i].FromIri(variantIRI(v.ID))
		}
	}
	for i, o := range p.Options {
		if r.expand.Options {
			_ = out.Options[i].FromProductOption(r.option(o, false))
		} else {
			_ = out.Options[i].FromIri(optionIRI(o.ID))
		}
	}
	channels := make([]api.ChannelOrIri, len(p.Channels))
	for i, id := range p.Channels {
		if c, ok := r.channels[id]; ok {
			_ = channels[i].FromChannel(renderChannel(c, false))
		} else {
			_ = channels[i].FromIri(channelIRI(id))
		}
	}
	out.Channels = &channels
	collections := make([]api.CollectionOrIri, len(p.Collections))
	for i, id := range p.Collections {
		if c, ok := r.collections[id]; ok {
			_ = collections[i].FromCollection(renderCollection(c, false))
		} else {
			_ = collections[i].FromIri(collectionIRI(id))
		}
	}
	out.Collections = &collections
	out.Medias = r.mediaList(p.Medias)
	var category api.Product_Category
	switch c, ok := r.categories[deref(p.Category)]; {
	case p.Category == nil:
		_ = category.UnmarshalJSON([]byte("null"))
	case ok:
		_ = category.FromCategory(renderCategory(c, false))
	default:
		_ = category.FromNullableIri(categoryIRI(*p.Category))
	}
	out.Category = &category
	attributeValues := renderValues(p.Values)
	out.AttributeValues = &attributeValues
	if r.productFields != nil {
		out.Metafields = r.metafields(r.productFields[p.ID])
	}
	return out
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

func joinTags(tags []string) string {
	n := len(tags) - 1
	for _, t := range tags {
		n += len(t)
	}
	b := make([]byte, 0, n)
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, t...)
	}
	return string(b)
}

func valueIndex(p catalog.Product) map[uuid.UUID]catalog.OptionValue {
	m := map[uuid.UUID]catalog.OptionValue{}
	for _, o := range p.Options {
		for _, v := range o.Values {
			m[v.ID] = v
		}
	}
	return m
}

// variant renders a variant; values (when not nil) embeds its option values.
func (r renderer) variant(v catalog.Variant, values map[uuid.UUID]catalog.OptionValue, top bool) api.Variant {
	out := api.Variant{
		LdID: variantIRI(v.ID), LdType: "Variant", Id: v.ID, Sku: v.SKU, Title: text(v.Title), Barcode: text(v.Barcode),
		Position: v.Position, Product: productIRI(v.ProductID), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		OptionValues: make([]api.OptionValueOrIri, len(v.OptionValueIDs)),
	}
	if top {
		out.LdContext = contextOf("Variant")
	}
	for i, id := range v.OptionValueIDs {
		if ov, ok := values[id]; ok {
			_ = out.OptionValues[i].FromOptionValue(r.value(ov, false))
		} else {
			_ = out.OptionValues[i].FromIri(optionValueIRI(id))
		}
	}
	priceFields(&out, v)
	out.Medias = r.mediaList(v.Medias)
	if r.variantFields != nil {
		out.Metafields = r.metafields(r.variantFields[v.ID])
	}
	return out
}

func (r renderer) option(o catalog.Option, top bool) api.ProductOption {
	out := api.ProductOption{
		LdID: optionIRI(o.ID), LdType: "ProductOption", Id: o.ID, Name: text(o.Name), Position: o.Position,
		Product: productIRI(o.ProductID), Values: make([]api.OptionValueOrIri, len(o.Values)),
	}
	if top {
		out.LdContext = contextOf("ProductOption")
	}
	for i, v := range o.Values {
		if r.expand.OptionValues {
			_ = out.Values[i].FromOptionValue(r.value(v, false))
		} else {
			_ = out.Values[i].FromIri(optionValueIRI(v.ID))
		}
	}
	return out
}

func (r renderer) value(v catalog.OptionValue, top bool) api.OptionValue {
	out := api.OptionValue{LdID: optionValueIRI(v.ID), LdType: "OptionValue", Id: v.ID, Value: text(v.Value), Position: v.Position, Option: optionIRI(v.OptionID)}
	if top {
		out.LdContext = contextOf("OptionValue")
	}
	return out
}

func renderLocale(l catalog.Locale, top bool) api.Locale {
	out := api.Locale{LdID: localeIRI(l.Code), LdType: "Locale", Code: l.Code, IsDefault: l.IsDefault, CreatedAt: l.CreatedAt}
	if top {
		out.LdContext = contextOf("Locale")
	}
	return out
}

func renderStatus(s catalog.Status, top bool) api.Status {
	out := api.Status{LdID: statusIRI(s), LdType: "Status", Code: api.StatusCode(s), Name: s.Name()}
	if top {
		out.LdContext = contextOf("Status")
	}
	return out
}

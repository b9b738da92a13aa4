package render

import (
	"encoding/json"
	"time"

	"github.com/flowkiwi/platform/pkg/iso"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"
)

func Attribute(a catalog.Attribute, top bool) api.Attribute {
	out := api.Attribute{LdID: iri.Attributes.Of(a.ID), LdType: "Attribute", Id: a.ID, Key: Text(a.Key), Code: a.Code, Name: Text(a.Name),
		Type: api.AttributeType(a.Type), Options: a.Options, Required: a.Required, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if out.Options == nil {
		out.Options = []string{}
	}
	if top {
		out.LdContext = Context("Attribute")
	}
	return out
}

func AttributeValues(vs []catalog.AttributeValue) []api.AttributeValue {
	out := make([]api.AttributeValue, len(vs))
	for i, v := range vs {
		var val any
		_ = json.Unmarshal(v.Value, &val)
		out[i] = api.AttributeValue{Attribute: iri.Attributes.Of(v.Attribute), Value: val}
	}
	return out
}

func Category(c catalog.Category, top bool) api.Category {
	out := api.Category{LdID: iri.Categories.Of(c.ID), LdType: "Category", Id: c.ID, Key: Text(c.Key), Handle: c.Handle, Name: Text(c.Name),
		Parent: nullable.NewNullNullable[string](), Attributes: make([]api.Iri, len(c.Attributes)), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Parent != nil {
		out.Parent = nullable.NewNullableWithValue(iri.Categories.Of(*c.Parent))
	}
	for i, id := range c.Attributes {
		out.Attributes[i] = iri.Attributes.Of(id)
	}
	if top {
		out.LdContext = Context("Category")
	}
	return out
}

func Channel(c catalog.Channel, top bool) api.Channel {
	out := api.Channel{LdID: iri.Channels.Of(c.ID), LdType: "Channel", Id: c.ID, Code: c.Code, Name: c.Name, Currency: c.Currency,
		Countries: make([]api.Iri, len(c.Countries)), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if top {
		out.LdContext = Context("Channel")
	}
	for i, code := range c.Countries {
		out.Countries[i] = iri.Countries.OfCode(code)
	}
	return out
}

func Collection(c catalog.Collection, top bool) api.Collection {
	out := api.Collection{LdID: iri.Collections.Of(c.ID), LdType: "Collection", Id: c.ID, Key: Text(c.Key), Handle: c.Handle, Title: Text(c.Title),
		Description: Text(c.Description), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if top {
		out.LdContext = Context("Collection")
	}
	return out
}

func Locale(l catalog.Locale, top bool) api.Locale {
	out := api.Locale{LdID: iri.Locales.OfCode(l.Code), LdType: "Locale", Code: l.Code, IsDefault: l.IsDefault, CreatedAt: l.CreatedAt}
	if top {
		out.LdContext = Context("Locale")
	}
	return out
}

func Media(m catalog.Media, top bool) api.Media {
	out := api.Media{LdID: iri.Medias.Of(m.ID), LdType: "Media", Id: m.ID, Type: api.MediaType(m.Type), Src: m.Src, Alt: Text(m.Alt),
		MimeType: Text(m.MimeType), Width: IntOrNull(m.Width), Height: IntOrNull(m.Height), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if top {
		out.LdContext = Context("Media")
	}
	return out
}

func Metafield(m catalog.Metafield, objects map[uuid.UUID]catalog.Metaobject, top bool) api.Metafield {
	owner := iri.Products.Of(m.ProductID)
	if m.VariantID != nil {
		owner = iri.Variants.Of(*m.VariantID)
	}
	out := api.Metafield{LdID: iri.Metafields.Of(m.ID), LdType: "Metafield", Id: m.ID, Owner: owner, Namespace: m.Namespace, Key: m.Key,
		Type: api.MetafieldType(m.Type), Value: m.Value, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if objects != nil && len(m.References) > 0 {
		embedded := []api.Metaobject{}
		for _, id := range m.References {
			if o, ok := objects[id]; ok {
				embedded = append(embedded, Metaobject(o, false))
			}
		}
		out.Metaobjects = &embedded
	}
	if top {
		out.LdContext = Context("Metafield")
	}
	return out
}

func Definition(d catalog.MetaobjectDefinition, top bool) api.MetaobjectDefinition {
	out := api.MetaobjectDefinition{LdID: iri.MetaobjectDefinitions.Of(d.ID), LdType: "MetaobjectDefinition", Id: d.ID, Type: d.Type, Name: Text(d.Name),
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
		out.LdContext = Context("MetaobjectDefinition")
	}
	return out
}

func Metaobject(m catalog.Metaobject, top bool) api.Metaobject {
	out := api.Metaobject{LdID: iri.Metaobjects.Of(m.ID), LdType: "Metaobject", Id: m.ID, Type: m.Type, Handle: m.Handle, Fields: m.Fields,
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if out.Fields == nil {
		out.Fields = map[string]string{}
	}
	if top {
		out.LdContext = Context("Metaobject")
	}
	return out
}

func Amount(minor int64, currency string) string {
	c, _ := iso.CurrencyByCode(currency)
	return price.FormatAmount(minor, c.MinorUnits)
}

// priceFields adds the variant's resolved and lowest prices when the read had a context.
func PriceFields(out *api.Variant, v catalog.Variant) {
	if !v.Priced {
		return
	}
	out.ResolvedPrice = nullable.NewNullNullable[api.ResolvedPrice]()
	out.LowestPriceLast30Days = nullable.NewNullNullable[api.LowestPrice]()
	if r := v.Resolved; r != nil {
		rp := api.ResolvedPrice{Amount: Amount(r.Amount, r.Currency), Currency: r.Currency, Price: iri.Prices.Of(r.ID),
			CompareAtAmount: nullable.NewNullNullable[string](), ValidUntil: TimeOrNull(r.End), ValidFrom: nullable.NewNullNullable[time.Time]()}
		if r.CompareAt != nil {
			rp.CompareAtAmount = nullable.NewNullableWithValue(Amount(*r.CompareAt, r.Currency))
		}
		if r.Dated {
			rp.ValidFrom = nullable.NewNullableWithValue(r.Start)
		}
		out.ResolvedPrice = nullable.NewNullableWithValue(rp)
		if v.Lowest != nil {
			out.LowestPriceLast30Days = nullable.NewNullableWithValue(api.LowestPrice{Amount: Amount(*v.Lowest, r.Currency), Currency: r.Currency})
		}
	}
}

func Price(r price.Row, top bool) api.Price {
	out := api.Price{LdID: iri.Prices.Of(r.ID), LdType: "Price", Id: r.ID, Variant: iri.Variants.Of(r.VariantID), Currency: r.Currency,
		Amount: Amount(r.Amount, r.Currency), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Channel: nullable.NewNullNullable[string](),
		Country: nullable.NewNullNullable[string](), CompareAtAmount: nullable.NewNullNullable[string](),
		ValidFrom: nullable.NewNullNullable[time.Time](), ValidUntil: TimeOrNull(r.End)}
	if top {
		out.LdContext = Context("Price")
	}
	if r.ChannelID != nil {
		out.Channel = nullable.NewNullableWithValue(iri.Channels.Of(*r.ChannelID))
	}
	if r.Country != "" {
		out.Country = nullable.NewNullableWithValue(iri.Countries.OfCode(r.Country))
	}
	if r.CompareAt != nil {
		out.CompareAtAmount = nullable.NewNullableWithValue(Amount(*r.CompareAt, r.Currency))
	}
	if r.Dated {
		out.ValidFrom = nullable.NewNullableWithValue(r.Start)
	}
	return out
}

// contextOf is the @context of a document of a type.
func Context(typ string) *string {
	s := iri.Context(typ)
	return &s
}

// Package catalog is product-management's domain: the product catalog of an instance. Its
// resources are products with their options, option values and variants; prices per variant,
// channel and country; channels and countries; collections; medias; attributes and categories;
// metaobject definitions, metaobjects and metafields; statuses; and the instance's locales.
//
// The Service is the only door to the store: every use case validates, writes and reads back
// here, so the HTTP layer only translates requests to calls and results to JSON-LD. The catalog
// speaks ids, never IRIs or request parameter names: violations name body fields ("variants[1].sku")
// or, for 400s, the parameter by its catalog name (ParamLocale, ParamCursor, ...), which the HTTP
// layer places in its header or query.
package catalog

import (
	"strings"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
)

// Limits like the leading platforms'.
const (
	MaxOptions         = 3
	MaxVariants        = 2048
	MaxTags            = 250
	MaxValuesPerOption = 250
)

// The request parameters the catalog reports 400 violations at; the HTTP layer knows where each
// one travels.
const (
	ParamLocale         = "locale"
	ParamCursor         = "cursor"
	ParamResolveChannel = "resolveContext.channel"
)

// Store is everything the catalog stores: one small interface per resource, each declared in the
// file of the use cases that need it.
type Store interface {
	ProductStore
	ReadStore
	VariantStore
	OptionStore
	LocaleStore
	ChannelStore
	PriceStore
	CollectionStore
	MediaStore
	AttributeStore
	CategoryStore
	MetaobjectStore
	MetafieldStore
	EventStore
	DocumentStore
	KeyStore
	SetStore
}

// RefParser reads the id of a metaobject reference as metafield and metaobject values write it
// (the HTTP layer's IRI), reporting false for anything else.
type RefParser func(s string) (uuid.UUID, bool)

// Service implements the catalog use cases.
type Service struct {
	products    ProductStore
	reads       ReadStore
	variants    VariantStore
	options     OptionStore
	locales     LocaleStore
	channels    ChannelStore
	prices      PriceStore
	collections CollectionStore
	medias      MediaStore
	attributes  AttributeStore
	categories  CategoryStore
	metaobjects MetaobjectStore
	metafields  MetafieldStore
	events      EventStore
	docs        DocumentStore
	keys        KeyStore
	sets        SetStore
	encode      Encoder
	parseRef    RefParser
}

// NewService returns a Service over store; parseRef reads metaobject references in values, and
// encode renders the data of the events every change records.
func NewService(store Store, parseRef RefParser, encode Encoder) *Service {
	return &Service{products: store, reads: store, variants: store, options: store, locales: store, channels: store,
		prices: store, collections: store, medias: store, attributes: store, categories: store, metaobjects: store,
		metafields: store, events: store, docs: store, keys: store, sets: store, encode: encode, parseRef: parseRef}
}

func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// Text trims optional text; blank becomes nil (what every optional text of a resource stores).
func Text(p *string) *string {
	if p == nil {
		return nil
	}
	s := strings.TrimSpace(*p)
	if s == "" {
		return nil
	}
	return &s
}

// first returns the only entry of a lookup by one id, or not found ("no such …").
func first[T any](list []T, err error, notFound string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(list) == 0 {
		return zero, fault.NotFound("%s", notFound)
	}
	return list[0], nil
}

// index maps a list by key.
func index[T any](list []T, key func(T) uuid.UUID) map[uuid.UUID]T {
	m := make(map[uuid.UUID]T, len(list))
	for _, x := range list {
		m[key(x)] = x
	}
	return m
}

// badParam is a 400 naming a request parameter by its catalog name.
func badParam(param, code, msg string) error {
	return &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: param, Code: code, Message: msg}}}
}

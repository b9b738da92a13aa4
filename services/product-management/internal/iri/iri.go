// Package iri builds and parses the IRIs of product-management's resources
// (/rest/api/{collection}/{id}, and /rest/api/{collection}/key={key} for the kinds partners key):
// the one place that knows their shape. The HTTP layer turns IRIs in
// requests into ids with it, and ids into IRIs in responses; the catalog speaks ids.
package iri

import (
	"strings"

	"github.com/google/uuid"
)

// Base is the root of every resource IRI.
const Base = "/rest/api/"

// Collection names a resource collection ("products" in /rest/api/products).
type Collection string

// The collections.
const (
	Products              Collection = "products"
	Variants              Collection = "variants"
	ProductOptions        Collection = "product_options"
	OptionValues          Collection = "option_values"
	Statuses              Collection = "statuses"
	Locales               Collection = "locales"
	Channels              Collection = "channels"
	Countries             Collection = "countries"
	Prices                Collection = "prices"
	Collections           Collection = "collections"
	Medias                Collection = "medias"
	Attributes            Collection = "attributes"
	Categories            Collection = "categories"
	MetaobjectDefinitions Collection = "metaobject_definitions"
	Metaobjects           Collection = "metaobjects"
	Metafields            Collection = "metafields"
	Events                Collection = "events"
	WebhookSubscriptions  Collection = "webhook_subscriptions"
	WebhookDeliveries     Collection = "webhook_deliveries"
)

// Path is the collection's own IRI, /rest/api/{c}.
func (c Collection) Path() string { return Base + string(c) }

// prefix is /rest/api/{c}/.
func (c Collection) prefix() string { return Base + string(c) + "/" }

// Of is the IRI of the member id.
func (c Collection) Of(id uuid.UUID) string { return c.prefix() + id.String() }

// OfCode is the IRI of a member named by a code (statuses, locales, countries).
func (c Collection) OfCode(code string) string { return c.prefix() + code }

// Parse reads the id of a member IRI, or of a bare id; ok is false for anything else.
func (c Collection) Parse(s string) (uuid.UUID, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), c.prefix())
	if len(s) != 36 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	return id, err == nil
}

// ID is Parse without ok: uuid.Nil (which names nothing) for what is not a member IRI, so the
// catalog reports it as unknown where it looks it up.
func (c Collection) ID(s string) uuid.UUID {
	id, _ := c.Parse(s)
	return id
}

// Code reads the code of a member IRI, or a bare code.
func (c Collection) Code(s string) string { return strings.TrimPrefix(s, c.prefix()) }

// keyPrefix starts the last segment of an IRI by key (/rest/api/products/key=SHIRT-42): the
// field that holds the partner's name of a member, "code" for channels, "key" otherwise.
func (c Collection) keyPrefix() string {
	if c == Channels {
		return "code="
	}
	return "key="
}

// OfKey is the IRI of the member with the partner's key (a channel's code).
func (c Collection) OfKey(key string) string { return c.prefix() + c.keyPrefix() + key }

// Key reads the key of an IRI by key (/rest/api/{c}/key={key}), or of a bare "key={key}"; ok is
// false for anything else.
func (c Collection) Key(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), c.prefix())
	key, ok := strings.CutPrefix(s, c.keyPrefix())
	return key, ok && key != ""
}

// HasPrefix reports whether s is an IRI in the collection.
func (c Collection) HasPrefix(s string) bool { return strings.HasPrefix(s, c.prefix()) }

// Context is the IRI of the JSON-LD context of a type.
func Context(typ string) string { return Base + "contexts/" + typ }

// Entrypoint is the IRI of the Hydra entrypoint.
const Entrypoint = "/rest/api"

// Docs is the IRI of the Hydra API documentation; the vocabulary of every document is Docs#.
const Docs = Base + "docs.jsonld"

// Class is the IRI of a class of the API documentation, relative to the documentation (#Product).
func Class(typ string) string { return "#" + typ }

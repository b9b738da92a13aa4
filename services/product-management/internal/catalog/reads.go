package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// Read says what a product read shows: texts in Locale, the relations Expand embeds, and with
// Resolution each variant's price in force.
type Read struct {
	Locale     ReadLocale
	Expand     Expand
	Resolution *Resolution
}

// Expand lists the relations a read embeds.
type Expand struct {
	Variants, Options, OptionValues, Channels, Collections, Medias, Category, Metafields, Metaobject bool
}

// ownOnly reports whether e embeds only what a product's document holds (variants, options, option
// values, metafields).
func (e Expand) ownOnly() bool {
	return !e.Channels && !e.Collections && !e.Medias && !e.Category && !e.Metaobject
}

// FollowsProductVersion reports whether a product read changes exactly when the product's version
// does: it embeds only what the product's document holds, and resolves no price. Its ETag then
// answers If-None-Match.
func (r Read) FollowsProductVersion() bool { return r.Resolution == nil && r.Keepable() }

// FollowsVariantVersion is FollowsProductVersion for a variant read, which also may not embed its
// option values: their labels are the product's, which the variant's version does not follow.
func (r Read) FollowsVariantVersion() bool {
	return r.FollowsProductVersion() && !r.Expand.OptionValues
}

// ParseExpand reads the comma-separated expand parameter; unknown tokens are ignored.
func ParseExpand(s string) Expand {
	var e Expand
	for _, token := range strings.Split(s, ",") {
		switch strings.TrimSpace(token) {
		case "variants":
			e.Variants = true
		case "options":
			e.Options = true
		case "optionValues":
			e.OptionValues = true
		case "channels":
			e.Channels = true
		case "collections":
			e.Collections = true
		case "medias":
			e.Medias = true
		case "category":
			e.Category = true
		case "metafields":
			e.Metafields = true
		case "metaobject":
			e.Metaobject = true
		}
	}
	return e
}

// View is products as a read shows them, with everything the read embeds, indexed by id: what
// the HTTP layer renders.
type View struct {
	Products    []Product
	Expand      Expand
	Channels    map[uuid.UUID]Channel    // with expand=channels
	Collections map[uuid.UUID]Collection // with expand=collections
	Medias      map[uuid.UUID]Media      // with expand=medias
	Categories  map[uuid.UUID]Category   // with expand=category
	// Metafields of the products and of their variants (listed on every read); Metaobjects their
	// references embed with expand=metafields,metaobject.
	ProductFields, VariantFields map[uuid.UUID][]Metafield
	Metaobjects                  map[uuid.UUID]Metaobject
	// Encoded is the one product's JSON-LD (with its @context) as its update's event recorded it,
	// set by a write whose response is that document: sent as it is, it is rendered once per write.
	Encoded json.RawMessage
}

// OptionValues indexes the option values of a product of the view.
func OptionValues(p Product) map[uuid.UUID]OptionValue {
	m := map[uuid.UUID]OptionValue{}
	for _, o := range p.Options {
		for _, v := range o.Values {
			m[v.ID] = v
		}
	}
	return m
}

// ExactTotalUpTo is how far a list's total is counted exactly; beyond it the total is the query
// planner's estimate (Total.Estimated), so a page of a large catalog does not count it whole.
const ExactTotalUpTo = 1000

// ListedPage is a page of a list as its statement found it: the products' ids, each one's document
// revision then (0: none), the list's total (Items -1 in cursor mode) and the next cursor.
type ListedPage struct {
	IDs       []uuid.UUID
	Revisions []int64
	Total     Total
	Next      *Cursor
}

// Total is the size of a list: exact up to ExactTotalUpTo, else estimated.
type Total struct {
	Items     int
	Estimated bool
}

// ListQuery selects products.
type ListQuery struct {
	Locale        ReadLocale // of the title filter and order; ListProducts sets it from the read
	Page, PerPage int
	Cursor        *Cursor // walk mode: no offset, no count
	Channel       *uuid.UUID
	Collection    *uuid.UUID
	Status        *Status
	Vendor        *string
	Tags          []string
	Title         *string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
	UpdatedAfter  *time.Time
	UpdatedBefore *time.Time
	OrderBy       string // created_at, updated_at, title
	Descending    bool
}

// Cursor is a position in a walk ordered by OrderBy then id.
type Cursor struct {
	At time.Time
	ID uuid.UUID
}

// EmbedQuery asks for what a page of products lists or embeds beyond their graphs.
type EmbedQuery struct {
	Locale ReadLocale
	// By id; Metaobjects are those the products' metafields refer to.
	Channels, Medias, Categories, Collections, Metaobjects []uuid.UUID
}

// Embeds is the answer to an EmbedQuery.
type Embeds struct {
	Channels    []Channel
	Medias      []Media
	Categories  []Category
	Collections []Collection
	Metaobjects []Metaobject
}

// ReadStore reads product graphs and what they embed.
type ReadStore interface {
	// Products loads the graphs of ids, in the order of ids, in one round trip.
	Products(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale) ([]Product, error)
	// PricedProducts is Products with the channel of a priced read (none when the instance has no
	// such channel), in the same round trip.
	PricedProducts(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc ReadLocale, channel uuid.UUID) ([]Product, []Channel, error)
	// ProductDocuments reads the documents of ids (distinct) in one statement, in the order of ids
	// (missing ones left out), building in loc those not at the revision kept of them (0: none), with the
	// currency of channel (nil: none asked, or no such channel).
	ProductDocuments(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, kept []int64, loc ReadLocale, channel *uuid.UUID) ([]Document, *string, error)
	// ListProductIDs lists a page of ids, with their documents' revisions, in one statement (a
	// title search first asks the planner how many it may match).
	ListProductIDs(ctx context.Context, instance uuid.UUID, q ListQuery) (ListedPage, error)
	// Embeds loads what product reads embed, in one round trip.
	Embeds(ctx context.Context, instance uuid.UUID, q EmbedQuery) (Embeds, error)
}

// Product reads one product as r asks.
func (s *Service) Product(ctx context.Context, instance, id uuid.UUID, r Read) (View, error) {
	ps, priced, err := s.load(ctx, instance, []uuid.UUID{id}, r)
	p, err := first(ps, err, "no such product")
	if err != nil {
		return View{}, err
	}
	return s.view(ctx, instance, []Product{p}, r, priced)
}

// Document is one product of a read of documents: its revision, and the product built from it,
// nil when the caller keeps a rendering made at that revision.
type Document struct {
	ID       uuid.UUID
	Revision int64
	Product  *Product
}

// Keepable reports whether a read of a product is a function of the product's document alone
// (and, priced, of its channel's currency and of the moment within a span of steady prices): it
// embeds only what the document holds. A rendering of it can then be kept and reused while those
// hold (KeptProduct, ListKeptProducts).
func (r Read) Keepable() bool { return r.Expand.ownOnly() }

// Kept is what a kept rendering of a keepable read was made from: the document's revision and, for a priced
// read, the span [From, Until) in which its prices hold (zero: unbounded). The channel needs no
// record: its currency, all a priced read takes from it, never changes (ChannelPatch has none),
// and a kept rendering is the channel's by the read that asks for it.
type Kept struct {
	Revision    int64
	From, Until time.Time
}

// answers reports whether a rendering kept from k may answer r as far as the moment goes.
func (k Kept) answers(r Read) bool {
	if k.Revision == 0 {
		return false // none kept
	}
	if r.Resolution == nil {
		return true
	}
	at := r.Resolution.At
	return (k.From.IsZero() || !at.Before(k.From)) && (k.Until.IsZero() || at.Before(k.Until))
}

// Checked is one product of a read checked against the rendering a caller keeps of it: Unchanged
// when that still answers the read (then nothing was built for it), else the Kept a new rendering
// is made from.
type Checked struct {
	ID        uuid.UUID
	Kept      Kept
	Unchanged bool
}

// checkKept reads the products ids (distinct; those that exist, in order) as the keepable
// read r asks, except those whose kept rendering, made from kept[i], still answers it: the one statement
// that asks the database whether each document moved builds only the products that did. View
// holds the built products, in order. listed is each id's document revision as the statement that
// listed ids found it (nil: unknown): an unpriced rendering kept at it still answers without
// asking again, and a page of such renderings costs no second statement. A priced read always asks, for the
// channel's currency (and whether the channel is still there).
func (s *Service) checkKept(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, r Read, kept []Kept, listed []int64) ([]Checked, View, error) {
	if !r.Keepable() {
		return nil, View{}, fmt.Errorf("catalog: a read with shared embeds cannot be kept")
	}
	answering := make([]Kept, len(ids)) // the kept renderings that may still answer r (zero: none)
	asListed := make([]bool, len(ids))  // renderings kept at their listed revision: not asked again
	var ask []uuid.UUID                 // the documents to read, and the revisions kept of them
	var known []int64
	for i, id := range ids {
		k := kept[i]
		if k.answers(r) {
			answering[i] = k
		} else {
			k = Kept{}
		}
		if listed != nil && r.Resolution == nil && k.Revision != 0 && k.Revision == listed[i] {
			asListed[i] = true
			continue
		}
		ask, known = append(ask, id), append(known, k.Revision)
	}
	var channel *uuid.UUID
	if r.Resolution != nil {
		channel = &r.Resolution.Channel
	}
	var docs []Document
	var currency *string
	if len(ask) > 0 {
		var err error
		if docs, currency, err = s.reads.ProductDocuments(ctx, instance, ask, known, r.Locale, channel); err != nil {
			return nil, View{}, err
		}
	}
	if len(ask) < len(ids) { // in the order of ids: those kept as listed, the rest as read (those gone, left out)
		all := make([]Document, 0, len(ids))
		for i, id := range ids {
			switch {
			case asListed[i]:
				all = append(all, Document{ID: id, Revision: listed[i]})
			case len(docs) > 0 && docs[0].ID == id:
				all, docs = append(all, docs[0]), docs[1:]
			}
		}
		docs = all
	}
	var pc *price.Context // of a priced read
	if r.Resolution != nil && len(docs) > 0 {
		if currency == nil {
			return nil, View{}, unknownChannel()
		}
		c := r.Resolution.priceContext(*currency)
		pc = &c
	}
	checked := make([]Checked, len(docs))
	var products []Product // only those built: on a hot page, none
	k := 0                 // docs are in the order of ids, those gone left out
	for i, d := range docs {
		for k < len(ids) && ids[k] != d.ID {
			k++
		}
		if k == len(ids) {
			return nil, View{}, fmt.Errorf("catalog: document %s came back out of the order asked", d.ID)
		}
		if d.Product == nil {
			checked[i] = Checked{ID: d.ID, Kept: answering[k], Unchanged: true}
			continue
		}
		checked[i] = Checked{ID: d.ID, Kept: Kept{Revision: d.Revision}}
		products = append(products, *d.Product)
	}
	var priced []Channel
	if pc != nil {
		priced = []Channel{{ID: pc.Channel, Currency: pc.Currency}}
	}
	v, err := s.view(ctx, instance, products, r, priced)
	if err != nil || pc == nil {
		return checked, v, err
	}
	j := 0 // the built products are the changed ones, in order
	for i := range checked {
		if !checked[i].Unchanged {
			checked[i].Kept.From, checked[i].Kept.Until = price.Steady(v.Products[j].PriceHistory, *pc)
			j++
		}
	}
	return checked, v, nil
}

// KeptProduct is checkKept for one product, the caller keeping a rendering made from kept: not
// found when it does not exist.
func (s *Service) KeptProduct(ctx context.Context, instance, id uuid.UUID, r Read, kept Kept) (Checked, View, error) {
	checked, v, err := s.checkKept(ctx, instance, []uuid.UUID{id}, r, []Kept{kept}, nil)
	one, err := first(checked, err, "no such product")
	return one, v, err
}

// load reads the documents of ids, with the resolution's channel in the same round trip for a
// priced read (priced is empty otherwise, or when the instance has no such channel).
func (s *Service) load(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, r Read) (ps []Product, priced []Channel, err error) {
	if r.Resolution == nil {
		ps, err = s.reads.Products(ctx, instance, ids, r.Locale)
		return ps, nil, err
	}
	return s.reads.PricedProducts(ctx, instance, ids, r.Locale, r.Resolution.Channel)
}

// graph loads one product's graph (no embeds).
func (s *Service) graph(ctx context.Context, instance, id uuid.UUID, loc ReadLocale) (Product, error) {
	ps, err := s.reads.Products(ctx, instance, []uuid.UUID{id}, loc)
	return first(ps, err, "no such product")
}

// ListProducts reads a page of products as r asks, with the total (-1 in cursor mode) and the
// next cursor.
func (s *Service) ListProducts(ctx context.Context, instance uuid.UUID, q ListQuery, r Read) (View, Total, *Cursor, error) {
	page, err := s.listIDs(ctx, instance, q, r)
	if err != nil {
		return View{}, Total{}, nil, err
	}
	products := []Product{}
	var priced []Channel
	if len(page.IDs) > 0 {
		if products, priced, err = s.load(ctx, instance, page.IDs, r); err != nil {
			return View{}, Total{}, nil, err
		}
	}
	v, err := s.view(ctx, instance, products, r, priced)
	return v, page.Total, page.Next, err
}

// listIDs lists the ids of a page of products as r reads them.
func (s *Service) listIDs(ctx context.Context, instance uuid.UUID, q ListQuery, r Read) (ListedPage, error) {
	if q.Cursor != nil && q.OrderBy == "title" {
		return ListedPage{}, badParam(ParamCursor, "unsupported", "cursor paging orders by createdAt or updatedAt, not by title")
	}
	q.Locale = r.Locale
	return s.reads.ListProductIDs(ctx, instance, q)
}

// CheckedPage is a page of a list read checked against the renderings a caller keeps (checkKept).
type CheckedPage struct {
	Checked []Checked
	View    View // the products built, in order
	Total   Total
	Next    *Cursor
}

// ListKeptProducts is ListProducts for a keepable read, the page read as checkKept reads,
// keptOf naming what the caller keeps of each product listed.
func (s *Service) ListKeptProducts(ctx context.Context, instance uuid.UUID, q ListQuery, r Read, keptOf func(uuid.UUID) Kept) (CheckedPage, error) {
	listed, err := s.listIDs(ctx, instance, q, r)
	if err != nil {
		return CheckedPage{}, err
	}
	page := CheckedPage{Total: listed.Total, Next: listed.Next, View: View{Expand: r.Expand}}
	if len(listed.IDs) == 0 {
		return page, nil
	}
	kept := make([]Kept, len(listed.IDs))
	for i, id := range listed.IDs {
		kept[i] = keptOf(id)
	}
	page.Checked, page.View, err = s.checkKept(ctx, instance, listed.IDs, r, kept, listed.Revisions)
	return page, err
}

// view completes the graphs of a read in one round trip: the metafields and whatever the expand
// tokens embed (channels, medias, collections, category, metaobjects); a priced read resolves each
// variant's price from the page's price history in the currency of priced, its channel as load
// read it.
func (s *Service) view(ctx context.Context, instance uuid.UUID, products []Product, r Read, priced []Channel) (View, error) {
	v := View{Products: products, Expand: r.Expand}
	if len(products) == 0 {
		return v, nil
	}
	ex := r.Expand
	q := EmbedQuery{Locale: r.Locale}
	metaobjects := ex.Metafields && ex.Metaobject
	for _, p := range products {
		if metaobjects {
			for _, f := range p.Metafields {
				q.Metaobjects = append(q.Metaobjects, f.References...)
			}
		}
		if ex.Channels {
			q.Channels = append(q.Channels, p.Channels...)
		}
		if ex.Medias {
			q.Medias = append(q.Medias, p.Medias...)
		}
		if ex.Collections {
			q.Collections = append(q.Collections, p.Collections...)
		}
		if ex.Category && p.Category != nil {
			q.Categories = append(q.Categories, *p.Category)
		}
	}
	// The documents hold the rest: a read without shared embeds asks the store nothing more.
	e, err := s.reads.Embeds(ctx, instance, q)
	if err != nil {
		return v, err
	}
	if r.Resolution != nil {
		if len(priced) == 0 {
			return v, unknownChannel()
		}
		applyPrices(products, priced[0], *r.Resolution)
	}
	if len(q.Channels) > 0 {
		v.Channels = index(e.Channels, func(c Channel) uuid.UUID { return c.ID })
	}
	if len(q.Medias) > 0 {
		v.Medias = index(e.Medias, func(m Media) uuid.UUID { return m.ID })
	}
	if len(q.Collections) > 0 {
		v.Collections = index(e.Collections, func(c Collection) uuid.UUID { return c.ID })
	}
	if len(q.Categories) > 0 {
		v.Categories = index(e.Categories, func(c Category) uuid.UUID { return c.ID })
	}
	if metaobjects {
		v.Metaobjects = index(e.Metaobjects, func(o Metaobject) uuid.UUID { return o.ID })
	}
	v.ProductFields, v.VariantFields = map[uuid.UUID][]Metafield{}, map[uuid.UUID][]Metafield{}
	for _, p := range products {
		for _, f := range p.Metafields {
			if f.VariantID != nil {
				v.VariantFields[*f.VariantID] = append(v.VariantFields[*f.VariantID], f)
			} else {
				v.ProductFields[f.ProductID] = append(v.ProductFields[f.ProductID], f)
			}
		}
	}
	return v, nil
}

// Resolution is the context of a priced read (resolveContext).
type Resolution struct {
	Channel uuid.UUID
	Country string
	At      time.Time
}

// priceContext is what resolution asks of r's prices in currency (its channel's).
func (r Resolution) priceContext(currency string) price.Context {
	return price.Context{Channel: r.Channel, Currency: currency, Country: r.Country, At: r.At}
}

// unknownChannel refuses a priced read whose channel is not in the instance.
func unknownChannel() error {
	return badParam(ParamResolveChannel, "unknown_channel", "no such channel in this instance")
}

// applyPrices sets each variant's resolved price and lowest price of the last 30 days from the
// products' price history in the channel's currency.
func applyPrices(products []Product, ch Channel, r Resolution) {
	byVariant := map[uuid.UUID][]price.Row{}
	for _, p := range products {
		for _, row := range p.PriceHistory {
			if row.Currency == ch.Currency {
				byVariant[row.VariantID] = append(byVariant[row.VariantID], row)
			}
		}
	}
	pc := r.priceContext(ch.Currency)
	for i := range products {
		for j := range products[i].Variants {
			v := &products[i].Variants[j]
			v.Priced = true
			history := byVariant[v.ID]
			if w, ok := price.Resolve(history, pc); ok {
				v.Resolved = &w
			}
			if low, ok := price.LowestBefore(history, pc); ok {
				v.Lowest = &low
			}
		}
	}
}

// errNoVariant is the not-found of a variant id.
var errNoVariant = fault.NotFound("no such variant")

package postgres

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// WriteNewDocuments writes the documents of products just created (CreateProducts, in the
// transaction of ctx) from what was written, rather than reading every row back through
// product_document(): an import's initial load spent a third of its database time there (0.47 ms
// a 6-variant product; writing the document built here costs a tenth of that). The document is
// the one product_document() builds, field for field (TestNewDocumentsAreProductDocument holds
// the two together); the rows' times that now() gave are filled in by the statement. It returns
// the products as a read of their documents in locale returns them, without reading them back:
// only their attribute values come back from the statement, as jsonb writes them.
func (s *Store) WriteNewDocuments(ctx context.Context, instance uuid.UUID, locale string, ps []catalog.NewProduct) ([]catalog.Product, error) {
	ids := make([]uuid.UUID, len(ps))
	docs := make([]newDocument, len(ps))
	texts := make([][]byte, len(ps))
	for i, p := range ps {
		docs[i] = newDocumentOf(p, locale)
		raw, err := json.Marshal(docs[i])
		if err != nil {
			return nil, err
		}
		ids[i], texts[i] = p.ID, raw
	}
	records, err := joinRecords(texts)
	if err != nil {
		return nil, err
	}
	// Sessions run in UTC (pgpool), as the times Go formats below: to_json(now()) is what
	// product_document() shows for a created_at that now() set.
	rows, err := s.db(ctx).Query(ctx, `insert into product_documents (instance_id, product_id, doc)
		select $1, x.id, replace(x.doc, '"`+nowMark+`"', n.now)::jsonb
		from rows from (unnest($2::uuid[]), `+splitRecords("$3")+`) as x(id, doc), (select to_json(now())::text as now) n
		returning product_id, now(), case when doc->'values' <> '[]' then (doc->'values')::text end`,
		instance, ids, records)
	if err != nil {
		return nil, wrap(err)
	}
	loc := catalog.ReadLocale{Code: locale}
	byID := make(map[uuid.UUID]*newDocument, len(ps))
	for i := range docs {
		byID[docs[i].ID] = &docs[i]
	}
	out := make([]catalog.Product, 0, len(ps))
	var id uuid.UUID
	var at time.Time
	var values *string
	_, err = pgx.ForEachRow(rows, []any{&id, &at, &values}, func() error {
		d := byID[id].read(at)
		if values != nil {
			if err := json.Unmarshal([]byte(*values), &d.Values); err != nil {
				return err
			}
		}
		out = append(out, d.product(loc))
		return nil
	})
	if err == nil && len(out) != len(ps) {
		err = fmt.Errorf("postgres: %d documents written of %d", len(out), len(ps))
	}
	return out, wrap(err)
}

// read is the document as product_document() built it, its rows' times at.
func (d newDocument) read(at time.Time) document {
	r := document{ID: d.ID, Key: d.Key, Status: d.Status, Vendor: d.Vendor, Tags: d.Tags, Version: d.Version, CreatedAt: at, UpdatedAt: at,
		Category: d.Category, Texts: d.Texts, Options: d.Options, Channels: d.Channels, Collections: d.Collections, Medias: d.Medias,
		Prices: d.Prices}
	for _, v := range d.Variants {
		r.Variants = append(r.Variants, documentVariant{ID: v.ID, SKU: v.SKU, Title: v.Title, Barcode: v.Barcode, Position: v.Position,
			Version: v.Version, CreatedAt: at, UpdatedAt: at, OptionValues: v.OptionValues, Medias: v.Medias})
	}
	return r
}

// nowMark stands in a new document for the transaction's now(), which set the rows' times.
const nowMark = "@now"

// nowTime is a time the row took from now(): the statement writing the document fills it in.
type nowTime struct{}

func (nowTime) MarshalJSON() ([]byte, error) { return []byte(`"` + nowMark + `"`), nil }

// newDocument is product_document()'s document (migration 031) of a product without stored
// history, every list in that function's order. It is document (the type reads decode) but for
// the times now() gave, which the writing statement fills in (nowTime).
type newDocument struct {
	ID          uuid.UUID         `json:"id"`
	Key         *string           `json:"key"`
	Status      string            `json:"status"`
	Vendor      *string           `json:"vendor"`
	Tags        []string          `json:"tags"`
	Version     int64             `json:"version"`
	CreatedAt   nowTime           `json:"createdAt"`
	UpdatedAt   nowTime           `json:"updatedAt"`
	Category    *uuid.UUID        `json:"category"`
	Texts       documentTexts     `json:"texts"`
	Options     []documentOption  `json:"options"`
	Variants    []newVariant      `json:"variants"`
	Channels    []uuid.UUID       `json:"channels"`
	Collections []uuid.UUID       `json:"collections"`
	Medias      []uuid.UUID       `json:"medias"`
	Values      []documentValue   `json:"values"`
	Metafields  []json.RawMessage `json:"metafields"`
	Prices      []documentPrice   `json:"prices"`
}

type newVariant struct {
	ID           uuid.UUID   `json:"id"`
	SKU          string      `json:"sku"`
	Title        *string     `json:"title"`
	Barcode      *string     `json:"barcode"`
	Position     int         `json:"position"`
	Version      int64       `json:"version"`
	CreatedAt    nowTime     `json:"createdAt"`
	UpdatedAt    nowTime     `json:"updatedAt"`
	OptionValues []uuid.UUID `json:"optionValues"`
	Medias       []uuid.UUID `json:"medias"`
}

func byPosition(a, b int, x, y uuid.UUID) int {
	return cmp.Or(cmp.Compare(a, b), bytes.Compare(x[:], y[:]))
}

// newDocumentOf is the document of p as CreateProducts writes it in locale (queueProducts).
func newDocumentOf(p catalog.NewProduct, locale string) newDocument {
	d := newDocument{ID: p.ID, Key: p.Key, Status: string(p.Status), Vendor: p.Vendor, Tags: orNone(p.Tags), Version: 1,
		Category: p.Category, Texts: documentTexts{}, Options: []documentOption{}, Variants: []newVariant{},
		Channels: orNone(p.Channels), Collections: orNone(p.Collections), Medias: orNone(p.Medias), Values: []documentValue{},
		Metafields: []json.RawMessage{}, Prices: []documentPrice{}}
	if p.ProductTexts.Any() {
		d.Texts[locale] = p.ProductTexts
	}
	optionPosition := map[uuid.UUID]int{} // of each value's option
	for _, o := range p.Options {
		no := documentOption{ID: o.ID, Position: o.Position, Names: map[string]*string{locale: o.Name}, Values: []documentOptionValue{}}
		for _, v := range o.Values {
			no.Values = append(no.Values, documentOptionValue{ID: v.ID, Position: v.Position, Labels: map[string]*string{locale: v.Value}})
			optionPosition[v.ID] = o.Position
		}
		slices.SortFunc(no.Values, func(a, b documentOptionValue) int { return byPosition(a.Position, b.Position, a.ID, b.ID) })
		d.Options = append(d.Options, no)
	}
	slices.SortFunc(d.Options, func(a, b documentOption) int { return byPosition(a.Position, b.Position, a.ID, b.ID) })
	for _, v := range p.Variants {
		values := slices.Clone(orNone(v.OptionValueIDs))
		slices.SortStableFunc(values, func(a, b uuid.UUID) int { return cmp.Compare(optionPosition[a], optionPosition[b]) })
		d.Variants = append(d.Variants, newVariant{ID: v.ID, SKU: v.SKU, Title: v.Title, Barcode: v.Barcode, Position: v.Position,
			Version: 1, OptionValues: values, Medias: orNone(v.Medias)})
		for _, r := range v.Prices {
			np := documentPrice{ID: r.ID, Revision: 1, Variant: r.VariantID, Channel: r.ChannelID, Country: r.Country,
				Currency: r.Currency, Amount: r.Amount, CompareAt: r.CompareAt, Dated: r.Dated,
				Start: jsonTime(r.Start.Truncate(time.Microsecond))} // as stored
			if !r.Open() {
				end := jsonTime(r.End.Truncate(time.Microsecond))
				np.End = &end
			}
			d.Prices = append(d.Prices, np)
		}
	}
	slices.SortFunc(d.Variants, func(a, b newVariant) int { return byPosition(a.Position, b.Position, a.ID, b.ID) })
	for _, v := range p.Values {
		d.Values = append(d.Values, documentValue{Attribute: v.Attribute, Value: v.Value})
	}
	slices.SortFunc(d.Prices, func(a, b documentPrice) int {
		return cmp.Or(bytes.Compare(a.Variant[:], b.Variant[:]), time.Time(a.Start).Compare(time.Time(b.Start)), bytes.Compare(a.ID[:], b.ID[:]))
	})
	return d
}

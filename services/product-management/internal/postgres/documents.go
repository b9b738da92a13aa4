package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// document is a product's read-model document as product_document (migrations 021, 028) builds it.
type document struct {
	ID          uuid.UUID         `json:"id"`
	Key         *string           `json:"key"`
	Status      string            `json:"status"`
	Vendor      *string           `json:"vendor"`
	Tags        []string          `json:"tags"`
	Version     int64             `json:"version"`
	CreatedAt   time.Time         `json:"createdAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Category    *uuid.UUID        `json:"category"`
	Texts       documentTexts     `json:"texts"` // by locale
	Options     []documentOption  `json:"options"`
	Variants    []documentVariant `json:"variants"`
	Channels    []uuid.UUID       `json:"channels"`
	Collections []uuid.UUID       `json:"collections"`
	Medias      []uuid.UUID       `json:"medias"`
	Values      []documentValue   `json:"values"`
	Metafields  []struct {
		ID         uuid.UUID   `json:"id"`
		Variant    *uuid.UUID  `json:"variant"`
		Namespace  string      `json:"namespace"`
		Key        string      `json:"key"`
		Type       string      `json:"type"`
		Value      string      `json:"value"`
		CreatedAt  time.Time   `json:"createdAt"`
		UpdatedAt  time.Time   `json:"updatedAt"`
		References []uuid.UUID `json:"references"`
	} `json:"metafields"`
	Prices []documentPrice `json:"prices"`
}

// The parts of a document that WriteNewDocuments writes too (newDocument).
type (
	documentVariant struct {
		ID           uuid.UUID   `json:"id"`
		SKU          string      `json:"sku"`
		Title        *string     `json:"title"`
		Barcode      *string     `json:"barcode"`
		Position     int         `json:"position"`
		Version      int64       `json:"version"`
		CreatedAt    time.Time   `json:"createdAt"`
		UpdatedAt    time.Time   `json:"updatedAt"`
		OptionValues []uuid.UUID `json:"optionValues"`
		Medias       []uuid.UUID `json:"medias"`
	}
	documentOption struct {
		ID       uuid.UUID             `json:"id"`
		Position int                   `json:"position"`
		Names    map[string]*string    `json:"names"`
		Values   []documentOptionValue `json:"values"`
	}
	documentOptionValue struct {
		ID       uuid.UUID          `json:"id"`
		Position int                `json:"position"`
		Labels   map[string]*string `json:"labels"`
	}
	documentValue struct {
		Attribute uuid.UUID       `json:"attribute"`
		Value     json.RawMessage `json:"value"`
	}
	documentPrice struct {
		ID        uuid.UUID  `json:"id"`
		Revision  int64      `json:"revision"`
		Variant   uuid.UUID  `json:"variant"`
		Channel   *uuid.UUID `json:"channel"`
		Country   string     `json:"country"`
		Currency  string     `json:"currency"`
		Amount    int64      `json:"amount"`
		CompareAt *int64     `json:"compareAt"`
		Dated     bool       `json:"dated"`
		Start     jsonTime   `json:"start"`
		End       *jsonTime  `json:"end"`
	}
)

// jsonTime is a stored time (to the microsecond) as PostgreSQL writes it in JSON in a UTC
// session; it reads any RFC 3339 time.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(t).UTC().Format(timeLayout))
}

func (t *jsonTime) UnmarshalJSON(b []byte) error { return (*time.Time)(t).UnmarshalJSON(b) }

// timeLayout is how PostgreSQL writes a timestamptz in JSON in a UTC session.
const timeLayout = "2006-01-02T15:04:05.999999-07:00"

// text picks a translatable text in the read locale, else in its fallback (as the graph's
// coalesce did).
func text(m map[string]*string, loc catalog.ReadLocale) *string {
	return orFallback(m[loc.Code], m[loc.Fallback], loc)
}

// orFallback is t, the text in the read locale, else f, the text in its fallback (if it has one).
func orFallback(t, f *string, loc catalog.ReadLocale) *string {
	if t != nil || loc.Fallback == "" {
		return t
	}
	return f
}

// orNil keeps an empty list nil, as the normalized reads returned it.
func orNil[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// product is the document as the catalog reads it in loc.
func (d *document) product(loc catalog.ReadLocale) catalog.Product {
	// Every list and pointer is copied: the document is shared by every read of it (the decoded
	// cache), and a caller may change what it is handed.
	p := catalog.Product{ID: d.ID, Key: clone(d.Key), Status: catalog.Status(d.Status), Vendor: clone(d.Vendor), Tags: slices.Clone(d.Tags), Version: d.Version,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), Category: clone(d.Category),
		Channels: orNil(slices.Clone(d.Channels)), Collections: orNil(slices.Clone(d.Collections)), Medias: orNil(slices.Clone(d.Medias))}
	if p.Tags == nil {
		p.Tags = []string{}
	}
	// Each text falls back on its own, as the graph's coalesce did.
	var fallback catalog.ProductTexts
	if loc.Fallback != "" {
		fallback = d.Texts[loc.Fallback]
	}
	p.ProductTexts = d.Texts[loc.Code].Or(fallback)
	for _, o := range d.Options {
		opt := catalog.Option{ID: o.ID, ProductID: d.ID, Name: clone(text(o.Names, loc)), Position: o.Position}
		for _, v := range o.Values {
			opt.Values = append(opt.Values, catalog.OptionValue{ID: v.ID, OptionID: o.ID, ProductID: d.ID, Value: clone(text(v.Labels, loc)), Position: v.Position})
		}
		p.Options = append(p.Options, opt)
	}
	for _, v := range d.Variants {
		p.Variants = append(p.Variants, catalog.Variant{ID: v.ID, ProductID: d.ID, SKU: v.SKU, Title: clone(v.Title), Barcode: clone(v.Barcode),
			Position: v.Position, Version: v.Version, CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
			OptionValueIDs: orNil(slices.Clone(v.OptionValues)), Medias: orNil(slices.Clone(v.Medias))})
	}
	for _, v := range d.Values {
		p.Values = append(p.Values, catalog.AttributeValue{Attribute: v.Attribute, Value: slices.Clone(v.Value)})
	}
	p.Metafields = make([]catalog.Metafield, 0, len(d.Metafields))
	for _, f := range d.Metafields {
		refs := slices.Clone(f.References)
		if refs == nil {
			refs = []uuid.UUID{}
		}
		p.Metafields = append(p.Metafields, catalog.Metafield{ID: f.ID, ProductID: d.ID, VariantID: clone(f.Variant), Namespace: f.Namespace, Key: f.Key,
			Type: f.Type, Value: f.Value, References: refs, CreatedAt: f.CreatedAt.UTC(), UpdatedAt: f.UpdatedAt.UTC()})
	}
	p.PriceHistory = make([]price.Row, 0, len(d.Prices))
	for _, r := range d.Prices {
		row := price.Row{ID: r.ID, Revision: r.Revision, VariantID: r.Variant, ChannelID: clone(r.Channel), Country: r.Country, Currency: r.Currency,
			Amount: r.Amount, CompareAt: clone(r.CompareAt), Dated: r.Dated, Start: time.Time(r.Start).UTC()}
		if r.End != nil {
			row.End = time.Time(*r.End).UTC()
		}
		p.PriceHistory = append(p.PriceHistory, row)
	}
	return p
}

// clone copies what p points to.
func clone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// docKey names a decoded document in the cache.
type docKey struct{ instance, product uuid.UUID }

// decoded is a document as decoded at a revision; it is shared and never changed.
type decoded struct {
	revision int64
	doc      *document
}

// Products reads the documents of ids in one statement, in the order of ids, in loc.
func (s *Store) Products(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale) ([]catalog.Product, error) {
	products, _, err := s.documents(ctx, instance, ids, loc, nil)
	return products, err
}

// PricedProducts reads the documents and the channel of a priced read in one statement; the
// channel comes back with its id and currency (what resolution uses), none when it does not exist.
func (s *Store) PricedProducts(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale, channel uuid.UUID) ([]catalog.Product, []catalog.Channel, error) {
	products, currency, err := s.documents(ctx, instance, ids, loc, &channel)
	switch {
	case err != nil:
		return nil, nil, err
	case currency != nil:
		return products, []catalog.Channel{{ID: channel, Currency: *currency}}, nil
	}
	return products, nil, nil // no such channel, or no products to price
}

// documents is ProductDocuments holding nothing: every product built.
func (s *Store) documents(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale, channel *uuid.UUID) ([]catalog.Product, *string, error) {
	docs, currency, err := s.ProductDocuments(ctx, instance, ids, make([]int64, len(ids)), loc, channel)
	if err != nil {
		return nil, nil, err
	}
	products := make([]catalog.Product, len(docs))
	for i, d := range docs {
		products[i] = *d.Product
	}
	return products, currency, nil
}

// productDocumentSQL reads one document unless it is at revision $3 (the revision the caller keeps a
// rendering of its read from) or $4 (what this process holds decoded): one row by primary key, as
// light for the database as the lookup pgbench -S times. A priced read asks pricedDocumentSQL,
// which adds the currency of channel $5 (null: no such channel). Two statements, not one with a
// null channel: PostgreSQL keeps re-planning a prepared statement whose custom plans look cheaper
// than its generic one, and a null $5 made every custom plan cheaper (planning was three quarters
// of the database's time per read).
// productDocumentsSQL and pricedDocumentsSQL are the same for many ids ($2), with the revisions
// known of each ($3: the caller's, $4: this process's; 0: none), in the order of ids, each row
// with its id's position.
const (
	documentRow        = `revision, case when revision in ($3, $4) then null else doc end, `
	documentByKey      = ` from product_documents where instance_id = $1 and product_id = $2`
	productDocumentSQL = `select ` + documentRow + `null::text` + documentByKey
	pricedDocumentSQL  = `select ` + documentRow + channelCurrency + documentByKey

	documentsRow = `k.n - 1, d.revision, case when d.revision in (k.kept, k.dec) then null else d.doc end, `
	documentsIn  = ` from unnest($2::uuid[], $3::bigint[], $4::bigint[]) with ordinality as k(id, kept, dec, n)
	join product_documents d on d.instance_id = $1 and d.product_id = k.id
	order by k.n`
	productDocumentsSQL = `select ` + documentsRow + `null::text` + documentsIn
	pricedDocumentsSQL  = `select ` + documentsRow + channelCurrency + documentsIn

	channelCurrency = `(select c.currency from channels c where c.instance_id = $1 and c.id = $5)`
)

// ProductDocuments reads the documents of ids (distinct) in one statement, in the order of ids
// (missing ones left out), building in loc those not at the revision kept of them (0: none), with the currency
// of channel (nil: none asked).
func (s *Store) ProductDocuments(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, kept []int64, loc catalog.ReadLocale, channel *uuid.UUID) ([]catalog.Document, *string, error) {
	changing := inChange(ctx)
	dec := make([]decoded, len(ids))
	if !changing && s.decoded != nil {
		for i, id := range ids {
			dec[i], _ = s.decoded.Get(docKey{instance, id})
		}
	}
	if len(ids) == 1 {
		it := &itemRead{instance: instance, id: ids[0], kept: kept[0], dec: dec[0].revision}
		if channel != nil {
			it.channel = *channel
		}
		if items := s.itemsFor(ctx); changing || items == nil { // the change's transaction sees its own writes
			lookUp(ctx, s.db(ctx), it)
		} else if err := items.read(ctx, it); err != nil {
			return nil, nil, wrap(err)
		}
		if it.err != nil {
			return nil, nil, wrap(it.err)
		}
		if !it.found {
			return nil, nil, nil
		}
		d, err := s.document(instance, ids[0], it.revision, it.doc, kept[0], dec[0], loc, changing)
		if err != nil {
			return nil, nil, err
		}
		return []catalog.Document{d}, it.currency, nil
	}
	var currency *string
	decRevs := make([]int64, len(ids))
	for i, d := range dec {
		decRevs[i] = d.revision
	}
	var rows pgx.Rows
	var err error
	if channel != nil {
		rows, err = s.db(ctx).Query(ctx, pricedDocumentsSQL, instance, ids, kept, decRevs, *channel)
	} else {
		rows, err = s.db(ctx).Query(ctx, productDocumentsSQL, instance, ids, kept, decRevs)
	}
	if err != nil {
		return nil, nil, wrap(err)
	}
	defer rows.Close()
	out := make([]catalog.Document, 0, len(ids))
	for rows.Next() {
		var i int
		var rev int64
		var raw []byte
		if err := rows.Scan(&i, &rev, &raw, &currency); err != nil {
			return nil, nil, wrap(err)
		}
		if i < 0 || i >= len(ids) {
			return nil, nil, fmt.Errorf("postgres: a document came back at position %d of %d", i, len(ids))
		}
		d, err := s.document(instance, ids[i], rev, raw, kept[i], dec[i], loc, changing)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, wrap(err)
	}
	return out, currency, nil
}

// document is one row of a read of documents: unbuilt at the revision kept, else built from what
// this process decoded at the revision (dec) or from the body (raw), decoded and kept.
func (s *Store) document(instance, id uuid.UUID, rev int64, raw []byte, kept int64, dec decoded, loc catalog.ReadLocale, changing bool) (catalog.Document, error) {
	d := catalog.Document{ID: id, Revision: rev}
	switch {
	case kept != 0 && rev == kept:
		return d, nil
	case raw == nil:
		if dec.doc == nil || dec.revision != rev {
			return d, fmt.Errorf("postgres: document %s came back without its body at revision %d", id, rev)
		}
		p := dec.doc.product(loc)
		d.Product = &p
		return d, nil
	}
	doc := &document{}
	if err := json.Unmarshal(raw, doc); err != nil {
		return d, err
	}
	if !changing && s.decoded != nil {
		s.decoded.Add(docKey{instance, id}, decoded{revision: rev, doc: doc})
	}
	p := doc.product(loc)
	d.Product = &p
	return d, nil
}

// touchedSQL resolves a catalog.Touch ($2..$9) to the product ids it leads to, in instance $1.
const touchedSQL = `select p.id from products p where p.instance_id = $1 and p.id = any($2)
	union select product_id from variants where instance_id = $1 and id = any($3)
	union select product_id from product_options where instance_id = $1 and id = any($4)
	union select product_id from option_values where instance_id = $1 and id = any($5)
	union select product_id from prices where instance_id = $1 and id = any($6)
	union select product_id from metafields where instance_id = $1 and id = any($7)
	union select product_id from product_medias where instance_id = $1 and media_id = any($8)
	union select product_id from variant_medias where instance_id = $1 and media_id = any($8)
	union select product_id from product_collections where instance_id = $1 and collection_id = any($9)`

func touchArgs(instance uuid.UUID, t catalog.Touch) []any {
	return []any{instance, t.Products, t.Variants, t.Options, t.Values, t.Prices, t.Metafields, t.Medias, t.Collections}
}

// variantsTouchedSQL resolves the variants whose own representation t changes: those named, those
// of the prices, and the owners of variant metafields.
// ($1 instance, $2 variants, $3 prices, $4 metafields, $5 medias).
const variantsTouchedSQL = `select id from variants where instance_id = $1 and id = any($2)
	union select variant_id from prices where instance_id = $1 and id = any($3)
	union select variant_id from metafields where instance_id = $1 and id = any($4) and variant_id is not null
	union select variant_id from variant_medias where instance_id = $1 and media_id = any($5)`

// RefreshDocuments rewrites, in the change's transaction, the documents of the products t leads
// to (in id order, so concurrent changes lock rows and documents in one order). First it moves on the
// version (the ETag) of every product and variant whose read the change alters and that the
// change did not already bump (a row this transaction updated has its xid as xmin): a read's
// ETag then changes whenever its representation does, metafields and prices included, which is
// what lets If-None-Match answer 304 (only for writes that do not move them themselves:
// catalog.Touch.MoveVersions). One round trip.
func (s *Store) RefreshDocuments(ctx context.Context, instance uuid.UUID, t catalog.Touch) ([]uuid.UUID, error) {
	args := touchArgs(instance, t)
	b := &pgx.Batch{}
	if t.MovesVersions() {
		// Rows are locked in id order first (the update itself would lock them in scan order).
		b.Queue(`update variants v set version = version + 1, updated_at = now()
			from (select id from variants where instance_id = $1 and id in (`+variantsTouchedSQL+`)
				and xmin <> pg_current_xact_id()::xid order by id for update) l
			where v.instance_id = $1 and v.id = l.id`,
			instance, t.Variants, t.Prices, t.Metafields, t.Medias)
		b.Queue(`update products p set version = version + 1, updated_at = now()
			from (select id from products where instance_id = $1 and id in (`+touchedSQL+`)
				and xmin <> pg_current_xact_id()::xid order by id for update) l
			where p.instance_id = $1 and p.id = l.id`, args...)
	}
	if product, ok := t.OnlyProduct(); ok {
		// One product named (its create or update, the common change): PostgreSQL re-planned the
		// union of touchedSQL on every execution (its custom plans, with the unused legs' arrays
		// null, look cheaper than the generic one), which cost it more than the rewrite itself.
		b.Queue(`insert into product_documents (instance_id, product_id, doc)
			select $1, p.id, product_document($1, p.id) from products p where p.instance_id = $1 and p.id = $2
			on conflict (instance_id, product_id) do update set doc = excluded.doc, revision = product_documents.revision + 1
			returning product_id`, instance, product)
	} else {
		b.Queue(`insert into product_documents (instance_id, product_id, doc)
			select $1, t.id, product_document($1, t.id) from (`+touchedSQL+`) t
			order by t.id
			on conflict (instance_id, product_id) do update set doc = excluded.doc, revision = product_documents.revision + 1
			returning product_id`, args...)
	}
	br := s.db(ctx).SendBatch(ctx, b)
	defer br.Close()
	for range b.Len() - 1 {
		if _, err := br.Exec(); err != nil {
			return nil, wrap(err)
		}
	}
	rows, err := br.Query()
	if err != nil {
		return nil, wrap(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, wrap(err)
	}
	return ids, wrap(br.Close())
}

// ResolveTouch resolves t to the products and variants it leads to (before a delete takes the rows
// that lead to them).
func (s *Store) ResolveTouch(ctx context.Context, instance uuid.UUID, t catalog.Touch) (catalog.Touch, error) {
	var out catalog.Touch
	b := &pgx.Batch{}
	// A media or collection about to go is locked first: a concurrent write that links it to a
	// product then either committed before (and is resolved here) or waits and fails.
	if len(t.Medias) > 0 {
		b.Queue(`select 1 from medias where instance_id = $1 and id = any($2) for update`, instance, t.Medias)
	}
	if len(t.Collections) > 0 {
		b.Queue(`select 1 from collections where instance_id = $1 and id = any($2) for update`, instance, t.Collections)
	}
	b.Queue(touchedSQL, touchArgs(instance, t)...).Query(func(rows pgx.Rows) error {
		var err error
		out.Products, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	b.Queue(variantsTouchedSQL, instance, t.Variants, t.Prices, t.Metafields, t.Medias).Query(func(rows pgx.Rows) error {
		var err error
		out.Variants, err = pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		return err
	})
	return out, wrap(s.db(ctx).SendBatch(ctx, b).Close())
}

// documentBatch is how many products a rebuild or verify step takes: each step is one statement,
// well inside the statement timeout.
const documentBatch = 500

// eachProductBatch calls fn with the keys of an instance's products (every instance's: uuid.Nil),
// documentBatch at a time in key order.
func (s *Store) eachProductBatch(ctx context.Context, instance uuid.UUID, fn func(instances, ids []uuid.UUID) error) error {
	afterInstance, afterID := instance, uuid.Nil // an instance's walk starts at its first key
	for {
		rows, err := s.pool.Query(ctx, `select instance_id, id from products
			where ($1::uuid is null or instance_id = $1) and (instance_id, id) > ($2, $3)
			order by instance_id, id limit $4`, nilUUID(instance), afterInstance, afterID, documentBatch)
		if err != nil {
			return wrap(err)
		}
		var instances, ids []uuid.UUID
		for rows.Next() {
			var i, id uuid.UUID
			if err := rows.Scan(&i, &id); err != nil {
				rows.Close()
				return wrap(err)
			}
			instances, ids = append(instances, i), append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return wrap(err)
		}
		if len(ids) == 0 {
			return nil
		}
		if err := fn(instances, ids); err != nil {
			return err
		}
		afterInstance, afterID = instances[len(ids)-1], ids[len(ids)-1]
	}
}

// rebuildSQL writes the documents of the keys $1 (instances) and $2 (ids) that differ from a
// fresh build, and returns their keys.
const rebuildSQL = `insert into product_documents (instance_id, product_id, doc)
	select k.i, k.id, product_document(k.i, k.id) from unnest($1::uuid[], $2::uuid[]) as k(i, id)
	on conflict (instance_id, product_id) do update set doc = excluded.doc, revision = product_documents.revision + 1
	where product_documents.doc is distinct from excluded.doc
	returning instance_id, product_id`

// RebuildDocuments rewrites from the base tables the documents of an instance's products (every
// instance's: uuid.Nil), for migrations that change the document's shape, and reports how many
// changed. A changed document moves its product's and variants' versions (then is built again
// with them): their reads changed, so their ETags, and the encodings replicas keep under them,
// must change too.
func (s *Store) RebuildDocuments(ctx context.Context, instance uuid.UUID) (int64, error) {
	var changed int64
	err := s.eachProductBatch(ctx, instance, func(instances, ids []uuid.UUID) error {
		// Every change locks its product's row before writing its document: locking the batch's
		// rows first, then building in a second statement (a fresh snapshot), never writes a build
		// older than a concurrent change's. A retried batch counts once: its last attempt.
		var batch int64
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			batch = 0
			if _, err := tx.Exec(ctx, `select 1 from products p join unnest($1::uuid[], $2::uuid[]) as k(i, id)
				on p.instance_id = k.i and p.id = k.id order by p.instance_id, p.id for update of p`, instances, ids); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, rebuildSQL, instances, ids)
			if err != nil {
				return err
			}
			var is, ps []uuid.UUID
			for rows.Next() {
				var i, p uuid.UUID
				if err := rows.Scan(&i, &p); err != nil {
					rows.Close()
					return err
				}
				is, ps = append(is, i), append(ps, p)
			}
			if err := rows.Err(); err != nil || len(ps) == 0 {
				return err
			}
			batch = int64(len(ps))
			b := &pgx.Batch{}
			b.Queue(`update products p set version = version + 1 from unnest($1::uuid[], $2::uuid[]) as k(i, id)
				where p.instance_id = k.i and p.id = k.id`, is, ps)
			b.Queue(`update variants v set version = version + 1 from unnest($1::uuid[], $2::uuid[]) as k(i, id)
				where v.instance_id = k.i and v.product_id = k.id`, is, ps)
			b.Queue(rebuildSQL, is, ps)
			return tx.SendBatch(ctx, b).Close()
		})
		if err == nil {
			changed += batch
		}
		return wrap(err)
	})
	return changed, err
}

// VerifyDocuments lists the products (of an instance, or all: uuid.Nil) whose document is missing,
// differs from a fresh build from the base tables, or disagrees with the Go type reads decode it
// into (checkDocumentKeys): SQL is checked against SQL and against Go.
func (s *Store) VerifyDocuments(ctx context.Context, instance uuid.UUID) ([]uuid.UUID, error) {
	var bad []uuid.UUID
	err := s.eachProductBatch(ctx, instance, func(instances, ids []uuid.UUID) error {
		rows, err := s.pool.Query(ctx, `select k.id, d.doc, d.doc is distinct from product_document(k.i, k.id)
			from unnest($1::uuid[], $2::uuid[]) as k(i, id)
			left join product_documents d on d.instance_id = k.i and d.product_id = k.id`, instances, ids)
		if err != nil {
			return wrap(err)
		}
		var id uuid.UUID
		var doc []byte
		var stale bool
		_, err = pgx.ForEachRow(rows, []any{&id, &doc, &stale}, func() error {
			if stale || checkDocumentKeys(doc) != nil {
				bad = append(bad, id)
			}
			return nil
		})
		return wrap(err)
	})
	return bad, err
}

// checkDocumentKeys fails when a stored document and the document type disagree on any key: one
// the type lacks (it would be dropped), or one the document lacks (it would read as zero). Values
// are not compared (a fresh build is, in SQL).
func checkDocumentKeys(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var d document
	if err := dec.Decode(&d); err != nil {
		return err
	}
	again, err := json.Marshal(&d)
	if err != nil {
		return err
	}
	var stored, typed any
	if err := json.Unmarshal(raw, &stored); err != nil {
		return err
	}
	if err := json.Unmarshal(again, &typed); err != nil {
		return err
	}
	return sameKeys("", stored, typed)
}

// sameKeys compares the object keys of two decoded JSON values, recursively.
func sameKeys(path string, a, b any) error {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: an object in the document, %T in the type", path, b)
		}
		for k := range x {
			if _, ok := y[k]; !ok {
				return fmt.Errorf("%s.%s: in the document, not in the type", path, k)
			}
		}
		for k, v := range y {
			if _, ok := x[k]; !ok {
				return fmt.Errorf("%s.%s: in the type, not in the document", path, k)
			}
			if err := sameKeys(path+"."+k, x[k], v); err != nil {
				return err
			}
		}
	case []any:
		y, _ := b.([]any)
		if len(y) != len(x) {
			return fmt.Errorf("%s: %d entries in the document, %d in the type", path, len(x), len(y))
		}
		for i := range x {
			if err := sameKeys(fmt.Sprintf("%s[%d]", path, i), x[i], y[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

func nilUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// writtenWith finds the rows of products' graphs this transaction wrote: their xmin is its id
// (every write here runs in the top transaction, no savepoint). A variant created now has
// created_at = now(), the transaction's start.
const writtenWith = `select 'product', p.id, p.id, null::uuid, false from products p
		where p.instance_id = $1 and p.id = any($2) and p.xmin = pg_current_xact_id()::xid
	union all select 'variant', v.id, v.product_id, null, v.created_at = now() from variants v
		where v.instance_id = $1 and v.product_id = any($2) and v.xmin = pg_current_xact_id()::xid
	union all select 'option', o.id, o.product_id, null, false from product_options o
		where o.instance_id = $1 and o.product_id = any($2) and o.xmin = pg_current_xact_id()::xid
	union all select 'optionValue', v.id, v.product_id, v.option_id, false from option_values v
		where v.instance_id = $1 and v.product_id = any($2) and v.xmin = pg_current_xact_id()::xid
	union all select distinct 'price', r.id, r.product_id, null::uuid, false from prices r
		where r.instance_id = $1 and r.product_id = any($2) and r.xmin = pg_current_xact_id()::xid`

func (s *Store) WrittenWith(ctx context.Context, instance uuid.UUID, products []uuid.UUID) ([]catalog.Written, error) {
	rows, err := s.db(ctx).Query(ctx, writtenWith, instance, products)
	if err != nil {
		return nil, wrap(err)
	}
	var out []catalog.Written
	var w catalog.Written
	var kind string
	var option *uuid.UUID
	_, err = pgx.ForEachRow(rows, []any{&kind, &w.ID, &w.Product, &option, &w.Created}, func() error {
		w.Kind = catalog.Kind(kind)
		w.Option = uuid.Nil
		if option != nil {
			w.Option = *option
		}
		out = append(out, w)
		return nil
	})
	return out, wrap(err)
}

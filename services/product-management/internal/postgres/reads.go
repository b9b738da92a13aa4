package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// Embeds loads what a page of product graphs lists or embeds beyond the graph in one round trip:
// the statements of the single-purpose lookups, queued in one batch.
func (s *Store) Embeds(ctx context.Context, instance uuid.UUID, q catalog.EmbedQuery) (catalog.Embeds, error) {
	var out catalog.Embeds
	b := &pgx.Batch{}
	loc := q.Locale
	if len(q.Channels) > 0 {
		collectInto(b, &out.Channels, scanChannel, channelsByID, instance, q.Channels)
	}
	if len(q.Medias) > 0 {
		collectInto(b, &out.Medias, func(r pgx.Row) (catalog.Media, error) { return scanMedia(r) },
			mediasByID, instance, loc.Code, loc.Fallback, q.Medias)
	}
	if len(q.Categories) > 0 {
		collectInto(b, &out.Categories, func(r pgx.Row) (catalog.Category, error) { return scanCategory(r) },
			categoriesByID, instance, loc.Code, loc.Fallback, q.Categories)
	}
	if len(q.Collections) > 0 {
		collectInto(b, &out.Collections, func(r pgx.Row) (catalog.Collection, error) { return scanCollection(r) },
			collectionsByID, instance, loc.Code, loc.Fallback, q.Collections)
	}
	if len(q.Products) > 0 {
		collectInto(b, &out.Metafields, func(r pgx.Row) (catalog.Metafield, error) { return scanMetafield(r) },
			metafieldsOf, instance, q.Products)
		if q.Metaobjects {
			collectInto(b, &out.Metaobjects, func(r pgx.Row) (catalog.Metaobject, error) { return scanMetaobject(r) },
				metaobjectsOf, instance, q.Products)
		}
	}
	if q.PriceChannel != uuid.Nil {
		collectInto(b, &out.PriceChannel, scanChannel, channelsByID, instance, []uuid.UUID{q.PriceChannel})
		// The currency is the channel's, taken inside the statement so both share the round trip.
		collectInto(b, &out.PriceHistory, func(r pgx.Row) (price.Row, error) { return scanRevision(r) }, `select `+revisionColumns+`
			from prices p where p.instance_id = $1 and p.product_id = any($2)
			and p.currency = (select c.currency from channels c where c.instance_id = $1 and c.id = $3)`, instance, q.Products, q.PriceChannel)
	}
	if b.Len() == 0 {
		return out, nil
	}
	return out, wrap(s.db(ctx).SendBatch(ctx, b).Close())
}

// collectInto queues sql on b; when the batch runs, its rows are scanned into dst.
func collectInto[T any](b *pgx.Batch, dst *[]T, scan func(pgx.Row) (T, error), sql string, args ...any) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		var err error
		*dst, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
		return err
	})
}

// orderColumn maps an order key to its SQL expression.
func orderColumn(by string) string {
	switch by {
	case "updated_at":
		return "p.updated_at"
	case "title":
		return "lower(coalesce(t.title, d.title))"
	}
	return "p.created_at"
}

func (s *Store) ListProductIDs(ctx context.Context, instance uuid.UUID, q catalog.ListQuery) ([]uuid.UUID, int, *catalog.Cursor, error) {
	args := []any{instance}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := []string{"p.instance_id = $1"}
	joinTitle := q.Title != nil || q.OrderBy == "title"
	from := "products p"
	if joinTitle {
		from += ` left join product_translations t on t.instance_id = p.instance_id and t.product_id = p.id and t.locale = ` + arg(q.Locale.Code) + `
			left join product_translations d on d.instance_id = p.instance_id and d.product_id = p.id and d.locale = ` + arg(q.Locale.Fallback)
	}
	if q.Status != nil {
		where = append(where, "p.status = "+arg(string(*q.Status)))
	}
	if q.Collection != nil {
		where = append(where, "exists (select 1 from product_collections pc where pc.instance_id = p.instance_id and pc.product_id = p.id and pc.collection_id = "+arg(*q.Collection)+")")
	}
	if q.Channel != nil {
		where = append(where, "exists (select 1 from product_channels pc where pc.instance_id = p.instance_id and pc.product_id = p.id and pc.channel_id = "+arg(*q.Channel)+")")
	}
	if q.Vendor != nil {
		where = append(where, "p.vendor = "+arg(*q.Vendor))
	}
	if len(q.Tags) > 0 {
		where = append(where, "p.tags && "+arg(q.Tags))
	}
	if q.Title != nil {
		where = append(where, "coalesce(t.title, d.title) ilike "+arg("%"+likeEscape(*q.Title)+"%"))
	}
	if q.CreatedAfter != nil {
		where = append(where, "p.created_at >= "+arg(*q.CreatedAfter))
	}
	if q.CreatedBefore != nil {
		where = append(where, "p.created_at < "+arg(*q.CreatedBefore))
	}
	if q.UpdatedAfter != nil {
		where = append(where, "p.updated_at >= "+arg(*q.UpdatedAfter))
	}
	if q.UpdatedBefore != nil {
		where = append(where, "p.updated_at < "+arg(*q.UpdatedBefore))
	}
	dir, cmp := "asc", ">"
	if q.Descending {
		dir, cmp = "desc", "<"
	}
	col := orderColumn(q.OrderBy)
	if q.Cursor != nil {
		if q.Cursor.ID != uuid.Nil { // the zero cursor starts the walk
			where = append(where, fmt.Sprintf("(%s, p.id) %s (%s, %s)", col, cmp, arg(q.Cursor.At), arg(q.Cursor.ID)))
		}
		sql := fmt.Sprintf(`select p.id, %s from %s where %s order by %s %s, p.id %s limit %s`,
			col, from, strings.Join(where, " and "), col, dir, dir, arg(q.PerPage+1))
		rows, err := s.db(ctx).Query(ctx, sql, args...)
		if err != nil {
			return nil, 0, nil, wrap(err)
		}
		type row struct {
			id uuid.UUID
			at time.Time
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
			var x row
			err := r.Scan(&x.id, &x.at)
			return x, err
		})
		if err != nil {
			return nil, 0, nil, wrap(err)
		}
		var next *catalog.Cursor
		if len(list) > q.PerPage {
			list = list[:q.PerPage]
			last := list[len(list)-1]
			next = &catalog.Cursor{At: last.at, ID: last.id}
		}
		ids := make([]uuid.UUID, len(list))
		for i, x := range list {
			ids[i] = x.id
		}
		return ids, -1, next, nil
	}
	sql := fmt.Sprintf(`select p.id, count(*) over () from %s where %s order by %s %s nulls last, p.id %s limit %s offset %s`,
		from, strings.Join(where, " and "), col, dir, dir, arg(q.PerPage), arg((q.Page-1)*q.PerPage))
	rows, err := s.db(ctx).Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, nil, wrap(err)
	}
	total := 0
	ids, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (uuid.UUID, error) {
		var id uuid.UUID
		err := r.Scan(&id, &total)
		return id, err
	})
	if err != nil {
		return nil, 0, nil, wrap(err)
	}
	if len(ids) == 0 && q.Page > 1 {
		// Past the last page the window saw no rows: count on its own.
		countArgs := args[:len(args)-2]
		err = s.db(ctx).QueryRow(ctx, fmt.Sprintf(`select count(*) from %s where %s`, from, strings.Join(where, " and ")), countArgs...).Scan(&total)
	}
	return ids, total, nil, wrap(err)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Products loads the graphs of ids in one round trip (ten queries in one batch), in the order of ids.
func (s *Store) Products(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale) ([]catalog.Product, error) {
	b := &pgx.Batch{}
	// Texts are correlated lookups on the translation keys, so each is one primary-key probe whatever
	// the planner's statistics say; the fallback is only read when the requested text is missing.
	b.Queue(`select p.id, p.status, p.vendor, p.tags, p.version, p.created_at, p.updated_at, p.category_id,
			coalesce((select t.title from product_translations t where t.instance_id = p.instance_id and t.product_id = p.id and t.locale = $3),
				(select t.title from product_translations t where t.instance_id = p.instance_id and t.product_id = p.id and t.locale = $4)),
			coalesce((select t.description from product_translations t where t.instance_id = p.instance_id and t.product_id = p.id and t.locale = $3),
				(select t.description from product_translations t where t.instance_id = p.instance_id and t.product_id = p.id and t.locale = $4))
		from products p where p.instance_id = $1 and p.id = any($2)`, instance, ids, loc.Code, loc.Fallback)
	b.Queue(`select o.id, o.product_id, o.position,
			coalesce((select t.name from product_option_translations t where t.instance_id = o.instance_id and t.option_id = o.id and t.locale = $3),
				(select t.name from product_option_translations t where t.instance_id = o.instance_id and t.option_id = o.id and t.locale = $4))
		from product_options o where o.instance_id = $1 and o.product_id = any($2) order by o.product_id, o.position, o.id`, instance, ids, loc.Code, loc.Fallback)
	b.Queue(`select v.id, v.option_id, v.product_id, v.position,
			coalesce((select t.value from option_value_translations t where t.instance_id = v.instance_id and t.value_id = v.id and t.locale = $3),
				(select t.value from option_value_translations t where t.instance_id = v.instance_id and t.value_id = v.id and t.locale = $4))
		from option_values v where v.instance_id = $1 and v.product_id = any($2) order by v.option_id, v.position, v.id`, instance, ids, loc.Code, loc.Fallback)
	b.Queue(`select id, product_id, sku, title, barcode, position, version, created_at, updated_at
		from variants where instance_id = $1 and product_id = any($2) order by product_id, position, id`, instance, ids)
	b.Queue(`select x.variant_id, x.option_value_id from variant_option_values x
		join option_values v on v.instance_id = x.instance_id and v.id = x.option_value_id
		join product_options o on o.instance_id = v.instance_id and o.id = v.option_id
		where x.instance_id = $1 and x.product_id = any($2) order by x.variant_id, o.position`, instance, ids)
	b.Queue(`select variant_id, media_id from variant_medias where instance_id = $1 and product_id = any($2)
		order by variant_id, position`, instance, ids)
	b.Queue(`select product_id, channel_id from product_channels where instance_id = $1 and product_id = any($2)
		order by product_id, position`, instance, ids)
	b.Queue(`select product_id, collection_id from product_collections where instance_id = $1 and product_id = any($2)
		order by product_id, position`, instance, ids)
	b.Queue(`select product_id, media_id from product_medias where instance_id = $1 and product_id = any($2)
		order by product_id, position`, instance, ids)
	b.Queue(`select product_id, attribute_id, value from product_attribute_values where instance_id = $1 and product_id = any($2)
		order by product_id, position`, instance, ids)
	br := s.db(ctx).SendBatch(ctx, b)
	defer br.Close()

	byID := map[uuid.UUID]*catalog.Product{}
	products := make([]catalog.Product, 0, len(ids))
	rows, _ := br.Query()
	for rows.Next() {
		var p catalog.Product
		var status string
		if err := rows.Scan(&p.ID, &status, &p.Vendor, &p.Tags, &p.Version, &p.CreatedAt, &p.UpdatedAt, &p.Category, &p.Title, &p.Description); err != nil {
			return nil, wrap(err)
		}
		p.Status = catalog.Status(status)
		products = append(products, p)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	for i := range products {
		byID[products[i].ID] = &products[i]
	}
	rows, _ = br.Query()
	var options []catalog.Option
	for rows.Next() {
		var o catalog.Option
		if err := rows.Scan(&o.ID, &o.ProductID, &o.Position, &o.Name); err != nil {
			return nil, wrap(err)
		}
		options = append(options, o)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	rows, _ = br.Query()
	values := map[uuid.UUID][]catalog.OptionValue{}
	for rows.Next() {
		var v catalog.OptionValue
		if err := rows.Scan(&v.ID, &v.OptionID, &v.ProductID, &v.Position, &v.Value); err != nil {
			return nil, wrap(err)
		}
		values[v.OptionID] = append(values[v.OptionID], v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	for _, o := range options {
		if p := byID[o.ProductID]; p != nil {
			o.Values = values[o.ID]
			p.Options = append(p.Options, o)
		}
	}
	rows, _ = br.Query()
	variantsByProduct := map[uuid.UUID][]catalog.Variant{}
	for rows.Next() {
		var v catalog.Variant
		if err := rows.Scan(&v.ID, &v.ProductID, &v.SKU, &v.Title, &v.Barcode, &v.Position, &v.Version, &v.CreatedAt, &v.UpdatedAt); err != nil {
			return nil, wrap(err)
		}
		variantsByProduct[v.ProductID] = append(variantsByProduct[v.ProductID], v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	valueIDs, err := idLists(br)
	if err != nil {
		return nil, err
	}
	mediaIDs, err := idLists(br)
	if err != nil {
		return nil, err
	}
	for pid, vs := range variantsByProduct {
		for i := range vs {
			vs[i].OptionValueIDs, vs[i].Medias = valueIDs[vs[i].ID], mediaIDs[vs[i].ID]
		}
		if p := byID[pid]; p != nil {
			p.Variants = vs
		}
	}
	// The products' ordered lists, each (product, id) rows in order.
	for _, list := range []func(p *catalog.Product) *[]uuid.UUID{
		func(p *catalog.Product) *[]uuid.UUID { return &p.Channels },
		func(p *catalog.Product) *[]uuid.UUID { return &p.Collections },
		func(p *catalog.Product) *[]uuid.UUID { return &p.Medias },
	} {
		lists, err := idLists(br)
		if err != nil {
			return nil, err
		}
		for pid, ids := range lists {
			if p := byID[pid]; p != nil {
				*list(p) = ids
			}
		}
	}
	rows, _ = br.Query()
	for rows.Next() {
		var pid uuid.UUID
		var v catalog.AttributeValue
		if err := rows.Scan(&pid, &v.Attribute, &v.Value); err != nil {
			return nil, wrap(err)
		}
		if p := byID[pid]; p != nil {
			p.Values = append(p.Values, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(err)
	}
	// Return in the order asked for (the list's order).
	out := make([]catalog.Product, 0, len(products))
	for _, id := range ids {
		if p := byID[id]; p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// idLists reads the next result of br, (owner, id) rows in order, into each owner's list.
func idLists(br pgx.BatchResults) (map[uuid.UUID][]uuid.UUID, error) {
	rows, _ := br.Query()
	lists := map[uuid.UUID][]uuid.UUID{}
	for rows.Next() {
		var owner, id uuid.UUID
		if err := rows.Scan(&owner, &id); err != nil {
			return nil, wrap(err)
		}
		lists[owner] = append(lists[owner], id)
	}
	return lists, wrap(rows.Err())
}

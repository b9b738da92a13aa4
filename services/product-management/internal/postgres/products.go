package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// queueValues inserts a product's attribute values in order.
func queueValues(b *pgx.Batch, instance, product uuid.UUID, values []catalog.AttributeValue) {
	if len(values) == 0 {
		return
	}
	ids := make([]uuid.UUID, len(values))
	raw := make([]string, len(values))
	pos := make([]int32, len(values))
	for i, v := range values {
		ids[i], raw[i], pos[i] = v.Attribute, string(v.Value), int32(i)
	}
	b.Queue(`insert into product_attribute_values (instance_id, product_id, attribute_id, position, value)
		select $1, $2, a, p, v::jsonb from unnest($3::uuid[], $4::int[], $5::text[]) as x(a, p, v)`, instance, product, ids, pos, raw)
}

// CreateProduct stores a product graph in one transaction, its inserts in one batch.
func (s *Store) CreateProduct(ctx context.Context, instance uuid.UUID, locale string, p catalog.NewProduct) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		queueProduct(b, instance, locale, p)
		return tx.SendBatch(ctx, b).Close()
	})
	if name, ok := uniqueViolation(err); ok && name == "products_key" {
		return catalog.KeyTaken(catalog.KindProduct, *p.Key)
	} else if ok && name == "variants_sku" {
		// The SKUs are looked up only once the unique index refused one, outside the failed
		// transaction, to name each taken one with its path: checked before every create, they
		// cost a round trip and a statement PostgreSQL re-planned each time.
		paths := make([]string, len(p.Variants))
		for i := range p.Variants {
			paths[i] = fmt.Sprintf("variants[%d].sku", i)
		}
		if clash := skuClashes(ctx, s.pool, instance, paths, p.Variants); fault.Is(clash, fault.KindConflict) {
			return clash
		}
	}
	return wrap(conflictError(err))
}

// queueProduct queues the inserts of a product graph.
func queueProduct(b *pgx.Batch, instance uuid.UUID, locale string, p catalog.NewProduct) {
	queueProducts(b, instance, locale, []catalog.NewProduct{p})
}

// queueProducts queues the inserts of product graphs: one statement per table whatever their
// number (an import's batch of 200 products is some 15 statements, not 2,000), in the order the
// foreign keys need.
func queueProducts(b *pgx.Batch, instance uuid.UUID, locale string, ps []catalog.NewProduct) {
	var ids []uuid.UUID
	var statuses []string
	var vendors, keys []*string
	var tags [][]byte
	var categories []*uuid.UUID
	var ap, aa []uuid.UUID // attribute values
	var apos []int32
	var araw []string
	var oid, opid []uuid.UUID
	var opos []int32
	var oname []string
	var vid, void, vpid []uuid.UUID
	var vpos []int32
	var vlabel []string
	var medias []catalog.Media
	var mp, mm []uuid.UUID // product medias
	var mpos []int32
	var variants []catalog.Variant
	var cp, cc, lp, lc []uuid.UUID // channels, collections
	var cpos, lpos []int32
	var prices []price.Row
	var priced []uuid.UUID // each price's product
	for _, p := range ps {
		t := []byte("[]")
		if len(p.Tags) > 0 {
			t, _ = json.Marshal(p.Tags)
		}
		ids, statuses, vendors, keys, tags, categories = append(ids, p.ID), append(statuses, string(p.Status)), append(vendors, p.Vendor),
			append(keys, p.Key), append(tags, t), append(categories, p.Category)
		for i, v := range p.Values {
			ap, aa, apos, araw = append(ap, p.ID), append(aa, v.Attribute), append(apos, int32(i)), append(araw, string(v.Value))
		}
		for _, o := range p.Options {
			oid, opid, opos, oname = append(oid, o.ID), append(opid, p.ID), append(opos, int32(o.Position)), append(oname, *o.Name)
			for _, v := range o.Values {
				vid, void, vpid, vpos, vlabel = append(vid, v.ID), append(void, o.ID), append(vpid, p.ID), append(vpos, int32(v.Position)), append(vlabel, *v.Value)
			}
		}
		medias = append(medias, p.NewMedias...)
		for i, m := range p.Medias {
			mp, mm, mpos = append(mp, p.ID), append(mm, m), append(mpos, int32(i))
		}
		variants = append(variants, p.Variants...)
		for i, c := range p.Channels {
			cp, cc, cpos = append(cp, p.ID), append(cc, c), append(cpos, int32(i))
		}
		for i, c := range p.Collections {
			lp, lc, lpos = append(lp, p.ID), append(lc, c), append(lpos, int32(i))
		}
		for _, v := range p.Variants {
			prices = append(prices, v.Prices...)
			for range v.Prices {
				priced = append(priced, p.ID)
			}
		}
	}
	b.Queue(`insert into products (instance_id, id, status, vendor, tags, category_id, key)
		select $1, x.id, x.status, x.vendor, array(select jsonb_array_elements_text(x.tags)), x.category, x.key
		from unnest($2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::uuid[], $7::text[]) as x(id, status, vendor, tags, category, key)`,
		instance, ids, statuses, vendors, tags, categories, keys)
	if len(ap) > 0 {
		b.Queue(`insert into product_attribute_values (instance_id, product_id, attribute_id, position, value)
			select $1, x.p, x.a, x.pos, x.v::jsonb from unnest($2::uuid[], $3::uuid[], $4::int[], $5::text[]) as x(p, a, pos, v)`, instance, ap, aa, apos, araw)
	}
	queueInsertTexts(b, instance, locale, ps)
	if len(oid) > 0 {
		b.Queue(`insert into product_options (instance_id, id, product_id, position) select $1, * from unnest($2::uuid[], $3::uuid[], $4::int[])`,
			instance, oid, opid, opos)
		b.Queue(`insert into product_option_translations (instance_id, option_id, locale, name) select $1, id, $2, name from unnest($3::uuid[], $4::text[]) as x(id, name)`,
			instance, locale, oid, oname)
	}
	if len(vid) > 0 {
		b.Queue(`insert into option_values (instance_id, id, option_id, product_id, position) select $1, * from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[])`,
			instance, vid, void, vpid, vpos)
		b.Queue(`insert into option_value_translations (instance_id, value_id, locale, value) select $1, id, $2, value from unnest($3::uuid[], $4::text[]) as x(id, value)`,
			instance, locale, vid, vlabel)
	}
	if len(medias) > 0 { // before the variants, which may point at them
		queueMedias(b, instance, locale, medias)
	}
	if len(mp) > 0 {
		b.Queue(`insert into product_medias (instance_id, product_id, media_id, position)
			select $1, * from unnest($2::uuid[], $3::uuid[], $4::int[])`, instance, mp, mm, mpos)
	}
	if len(variants) > 0 {
		insertVariants(b, instance, variants)
	}
	if len(cp) > 0 {
		b.Queue(`insert into product_channels (instance_id, product_id, channel_id, position)
			select $1, * from unnest($2::uuid[], $3::uuid[], $4::int[])`, instance, cp, cc, cpos)
	}
	if len(lp) > 0 {
		b.Queue(`insert into product_collections (instance_id, product_id, collection_id, position)
			select $1, * from unnest($2::uuid[], $3::uuid[], $4::int[])`, instance, lp, lc, lpos)
	}
	if len(prices) > 0 {
		queuePrices(b, instance, prices, priced)
	}
}

// CreateProducts stores product graphs in one round trip (an import's batch): a conflict does not
// say which product had it (the caller sets them one by one to find out).
func (s *Store) CreateProducts(ctx context.Context, instance uuid.UUID, locale string, ps []catalog.NewProduct) error {
	return wrap(conflictError(s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		queueProducts(b, instance, locale, ps)
		return tx.SendBatch(ctx, b).Close()
	})))
}

// UpdateProduct applies an update to the product row, its lists and its texts in locale.
func (s *Store) UpdateProduct(ctx context.Context, instance, id uuid.UUID, locale string, u catalog.ProductUpdate) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var status *string
		if u.Status != nil {
			st := string(*u.Status)
			status = &st
		}
		tag, err := tx.Exec(ctx, `update products set
			status = coalesce($3, status),
			vendor = case when $4 then null when $5::text is not null then $5 else vendor end,
			tags = coalesce($6, tags),
			key = case when $8 then $9 else key end,
			version = version + 1, updated_at = now()
			where instance_id = $1 and id = $2 and ($7 = 0 or version = $7)`, instance, id, status, u.Vendor.IsNull(), u.Vendor.Apply(nil), u.Tags, u.IfVersion,
			u.Key.Present(), u.Key.Apply(nil))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return missingOrChanged(ctx, tx, "products", instance, id, "product")
		}
		if u.Category.Present() {
			if _, err := tx.Exec(ctx, `update products set category_id = $3 where instance_id = $1 and id = $2`, instance, id, u.Category.Apply(nil)); err != nil {
				return err
			}
		}
		if medias := u.Medias; medias != nil {
			// Kept medias keep their rows (and so their place in the variants); only the left-out
			// ones go, which detaches them from the variants too.
			pos := positions(len(*medias))
			b := &pgx.Batch{}
			// The variants that lose a media change too (their ETags move).
			b.Queue(`update variants v set version = version + 1, updated_at = now() where v.instance_id = $1 and v.product_id = $2
				and exists (select 1 from variant_medias m where m.instance_id = v.instance_id and m.variant_id = v.id and not (m.media_id = any($3)))`, instance, id, *medias)
			b.Queue(`delete from product_medias where instance_id = $1 and product_id = $2 and not (media_id = any($3))`, instance, id, *medias)
			b.Queue(`insert into product_medias (instance_id, product_id, media_id, position) select $1, $2, * from unnest($3::uuid[], $4::int[])
				on conflict (instance_id, product_id, media_id) do update set position = excluded.position`, instance, id, *medias, pos)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		for _, l := range []struct {
			table, column string
			ids           *[]uuid.UUID
		}{{"product_channels", "channel_id", u.Channels}, {"product_collections", "collection_id", u.Collections}} {
			if l.ids == nil {
				continue
			}
			b := &pgx.Batch{}
			b.Queue(`delete from `+l.table+` where instance_id = $1 and product_id = $2`, instance, id)
			b.Queue(`insert into `+l.table+` (instance_id, product_id, `+l.column+`, position) select $1, $2, * from unnest($3::uuid[], $4::int[])`,
				instance, id, *l.ids, positions(len(*l.ids)))
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		if values := u.Values; values != nil {
			b := &pgx.Batch{}
			b.Queue(`delete from product_attribute_values where instance_id = $1 and product_id = $2`, instance, id)
			queueValues(b, instance, id, *values)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		queueUpsertTexts(b, instance, id, locale, u.ProductTextChanges)
		return tx.SendBatch(ctx, b).Close()
	})
	if name, ok := uniqueViolation(err); ok && name == "products_key" {
		return catalog.KeyTaken(catalog.KindProduct, *u.Key.Apply(nil))
	}
	return wrap(conflictError(err))
}

// positions are 0..n-1, the positions of a list written in order.
func positions(n int) []int32 {
	pos := make([]int32, n)
	for i := range pos {
		pos[i] = int32(i)
	}
	return pos
}

func (s *Store) DeleteProduct(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from products where instance_id = $1 and id = $2 and ($3 = 0 or version = $3)`, instance, id, ifVersion)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return wrap(missingOrChanged(ctx, s.db(ctx), "products", instance, id, "product"))
	}
	return nil
}

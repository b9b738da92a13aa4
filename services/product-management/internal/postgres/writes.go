package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/precondition"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// skuClashes reports, as violations, the SKUs of vs already used by other variants of the instance.
func skuClashes(ctx context.Context, q pgx.Tx, instance uuid.UUID, paths []string, vs []catalog.Variant) error {
	skus := make([]string, len(vs))
	for i, v := range vs {
		skus[i] = v.SKU
	}
	ids := make([]uuid.UUID, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	rows, err := q.Query(ctx, `select sku from variants where instance_id = $1 and sku = any($2) and not (id = any($3))`, instance, skus, ids)
	if err != nil {
		return err
	}
	taken, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(taken) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, s := range taken {
		set[s] = true
	}
	var out fault.Violations
	for i, v := range vs {
		if set[v.SKU] {
			out.Add(paths[i], "duplicate_sku", "this SKU is already used by another variant of this instance")
		}
	}
	return out.Err()
}

// insertVariants queues the inserts of variants and their option values.
func insertVariants(b *pgx.Batch, instance uuid.UUID, vs []catalog.Variant) {
	n := len(vs)
	ids, pids, skus, combos := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]string, n), make([]string, n)
	titles, barcodes, positions := make([]*string, n), make([]*string, n), make([]int32, n)
	var xv, xo, xp []uuid.UUID
	for i, v := range vs {
		ids[i], pids[i], skus[i], combos[i] = v.ID, v.ProductID, v.SKU, catalog.Combination(v.OptionValueIDs)
		titles[i], barcodes[i], positions[i] = v.Title, v.Barcode, int32(v.Position)
		for _, ov := range v.OptionValueIDs {
			xv, xo, xp = append(xv, v.ID), append(xo, ov), append(xp, v.ProductID)
		}
	}
	b.Queue(`insert into variants (instance_id, id, product_id, sku, title, barcode, position, combination)
		select $1, * from unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[])`,
		instance, ids, pids, skus, titles, barcodes, positions, combos)
	if len(xv) > 0 {
		b.Queue(`insert into variant_option_values (instance_id, variant_id, option_value_id, product_id)
			select $1, * from unnest($2::uuid[], $3::uuid[], $4::uuid[])`, instance, xv, xo, xp)
	}
	queueVariantMedias(b, instance, vs)
}

// queueVariantMedias inserts the media lists of variants.
func queueVariantMedias(b *pgx.Batch, instance uuid.UUID, vs []catalog.Variant) {
	var mv, mp, mm []uuid.UUID
	var pos []int32
	for _, v := range vs {
		for i, m := range v.Medias {
			mv, mp, mm, pos = append(mv, v.ID), append(mp, v.ProductID), append(mm, m), append(pos, int32(i))
		}
	}
	if len(mv) > 0 {
		b.Queue(`insert into variant_medias (instance_id, variant_id, product_id, media_id, position)
			select $1, * from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[])`, instance, mv, mp, mm, pos)
	}
}

// conflictError turns a unique violation that slipped past the checks (a concurrent write) into a
// conflict; other errors pass.
func conflictError(err error) error {
	if name, ok := uniqueViolation(err); ok {
		switch name {
		case "variants_sku":
			return fault.Conflict("a SKU of this request was taken by a concurrent request")
		case "variants_combination":
			return fault.Invalid("optionValues", "duplicate_combination", "another variant of this product has this combination of option values")
		}
		return fault.Conflict("the request conflicts with existing data")
	}
	if isForeignKeyViolation(err) {
		// Everything referenced was checked before the write: a concurrent request removed it.
		return fault.Conflict("something this request refers to was deleted by a concurrent request; read it again and retry")
	}
	return err
}

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
		if len(p.Variants) > 0 {
			paths := make([]string, len(p.Variants))
			for i := range p.Variants {
				paths[i] = fmt.Sprintf("variants[%d].sku", i)
			}
			if err := skuClashes(ctx, tx, instance, paths, p.Variants); err != nil {
				return err
			}
		}
		b := &pgx.Batch{}
		b.Queue(`insert into products (instance_id, id, status, vendor, tags, category_id) values ($1, $2, $3, $4, $5, $6)`,
			instance, p.ID, string(p.Status), p.Vendor, p.Tags, p.Category)
		queueValues(b, instance, p.ID, p.Values)
		if p.Title != nil || p.Description != nil {
			b.Queue(`insert into product_translations (instance_id, product_id, locale, title, description) values ($1, $2, $3, $4, $5)`,
				instance, p.ID, locale, p.Title, p.Description)
		}
		var oid, opid []uuid.UUID
		var opos []int32
		var oname []string
		var vid, void, vpid []uuid.UUID
		var vpos []int32
		var vlabel []string
		for _, o := range p.Options {
			oid, opid, opos, oname = append(oid, o.ID), append(opid, p.ID), append(opos, int32(o.Position)), append(oname, *o.Name)
			for _, v := range o.Values {
				vid, void, vpid, vpos, vlabel = append(vid, v.ID), append(void, o.ID), append(vpid, p.ID), append(vpos, int32(v.Position)), append(vlabel, *v.Value)
			}
		}
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
		if len(p.NewMedias) > 0 { // before the variants, which may point at them
			queueMedias(b, instance, locale, p.NewMedias)
			pos := make([]int32, len(p.Medias))
			for i := range pos {
				pos[i] = int32(i)
			}
			b.Queue(`insert into product_medias (instance_id, product_id, media_id, position)
				select $1, $2, * from unnest($3::uuid[], $4::int[])`, instance, p.ID, p.Medias, pos)
		}
		if len(p.Variants) > 0 {
			insertVariants(b, instance, p.Variants)
		}
		if len(p.Channels) > 0 {
			pos := make([]int32, len(p.Channels))
			for i := range pos {
				pos[i] = int32(i)
			}
			b.Queue(`insert into product_channels (instance_id, product_id, channel_id, position)
				select $1, $2, * from unnest($3::uuid[], $4::int[])`, instance, p.ID, p.Channels, pos)
		}
		if len(p.Collections) > 0 {
			pos := make([]int32, len(p.Collections))
			for i := range pos {
				pos[i] = int32(i)
			}
			b.Queue(`insert into product_collections (instance_id, product_id, collection_id, position)
				select $1, $2, * from unnest($3::uuid[], $4::int[])`, instance, p.ID, p.Collections, pos)
		}
		var prices []price.Row
		for _, v := range p.Variants {
			prices = append(prices, v.Prices...)
		}
		if len(prices) > 0 {
			queuePrices(b, instance, prices)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap(conflictError(err))
}

// UpdateProduct applies changes to the product row and to its texts in locale.
func (s *Store) UpdateProduct(ctx context.Context, instance, id uuid.UUID, locale string, c catalog.ProductChanges) error {
	return wrap(conflictError(s.inTx(ctx, func(tx pgx.Tx) error {
		var status *string
		if c.Status != nil {
			st := string(*c.Status)
			status = &st
		}
		tag, err := tx.Exec(ctx, `update products set
			status = coalesce($3, status),
			vendor = case when $4 then null when $5::text is not null then $5 else vendor end,
			tags = coalesce($6, tags),
			version = version + 1, updated_at = now()
			where instance_id = $1 and id = $2 and ($7 = 0 or version = $7)`, instance, id, status, c.ClearVendor, c.Vendor, c.Tags, c.IfVersion)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return missingOrChanged(ctx, tx, "products", instance, id, "product")
		}
		if changes, category := c.CategoryChange(); changes {
			if _, err := tx.Exec(ctx, `update products set category_id = $3 where instance_id = $1 and id = $2`, instance, id, category); err != nil {
				return err
			}
		}
		channels, collections, medias := c.ListChanges()
		if medias != nil {
			// Kept medias keep their rows (and so their place in the variants); only the left-out
			// ones go, which detaches them from the variants too.
			pos := make([]int32, len(*medias))
			for i := range pos {
				pos[i] = int32(i)
			}
			b := &pgx.Batch{}
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
		}{{"product_channels", "channel_id", channels}, {"product_collections", "collection_id", collections}} {
			if l.ids == nil {
				continue
			}
			pos := make([]int32, len(*l.ids))
			for i := range pos {
				pos[i] = int32(i)
			}
			b := &pgx.Batch{}
			b.Queue(`delete from `+l.table+` where instance_id = $1 and product_id = $2`, instance, id)
			b.Queue(`insert into `+l.table+` (instance_id, product_id, `+l.column+`, position) select $1, $2, * from unnest($3::uuid[], $4::int[])`,
				instance, id, *l.ids, pos)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		if values := c.ValuesChange(); values != nil {
			b := &pgx.Batch{}
			b.Queue(`delete from product_attribute_values where instance_id = $1 and product_id = $2`, instance, id)
			queueValues(b, instance, id, *values)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		setTitle, setDesc := c.ClearTitle || c.Title != nil, c.ClearDescription || c.Description != nil
		if !setTitle && !setDesc {
			return nil
		}
		_, err = tx.Exec(ctx, `insert into product_translations as t (instance_id, product_id, locale, title, description)
			values ($1, $2, $3, $4, $5)
			on conflict (instance_id, product_id, locale) do update set
				title = case when $6 then excluded.title else t.title end,
				description = case when $7 then excluded.description else t.description end`,
			instance, id, locale, c.Title, c.Description, setTitle, setDesc)
		return err
	})))
}

func (s *Store) DeleteProduct(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error {
	tag, err := s.pool.Exec(ctx, `delete from products where instance_id = $1 and id = $2 and ($3 = 0 or version = $3)`, instance, id, ifVersion)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return wrap(missingOrChanged(ctx, s.pool, "products", instance, id, "product"))
	}
	return nil
}

// missingOrChanged explains a conditional write to a row of table that touched nothing: the row
// is gone (not found) or its version moved on (precondition failed).
func missingOrChanged(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, table string, instance, id uuid.UUID, what string) error {
	var ok bool
	if err := q.QueryRow(ctx, `select exists(select 1 from `+table+` where instance_id = $1 and id = $2)`, instance, id).Scan(&ok); err != nil {
		return err
	}
	if ok {
		return precondition.Failed()
	}
	return fault.NotFound("no such %s", what)
}

func (s *Store) owner(ctx context.Context, sql string, instance, id uuid.UUID, what string) (uuid.UUID, error) {
	var pid uuid.UUID
	err := s.pool.QueryRow(ctx, sql, instance, id).Scan(&pid)
	return pid, notFound(err, what)
}

func (s *Store) VariantProduct(ctx context.Context, instance, id uuid.UUID) (uuid.UUID, error) {
	return s.owner(ctx, `select product_id from variants where instance_id = $1 and id = $2`, instance, id, "variant")
}

func (s *Store) OptionProduct(ctx context.Context, instance, id uuid.UUID) (uuid.UUID, error) {
	return s.owner(ctx, `select product_id from product_options where instance_id = $1 and id = $2`, instance, id, "product option")
}

func (s *Store) OptionValueProduct(ctx context.Context, instance, id uuid.UUID) (uuid.UUID, error) {
	return s.owner(ctx, `select product_id from option_values where instance_id = $1 and id = $2`, instance, id, "option value")
}

func (s *Store) CreateVariant(ctx context.Context, instance uuid.UUID, v catalog.Variant) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := skuClashes(ctx, tx, instance, []string{"sku"}, []catalog.Variant{v}); err != nil {
			return err
		}
		b := &pgx.Batch{}
		insertVariants(b, instance, []catalog.Variant{v})
		if len(v.Prices) > 0 {
			queuePrices(b, instance, v.Prices)
		}
		b.Queue(touchProduct, instance, v.ProductID)
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap(conflictError(err))
}

func (s *Store) UpdateVariant(ctx context.Context, instance uuid.UUID, v catalog.Variant) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := skuClashes(ctx, tx, instance, []string{"sku"}, []catalog.Variant{v}); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `update variants set sku = $3, title = $4, barcode = $5, position = $6, combination = $7,
			version = version + 1, updated_at = now()
			where instance_id = $1 and id = $2 and ($8 = 0 or version = $8)`, instance, v.ID, v.SKU, v.Title, v.Barcode, v.Position, catalog.Combination(v.OptionValueIDs), v.IfVersion)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return missingOrChanged(ctx, tx, "variants", instance, v.ID, "variant")
		}
		b := &pgx.Batch{}
		b.Queue(touchProduct, instance, v.ProductID)
		b.Queue(`delete from variant_option_values where instance_id = $1 and variant_id = $2`, instance, v.ID)
		if len(v.OptionValueIDs) > 0 {
			pids := make([]uuid.UUID, len(v.OptionValueIDs))
			vids := make([]uuid.UUID, len(v.OptionValueIDs))
			for i := range pids {
				pids[i], vids[i] = v.ProductID, v.ID
			}
			b.Queue(`insert into variant_option_values (instance_id, variant_id, option_value_id, product_id)
				select $1, * from unnest($2::uuid[], $3::uuid[], $4::uuid[])`, instance, vids, v.OptionValueIDs, pids)
		}
		b.Queue(`delete from variant_medias where instance_id = $1 and variant_id = $2`, instance, v.ID)
		queueVariantMedias(b, instance, []catalog.Variant{v})
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap(conflictError(err))
}

func (s *Store) DeleteVariant(ctx context.Context, instance, id uuid.UUID, ifVersion int64) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var product uuid.UUID
		err := tx.QueryRow(ctx, `delete from variants where instance_id = $1 and id = $2 and ($3 = 0 or version = $3) returning product_id`,
			instance, id, ifVersion).Scan(&product)
		if errors.Is(err, pgx.ErrNoRows) {
			return missingOrChanged(ctx, tx, "variants", instance, id, "variant")
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, touchProduct, instance, product)
		return err
	}))
}

// labeled is a positioned row with a translatable label: a product option or an option value.
type labeled struct {
	table, what                   string // the rows, and their name in a not-found
	translations, key, labelField string // the label's table, its foreign key, its column
}

func (s *Store) UpdateOption(ctx context.Context, instance, id uuid.UUID, locale string, name *string, position *int) error {
	return s.updateLabeled(ctx, labeled{"product_options", "product option", "product_option_translations", "option_id", "name"}, instance, id, locale, name, position)
}

func (s *Store) UpdateOptionValue(ctx context.Context, instance, id uuid.UUID, locale string, value *string, position *int) error {
	return s.updateLabeled(ctx, labeled{"option_values", "option value", "option_value_translations", "value_id", "value"}, instance, id, locale, value, position)
}

// updateLabeled moves a row of l and sets its label in locale (nil: unchanged); the product's
// graph changes with it.
func (s *Store) updateLabeled(ctx context.Context, l labeled, instance, id uuid.UUID, locale string, label *string, position *int) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var product uuid.UUID
		err := tx.QueryRow(ctx, `update `+l.table+` set position = coalesce($3, position) where instance_id = $1 and id = $2 returning product_id`,
			instance, id, position).Scan(&product)
		if err != nil {
			return notFound(err, l.what)
		}
		if _, err := tx.Exec(ctx, touchProduct, instance, product); err != nil {
			return err
		}
		if label == nil {
			return nil
		}
		_, err = tx.Exec(ctx, `insert into `+l.translations+` (instance_id, `+l.key+`, locale, `+l.labelField+`) values ($1, $2, $3, $4)
			on conflict (instance_id, `+l.key+`, locale) do update set `+l.labelField+` = excluded.`+l.labelField, instance, id, locale, *label)
		return err
	}))
}

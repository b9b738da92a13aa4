package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// skuClashes reports the SKUs of vs already used by other variants of the instance as a conflict
// whose detail names each one with its path (paths[i] for vs[i]). Two variants of one request with
// the same SKU are the catalog's to refuse (a violation): this compares with stored variants only.
func skuClashes(ctx context.Context, q pgtx.Querier, instance uuid.UUID, paths []string, vs []catalog.Variant) error {
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
	var clashes []string
	for i, v := range vs {
		if set[v.SKU] {
			clashes = append(clashes, fmt.Sprintf("%s: the SKU %q is already used by another variant of this instance", paths[i], v.SKU))
		}
	}
	return fault.Conflict("%s", strings.Join(clashes, "; "))
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

func (s *Store) VariantProduct(ctx context.Context, instance, id uuid.UUID) (uuid.UUID, error) {
	return s.owner(ctx, `select product_id from variants where instance_id = $1 and id = $2`, instance, id, "variant")
}

func (s *Store) CreateVariant(ctx context.Context, instance uuid.UUID, v catalog.Variant) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := skuClashes(ctx, tx, instance, []string{"sku"}, []catalog.Variant{v}); err != nil {
			return err
		}
		b := &pgx.Batch{}
		insertVariants(b, instance, []catalog.Variant{v})
		if len(v.Prices) > 0 {
			queuePrices(b, instance, v.Prices, slices.Repeat([]uuid.UUID{v.ProductID}, len(v.Prices)))
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

package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

func (s *Store) LockProductByKey(ctx context.Context, instance uuid.UUID, key string) (uuid.UUID, int64, bool, error) {
	var id uuid.UUID
	var version int64
	err := s.db(ctx).QueryRow(ctx, `select id, version from products where instance_id = $1 and key = $2 for update`, instance, key).Scan(&id, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, 0, false, nil
	}
	return id, version, err == nil, wrap(err)
}

// ReplaceProduct writes a product's whole new state over the stored one in one batch: rows of
// entities the state keeps are updated in place (their ids, and so their IRIs, stay), the others
// inserted, and the stored ones it leaves out deleted; lists are rewritten. Prices keep their
// history: a changed one gets a next revision, a removed one ends now.
func (s *Store) ReplaceProduct(ctx context.Context, instance uuid.UUID, locale string, set catalog.ProductSet) error {
	p := set.Product
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`update products set status = $3, vendor = $4, tags = $5, category_id = $6, key = $7, version = version + 1, updated_at = now()
			where instance_id = $1 and id = $2`, instance, p.ID, string(p.Status), p.Vendor, p.Tags, p.Category, p.Key)
		queueReplaceTexts(b, instance, p.ID, locale, p.ProductTexts)

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
		// Variants left out go first (their prices and links with them), then the kept ones' links
		// to option values: a value still linked cannot go.
		var keep []uuid.UUID
		var fresh []catalog.Variant
		isNew := map[uuid.UUID]bool{}
		for _, id := range set.NewVariants {
			isNew[id] = true
		}
		for _, v := range p.Variants {
			if isNew[v.ID] {
				fresh = append(fresh, v)
			} else {
				keep = append(keep, v.ID)
			}
		}
		b.Queue(`delete from variants where instance_id = $1 and product_id = $2 and not (id = any($3))`, instance, p.ID, orNone(keep))
		if len(keep) > 0 {
			b.Queue(`delete from variant_option_values where instance_id = $1 and variant_id = any($2)`, instance, keep)
		}
		// Options and values left out go.
		b.Queue(`delete from product_options where instance_id = $1 and product_id = $2 and not (id = any($3))`, instance, p.ID, orNone(oid))
		b.Queue(`delete from option_values where instance_id = $1 and product_id = $2 and not (id = any($3))`, instance, p.ID, orNone(vid))
		if len(oid) > 0 {
			b.Queue(`insert into product_options (instance_id, id, product_id, position) select $1, * from unnest($2::uuid[], $3::uuid[], $4::int[])
				on conflict (instance_id, id) do update set position = excluded.position`, instance, oid, opid, opos)
			b.Queue(`insert into product_option_translations (instance_id, option_id, locale, name) select $1, id, $2, name from unnest($3::uuid[], $4::text[]) as x(id, name)
				on conflict (instance_id, option_id, locale) do update set name = excluded.name`, instance, locale, oid, oname)
		}
		if len(vid) > 0 {
			b.Queue(`insert into option_values (instance_id, id, option_id, product_id, position) select $1, * from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[])
				on conflict (instance_id, id) do update set position = excluded.position`, instance, vid, void, vpid, vpos)
			b.Queue(`insert into option_value_translations (instance_id, value_id, locale, value) select $1, id, $2, value from unnest($3::uuid[], $4::text[]) as x(id, value)
				on conflict (instance_id, value_id, locale) do update set value = excluded.value`, instance, locale, vid, vlabel)
		}

		// Medias first (variants point at them): new ones are created, matched ones take their new
		// fields.
		if len(p.NewMedias) > 0 {
			queueMedias(b, instance, locale, p.NewMedias)
		}
		for _, m := range set.ChangedMedias {
			b.Queue(`update medias set type = $3, mime_type = $4, width = $5, height = $6, updated_at = now() where instance_id = $1 and id = $2`,
				instance, m.ID, m.Type, m.MimeType, m.Width, m.Height)
			b.Queue(`insert into media_translations (instance_id, media_id, locale, alt) values ($1, $2, $3, $4)
				on conflict (instance_id, media_id, locale) do update set alt = excluded.alt`, instance, m.ID, locale, m.Alt)
		}
		// Images left out go (and leave the variants, by cascade); kept ones take their positions.
		b.Queue(`delete from product_medias where instance_id = $1 and product_id = $2 and not (media_id = any($3))`, instance, p.ID, orNone(p.Medias))
		if len(p.Medias) > 0 {
			b.Queue(`insert into product_medias (instance_id, product_id, media_id, position) select $1, $2, * from unnest($3::uuid[], $4::int[])
				on conflict (instance_id, product_id, media_id) do update set position = excluded.position`, instance, p.ID, p.Medias, positions(len(p.Medias)))
		}
		// Kept variants are updated in place. A kept variant's combination is parked on its own id
		// first, so two variants that trade combinations never meet in the unique index halfway.
		if len(keep) > 0 {
			n := len(keep)
			titles, barcodes, positions, combos := make([]*string, 0, n), make([]*string, 0, n), make([]int32, 0, n), make([]string, 0, n)
			for _, v := range p.Variants {
				if !isNew[v.ID] {
					titles, barcodes = append(titles, v.Title), append(barcodes, v.Barcode)
					positions, combos = append(positions, int32(v.Position)), append(combos, catalog.Combination(v.OptionValueIDs))
				}
			}
			b.Queue(`update variants set combination = id::text where instance_id = $1 and id = any($2)`, instance, keep)
			b.Queue(`update variants v set title = x.title, barcode = x.barcode, position = x.position, combination = x.combination
				from unnest($2::uuid[], $3::text[], $4::text[], $5::int[], $6::text[]) as x(id, title, barcode, position, combination)
				where v.instance_id = $1 and v.id = x.id`, instance, keep, titles, barcodes, positions, combos)
			if len(set.ChangedVariants) > 0 {
				b.Queue(`update variants set version = version + 1, updated_at = now() where instance_id = $1 and id = any($2)`, instance, set.ChangedVariants)
			}
			// The kept variants' links are rewritten; new variants write theirs below.
			b.Queue(`delete from variant_medias where instance_id = $1 and variant_id = any($2)`, instance, keep)
			var xv, xo, xp []uuid.UUID
			var kept []catalog.Variant
			for _, v := range p.Variants {
				if isNew[v.ID] {
					continue
				}
				kept = append(kept, v)
				for _, ov := range v.OptionValueIDs {
					xv, xo, xp = append(xv, v.ID), append(xo, ov), append(xp, p.ID)
				}
			}
			if len(xv) > 0 {
				b.Queue(`insert into variant_option_values (instance_id, variant_id, option_value_id, product_id)
					select $1, * from unnest($2::uuid[], $3::uuid[], $4::uuid[])`, instance, xv, xo, xp)
			}
			queueVariantMedias(b, instance, kept)
		}

		if len(fresh) > 0 {
			insertVariants(b, instance, fresh)
		}

		for _, l := range []struct {
			table, column string
			ids           []uuid.UUID
		}{{"product_channels", "channel_id", p.Channels}, {"product_collections", "collection_id", p.Collections}} {
			b.Queue(`delete from `+l.table+` where instance_id = $1 and product_id = $2`, instance, p.ID)
			if len(l.ids) > 0 {
				b.Queue(`insert into `+l.table+` (instance_id, product_id, `+l.column+`, position) select $1, $2, * from unnest($3::uuid[], $4::int[])`,
					instance, p.ID, l.ids, positions(len(l.ids)))
			}
		}
		b.Queue(`delete from product_attribute_values where instance_id = $1 and product_id = $2`, instance, p.ID)
		queueValues(b, instance, p.ID, p.Values)

		if len(set.NewPrices) > 0 {
			queuePrices(b, instance, set.NewPrices, slices.Repeat([]uuid.UUID{p.ID}, len(set.NewPrices)))
		}
		queueNextPrices(b, instance, set.NextPrices)
		if len(set.EndedPrices) > 0 {
			b.Queue(`update prices p set ends_at = greatest(now(), starts_at), updated_at = now()
				where instance_id = $1 and id = any($2) and (ends_at is null or ends_at > now())
				and revision = (select max(revision) from prices r where r.instance_id = $1 and r.id = p.id)`, instance, set.EndedPrices)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if name, ok := uniqueViolation(err); ok && name == "variants_sku" {
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

// queueNextPrices ends each price's current revision where its next one starts, and inserts the
// next one.
func queueNextPrices(b *pgx.Batch, instance uuid.UUID, next []price.Row) {
	if len(next) == 0 {
		return
	}
	n := len(next)
	ids, revisions, amounts := make([]uuid.UUID, n), make([]int64, n), make([]int64, n)
	compare, ends := make([]*int64, n), make([]*time.Time, n)
	starts, updated := make([]time.Time, n), make([]time.Time, n)
	for i, r := range next {
		ids[i], revisions[i], amounts[i], compare[i], starts[i], updated[i] = r.ID, r.Revision, r.Amount, r.CompareAt, r.Start, r.UpdatedAt
		if !r.Open() {
			e := r.End
			ends[i] = &e
		}
	}
	b.Queue(`update prices p set ends_at = x.starts_at, updated_at = x.updated_at
		from unnest($2::uuid[], $3::bigint[], $4::timestamptz[], $5::timestamptz[]) as x(id, revision, starts_at, updated_at)
		where p.instance_id = $1 and p.id = x.id and p.revision = x.revision - 1`, instance, ids, revisions, starts, updated)
	b.Queue(`insert into prices (instance_id, id, revision, variant_id, product_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at, created_at, updated_at)
		select p.instance_id, p.id, x.revision, p.variant_id, p.product_id, p.channel_id, p.country, p.currency, x.amount, x.compare_at, p.dated, x.starts_at, x.ends_at, x.updated_at, x.updated_at
		from unnest($2::uuid[], $3::bigint[], $4::bigint[], $5::bigint[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[])
			as x(id, revision, amount, compare_at, starts_at, ends_at, updated_at)
		join prices p on p.instance_id = $1 and p.id = x.id and p.revision = x.revision - 1`,
		instance, ids, revisions, amounts, compare, starts, ends, updated)
}

// orNone is s, or an empty slice where s is nil: in SQL "not (id = any(null))" is null, which
// would delete nothing where an empty list means to keep nothing; in JSON, null is no list.
func orNone[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Store) LockProductsByKey(ctx context.Context, instance uuid.UUID, keys []string) (map[string]uuid.UUID, error) {
	// Each key is found and locked by its own probe of the key index, in key order: two batches of
	// overlapping keys never wait on each other in a cycle. (A plain `key = any($2) order by id`
	// let the planner, with an instance's statistics from before its import, walk the whole
	// instance and filter: 31 ms for 200 keys where the probes take 1 ms.)
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	rows, err := s.db(ctx).Query(ctx, `select p.key, p.id from unnest($2::text[]) as k(key)
		cross join lateral (select key, id from products where instance_id = $1 and key = k.key limit 1 for update) p`, instance, sorted)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string]uuid.UUID, len(keys))
	var key string
	var id uuid.UUID
	_, err = pgx.ForEachRow(rows, []any{&key, &id}, func() error {
		out[key] = id
		return nil
	})
	return out, wrap(err)
}

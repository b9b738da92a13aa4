package postgres

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// queuePrices inserts first revisions. products names each row's product where the caller knows
// it (a product's create or whole state); nil takes it from the variants table (in the same
// transaction for prices created with their variant), a probe of its index per row: a tenth of
// an import's price inserts.
func queuePrices(b *pgx.Batch, instance uuid.UUID, rows []price.Row, products []uuid.UUID) {
	n := len(rows)
	ids, variants := make([]uuid.UUID, n), make([]uuid.UUID, n)
	channels := make([]*uuid.UUID, n)
	countries := make([]*string, n)
	currencies := make([]string, n)
	amounts := make([]int64, n)
	compare := make([]*int64, n)
	dated := make([]bool, n)
	starts, created := make([]time.Time, n), make([]time.Time, n)
	ends := make([]*time.Time, n)
	for i, r := range rows {
		ids[i], variants[i], channels[i], currencies[i], amounts[i], compare[i], dated[i], starts[i], created[i] =
			r.ID, r.VariantID, r.ChannelID, r.Currency, r.Amount, r.CompareAt, r.Dated, r.Start, r.CreatedAt
		if r.Country != "" {
			c := r.Country
			countries[i] = &c
		}
		if !r.Open() {
			e := r.End
			ends[i] = &e
		}
	}
	const columns = `insert into prices (instance_id, id, revision, variant_id, product_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at, created_at, updated_at)
		select $1, x.id, 1, x.variant_id, `
	const rowsOf = ` x.channel_id, x.country, x.currency, x.amount, x.compare_at, x.dated, x.starts_at, x.ends_at, x.created_at, x.created_at
		from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bool[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[]`
	if products != nil {
		b.Queue(columns+`x.product_id,`+rowsOf+`, $13::uuid[])
			as x(id, variant_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at, created_at, product_id)`,
			instance, ids, variants, channels, countries, currencies, amounts, compare, dated, starts, ends, created, products)
		return
	}
	b.Queue(columns+`v.product_id,`+rowsOf+`)
			as x(id, variant_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at, created_at)
		join variants v on v.instance_id = $1 and v.id = x.variant_id`,
		instance, ids, variants, channels, countries, currencies, amounts, compare, dated, starts, ends, created)
}

// lockPriceSlots serialises, until the transaction ends, the writes that may make prices of these
// variants duplicates (price.Duplicate): creates, and PATCHes that move a validUntil later. Locks
// are taken in one order (sorted keys), so two writers never wait on each other in a cycle.
func lockPriceSlots(ctx context.Context, tx pgx.Tx, instance uuid.UUID, variants ...uuid.UUID) error {
	keys := make([]string, 0, len(variants))
	for _, v := range variants {
		keys = append(keys, "prices:"+instance.String()+":"+v.String())
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtext($1::text))`, k); err != nil {
			return err
		}
	}
	return nil
}

// duplicateOf returns a price other than r.ID in r's slot (same variant, channel, country, currency
// and datedness) with a revision in force at some moment of [r.Start, r.End), if any: the SQL form
// of price.Duplicate over every revision of the other prices, their history included. Ended
// prices keep their rows, so what they covered stays theirs; one ended before it began covers
// nothing (an empty range overlaps none).
func duplicateOf(ctx context.Context, tx pgx.Tx, instance uuid.UUID, r price.Row) (uuid.UUID, bool, error) {
	var country *string
	if r.Country != "" {
		country = &r.Country
	}
	var end *time.Time
	if !r.Open() {
		end = &r.End
	}
	var id uuid.UUID
	err := tx.QueryRow(ctx, `select id from prices
		where instance_id = $1 and variant_id = $2 and id <> $3 and channel_id is not distinct from $4
			and country is not distinct from $5::text and currency = $6 and dated = $7
			and tstzrange(starts_at, ends_at, '[)') && tstzrange($8, $9, '[)')
		order by starts_at, id limit 1`, instance, r.VariantID, r.ID, r.ChannelID, country, r.Currency, r.Dated, r.Start, end).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, false, nil
	}
	return id, err == nil, err
}

// duplicatePrice is the conflict of a price with the stored price existing.
func duplicatePrice(r price.Row, existing uuid.UUID, what string) error {
	dated := "undated"
	if r.Dated {
		dated = "dated"
	}
	return fault.Conflict("%s the %s price %s of this variant, for the same channel, country and currency: "+
		"only the lower amount would ever apply; change or end that price instead", what, dated, iri.Prices.Of(existing))
}

// CreatePrices stores new prices of existing variants, refusing one that duplicates a stored price
// (price.Duplicate) with a conflict naming that price.
func (s *Store) CreatePrices(ctx context.Context, instance uuid.UUID, rows []price.Row) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		variants := make([]uuid.UUID, len(rows))
		for i, r := range rows {
			variants[i] = r.VariantID
		}
		if err := lockPriceSlots(ctx, tx, instance, variants...); err != nil {
			return err
		}
		for _, r := range rows {
			id, found, err := duplicateOf(ctx, tx, instance, r)
			if err != nil {
				return err
			}
			if found {
				return duplicatePrice(r, id, "its validity overlaps that of")
			}
		}
		b := &pgx.Batch{}
		queuePrices(b, instance, rows, nil)
		return tx.SendBatch(ctx, b).Close()
	})
	return wrap(conflictError(err))
}

// revisionColumns read a revision p, for resolution; priceColumns add the price's times: its
// createdAt is its first revision's created_at, its updatedAt the revision's updated_at.
const (
	revisionColumns = `p.id, p.revision, p.variant_id, p.channel_id, coalesce(p.country, ''), p.currency, p.amount, p.compare_at, p.dated, p.starts_at, p.ends_at`
	priceColumns    = revisionColumns + `,
		(select f.created_at from prices f where f.instance_id = p.instance_id and f.id = p.id and f.revision = 1), p.updated_at`
)

// scanRevision reads revisionColumns, then extra.
func scanRevision(r pgx.Row, extra ...any) (price.Row, error) {
	var p price.Row
	var end *time.Time
	err := r.Scan(append([]any{&p.ID, &p.Revision, &p.VariantID, &p.ChannelID, &p.Country, &p.Currency, &p.Amount, &p.CompareAt, &p.Dated,
		&p.Start, &end}, extra...)...)
	if end != nil {
		p.End = end.UTC()
	}
	p.Start = p.Start.UTC()
	return p, err
}

// scanPrice reads priceColumns, then extra.
func scanPrice(r pgx.Row, extra ...any) (price.Row, error) {
	var created, updated time.Time
	p, err := scanRevision(r, append([]any{&created, &updated}, extra...)...)
	p.CreatedAt, p.UpdatedAt = created.UTC(), updated.UTC()
	return p, err
}

// CurrentPrices lists the latest revisions that are in force now or scheduled.
func (s *Store) CurrentPrices(ctx context.Context, instance uuid.UUID, variant *uuid.UUID, page, perPage int) ([]price.Row, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+priceColumns+`, count(*) over () from (
			select distinct on (id) * from prices where instance_id = $1 and ($2::uuid is null or variant_id = $2)
			order by id, revision desc) p
		where p.ends_at is null or p.ends_at > now()
		order by p.variant_id, p.starts_at, p.id limit $3 offset $4`, instance, variant, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (price.Row, error) { return scanPrice(r, &total) })
	return list, total, wrap(err)
}

// LatestPrices reads the latest revision of every price of products (ended ones too), in one
// statement.
func (s *Store) LatestPrices(ctx context.Context, instance uuid.UUID, products []uuid.UUID) ([]price.Row, error) {
	// Each product's prices by their own probe of its index (see LockProductsByKey).
	rows, err := s.db(ctx).Query(ctx, `select `+priceColumns+` from unnest($2::uuid[]) as k(product)
		cross join lateral (select distinct on (id) * from prices where instance_id = $1 and product_id = k.product
			order by id, revision desc) p
		order by p.variant_id, p.starts_at, p.id`, instance, products)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (price.Row, error) { return scanPrice(r) })
	return list, wrap(err)
}

func (s *Store) Price(ctx context.Context, instance, id uuid.UUID) (price.Row, error) {
	p, err := scanPrice(s.db(ctx).QueryRow(ctx, `select `+priceColumns+` from prices p where p.instance_id = $1 and p.id = $2 order by p.revision desc limit 1`, instance, id))
	return p, notFound(err, "price")
}

// ChangePrice records the next revision change makes of the current one. A later validUntil (or
// none) that would make the price a duplicate (price.Duplicate) of another over the added time is a
// conflict naming that price.
func (s *Store) ChangePrice(ctx context.Context, instance, id uuid.UUID, change func(price.Row, time.Time) (price.Row, error)) (price.Row, error) {
	var next price.Row
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanPrice(tx.QueryRow(ctx, `select `+priceColumns+` from prices p where p.instance_id = $1 and p.id = $2
			order by p.revision desc limit 1 for update`, instance, id))
		if err != nil {
			return notFound(err, "price")
		}
		now := price.Now()
		if !cur.Open() && !cur.End.After(now) {
			return fault.Conflict("the price has ended; set a new price instead")
		}
		if next, err = change(cur, now); err != nil {
			return err
		}
		// validFrom cannot move and each revision starts where the last ended, so only a later end
		// adds time in which the price may meet another: [cur.End, next.End).
		if !cur.Open() && (next.Open() || next.End.After(cur.End)) {
			if err := lockPriceSlots(ctx, tx, instance, cur.VariantID); err != nil {
				return err
			}
			added := next
			added.Start = cur.End
			other, found, err := duplicateOf(ctx, tx, instance, added)
			if err != nil {
				return err
			}
			if found {
				return duplicatePrice(next, other, "with this validUntil, the price would overlap")
			}
		}
		var end *time.Time
		if !next.Open() {
			end = &next.End
		}
		b := &pgx.Batch{}
		b.Queue(`update prices set ends_at = $4, updated_at = $5 where instance_id = $1 and id = $2 and revision = $3`, instance, id, cur.Revision, next.Start, now)
		b.Queue(`insert into prices (instance_id, id, revision, variant_id, product_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at, created_at, updated_at)
			select instance_id, id, $3, variant_id, product_id, channel_id, country, currency, $4, $5, dated, $6, $7, $9, $9
			from prices where instance_id = $1 and id = $2 and revision = $8`,
			instance, id, next.Revision, next.Amount, next.CompareAt, next.Start, end, cur.Revision, next.UpdatedAt)
		return tx.SendBatch(ctx, b).Close()
	})
	return next, wrap(err)
}

func (s *Store) EndPrice(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `update prices set ends_at = greatest(now(), starts_at), updated_at = now()
		where instance_id = $1 and id = $2 and revision = (select max(revision) from prices where instance_id = $1 and id = $2)
		and (ends_at is null or ends_at > now())`, instance, id)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.Price(ctx, instance, id); err != nil {
			return err
		}
		return fault.Conflict("the price has already ended")
	}
	return nil
}

package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// queuePrices inserts first revisions; the product of each variant comes from the variants table
// (in the same transaction for prices created with their variant).
func queuePrices(b *pgx.Batch, instance uuid.UUID, rows []price.Row) {
	n := len(rows)
	ids, variants := make([]uuid.UUID, n), make([]uuid.UUID, n)
	channels := make([]*uuid.UUID, n)
	countries := make([]*string, n)
	currencies := make([]string, n)
	amounts := make([]int64, n)
	compare := make([]*int64, n)
	dated := make([]bool, n)
	starts := make([]time.Time, n)
	ends := make([]*time.Time, n)
	for i, r := range rows {
		ids[i], variants[i], channels[i], currencies[i], amounts[i], compare[i], dated[i], starts[i] =
			r.ID, r.VariantID, r.ChannelID, r.Currency, r.Amount, r.CompareAt, r.Dated, r.Start
		if r.Country != "" {
			c := r.Country
			countries[i] = &c
		}
		if !r.Open() {
			e := r.End
			ends[i] = &e
		}
	}
	b.Queue(`insert into prices (instance_id, id, revision, variant_id, product_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at)
		select $1, x.id, 1, x.variant_id, v.product_id, x.channel_id, x.country, x.currency, x.amount, x.compare_at, x.dated, x.starts_at, x.ends_at
		from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bool[], $10::timestamptz[], $11::timestamptz[])
			as x(id, variant_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at)
		join variants v on v.instance_id = $1 and v.id = x.variant_id`,
		instance, ids, variants, channels, countries, currencies, amounts, compare, dated, starts, ends)
}

func (s *Store) CreatePrices(ctx context.Context, instance uuid.UUID, rows []price.Row) error {
	b := &pgx.Batch{}
	queuePrices(b, instance, rows)
	return wrap(s.pool.SendBatch(ctx, b).Close())
}

const priceColumns = `id, revision, variant_id, channel_id, coalesce(country, ''), currency, amount, compare_at, dated, starts_at, ends_at`

func scanPrice(r pgx.Row) (price.Row, error) {
	var p price.Row
	var end *time.Time
	err := r.Scan(&p.ID, &p.Revision, &p.VariantID, &p.ChannelID, &p.Country, &p.Currency, &p.Amount, &p.CompareAt, &p.Dated, &p.Start, &end)
	if end != nil {
		p.End = end.UTC()
	}
	p.Start = p.Start.UTC()
	return p, err
}

// CurrentPrices lists the latest revisions that are in force now or scheduled.
func (s *Store) CurrentPrices(ctx context.Context, instance uuid.UUID, variant *uuid.UUID, page, perPage int) ([]price.Row, int, error) {
	rows, err := s.pool.Query(ctx, `select `+priceColumns+`, count(*) over () from (
			select distinct on (id) * from prices where instance_id = $1 and ($2::uuid is null or variant_id = $2)
			order by id, revision desc) p
		where ends_at is null or ends_at > now()
		order by variant_id, starts_at, id limit $3 offset $4`, instance, variant, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (price.Row, error) {
		var p price.Row
		var end *time.Time
		err := r.Scan(&p.ID, &p.Revision, &p.VariantID, &p.ChannelID, &p.Country, &p.Currency, &p.Amount, &p.CompareAt, &p.Dated, &p.Start, &end, &total)
		if end != nil {
			p.End = end.UTC()
		}
		return p, err
	})
	return list, total, wrap(err)
}

func (s *Store) Price(ctx context.Context, instance, id uuid.UUID) (price.Row, error) {
	p, err := scanPrice(s.pool.QueryRow(ctx, `select `+priceColumns+` from prices where instance_id = $1 and id = $2 order by revision desc limit 1`, instance, id))
	return p, notFound(err, "price")
}

func (s *Store) ChangePrice(ctx context.Context, instance, id uuid.UUID, change func(price.Row, time.Time) (price.Row, error)) (price.Row, error) {
	var next price.Row
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanPrice(tx.QueryRow(ctx, `select `+priceColumns+` from prices where instance_id = $1 and id = $2
			order by revision desc limit 1 for update`, instance, id))
		if err != nil {
			return notFound(err, "price")
		}
		now := time.Now().UTC()
		if !cur.Open() && !cur.End.After(now) {
			return fault.Conflict("the price has ended; set a new price instead")
		}
		if next, err = change(cur, now); err != nil {
			return err
		}
		var end *time.Time
		if !next.Open() {
			end = &next.End
		}
		b := &pgx.Batch{}
		b.Queue(`update prices set ends_at = $4 where instance_id = $1 and id = $2 and revision = $3`, instance, id, cur.Revision, next.Start)
		b.Queue(`insert into prices (instance_id, id, revision, variant_id, product_id, channel_id, country, currency, amount, compare_at, dated, starts_at, ends_at)
			select instance_id, id, $3, variant_id, product_id, channel_id, country, currency, $4, $5, dated, $6, $7
			from prices where instance_id = $1 and id = $2 and revision = $8`,
			instance, id, next.Revision, next.Amount, next.CompareAt, next.Start, end, cur.Revision)
		return tx.SendBatch(ctx, b).Close()
	})
	return next, wrap(err)
}

func (s *Store) EndPrice(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.pool.Exec(ctx, `update prices set ends_at = greatest(now(), starts_at)
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

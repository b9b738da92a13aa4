package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// RecordEvents stores events in the change's transaction (Atomically) in one statement. A
// resource's versions count on in event_resource_versions, whose row the statement updates: a
// concurrent change of the same resource waits for this one, and versions outlive the events
// that expire.
func (s *Store) RecordEvents(ctx context.Context, instance uuid.UUID, events []catalog.NewEvent) error {
	if len(events) == 0 {
		return nil
	}
	if !inChange(ctx) {
		return errors.New("postgres: events are recorded only inside a change (Atomically)")
	}
	ids := make([]uuid.UUID, len(events))
	types := make([]string, len(events))
	resources := make([]string, len(events))
	data := make([]string, len(events))
	for i, e := range events {
		ids[i], types[i], resources[i], data[i] = e.ID, e.Type, e.Resource, string(e.Data)
	}
	_, err := s.db(ctx).Exec(ctx, `with e as (
			select *, row_number() over (partition by resource order by ord) as n, count(*) over (partition by resource) as of
			from unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) with ordinality as u(id, type, resource, data, ord)),
		v as (
			insert into event_resource_versions as v (instance_id, resource, version)
			select $1, resource, count(*) from e group by resource order by resource
			on conflict (instance_id, resource) do update set version = v.version + excluded.version
			returning resource, version)
		insert into events (id, instance_id, type, resource, resource_version, data)
		select e.id, $1, e.type, e.resource, v.version - e.of + e.n, e.data::jsonb
		from e join v on v.resource = e.resource
		order by e.ord`, instance, ids, types, resources, data)
	return wrap(err)
}

// Events lists a page of the feed: in (transaction, sequence) order, and only events of
// transactions older than every running one, whose set can no longer grow.
func (s *Store) Events(ctx context.Context, instance uuid.UUID, q catalog.EventQuery) ([]catalog.Event, error) {
	var after catalog.EventPosition
	if q.After != nil {
		after = *q.After
	}
	types := q.Types
	if types == nil {
		types = []string{}
	}
	rows, err := s.db(ctx).Query(ctx, `select `+eventColumns+` from events
		where instance_id = $1 and `+eventfeed.After(2)+`
			and (cardinality($4::text[]) = 0 or type = any($4))
			and ($5::timestamptz is null or created_at > $5)
		order by `+eventfeed.Order+`
		limit $6`, append(append([]any{instance}, eventfeed.Args(after)...), types, q.CreatedAfter, q.Limit)...)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Event, error) { return scanEvent(r) })
	return list, wrap(err)
}

const eventColumns = `id, type, resource, resource_version, data, created_at, ` + eventfeed.Columns

func scanEvent(r pgx.Row) (catalog.Event, error) {
	var e catalog.Event
	var tx int64
	err := r.Scan(&e.ID, &e.Type, &e.Resource, &e.ResourceVersion, &e.Data, &e.CreatedAt, &tx, &e.Position.Seq)
	e.Position = eventfeed.At(tx, e.Position.Seq)
	return e, err
}

// Event reads one event.
func (s *Store) Event(ctx context.Context, instance, id uuid.UUID) (catalog.Event, error) {
	e, err := scanEvent(s.db(ctx).QueryRow(ctx, `select `+eventColumns+` from events where id = $1 and instance_id = $2`, id, instance))
	return e, notFound(err, "event")
}

// expiryBatch is how many rows one expiry statement deletes: each stays short.
const expiryBatch = 10000

// ExpireEvents deletes events older than keep, and the deliveries (with their attempts) made
// that long ago, a batch at a time until none is left, and reports how many events went.
func (s *Store) ExpireEvents(ctx context.Context, keep time.Duration) (int64, error) {
	cutoff := time.Now().Add(-keep)
	expire := func(sql string) periodic.Task {
		return func(ctx context.Context) (int64, error) {
			tag, err := s.pool.Exec(ctx, sql, cutoff, expiryBatch)
			return tag.RowsAffected(), wrap(err)
		}
	}
	if _, err := periodic.Drain(ctx, expiryBatch, expire(`delete from webhook_deliveries where (instance_id, id) in (
		select instance_id, id from webhook_deliveries where created_at < $1 limit $2)`)); err != nil {
		return 0, err
	}
	return periodic.Drain(ctx, expiryBatch, expire(`delete from events where (instance_id, tx_id, seq) in (
		select instance_id, tx_id, seq from events where created_at < $1 limit $2)`))
}

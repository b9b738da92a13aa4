package postgres

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// RecordEvents stores events in the change's transaction (Atomically) in one statement. A
// resource's version is one more than its last event's: its row is locked by the change (the
// update or delete of it waited for any earlier change), so the read of that last event sees the
// earlier change committed.
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
	_, err := s.db(ctx).Exec(ctx, `insert into events (id, instance_id, type, resource, resource_version, data)
		select e.id, $1, e.type, e.resource,
			coalesce((select max(p.resource_version) from events p where p.instance_id = $1 and p.resource = e.resource), 0) + e.n,
			e.data::jsonb
		from (select *, row_number() over (partition by resource order by ord) as n
			from unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) with ordinality as u(id, type, resource, data, ord)) e
		order by e.ord`, instance, ids, types, resources, data)
	return wrap(err)
}

// Events lists a page of the feed: in (transaction, sequence) order, and only events of
// transactions older than every running one, whose set can no longer grow.
func (s *Store) Events(ctx context.Context, instance uuid.UUID, q catalog.EventQuery) ([]catalog.Event, error) {
	afterTx, afterSeq := "0", int64(0)
	if q.After != nil {
		afterTx, afterSeq = strconv.FormatUint(q.After.Tx, 10), q.After.Seq
	}
	types := q.Types
	if types == nil {
		types = []string{}
	}
	rows, err := s.db(ctx).Query(ctx, `select id, type, resource, resource_version, data, created_at, tx_id::text::bigint, seq
		from events
		where instance_id = $1 and (tx_id, seq) > ($2::xid8, $3)
			and tx_id < pg_snapshot_xmin(pg_current_snapshot())
			and (cardinality($4::text[]) = 0 or type = any($4))
			and ($5::timestamptz is null or created_at > $5)
		order by tx_id, seq
		limit $6`, instance, afterTx, afterSeq, types, q.CreatedAfter, q.Limit)
	if err != nil {
		return nil, wrap(err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Event, error) {
		var e catalog.Event
		var tx int64
		err := r.Scan(&e.ID, &e.Type, &e.Resource, &e.ResourceVersion, &e.Data, &e.CreatedAt, &tx, &e.Position.Seq)
		e.Position.Tx = uint64(tx)
		return e, err
	})
}

// Event reads one event.
func (s *Store) Event(ctx context.Context, instance, id uuid.UUID) (catalog.Event, error) {
	var e catalog.Event
	var tx int64
	err := s.db(ctx).QueryRow(ctx, `select id, type, resource, resource_version, data, created_at, tx_id::text::bigint, seq
		from events where id = $1 and instance_id = $2`, id, instance).Scan(&e.ID, &e.Type, &e.Resource, &e.ResourceVersion, &e.Data, &e.CreatedAt, &tx, &e.Position.Seq)
	e.Position.Tx = uint64(tx)
	return e, notFound(err, "event")
}

// ExpireEvents deletes events older than keep, and the deliveries (with their attempts) made
// that long ago, a batch at a time.
func (s *Store) ExpireEvents(ctx context.Context, keep time.Duration) (int64, error) {
	cutoff := time.Now().Add(-keep)
	if _, err := s.pool.Exec(ctx, `delete from webhook_deliveries where (instance_id, id) in (
		select instance_id, id from webhook_deliveries where created_at < $1 limit 10000)`, cutoff); err != nil {
		return 0, wrap(err)
	}
	tag, err := s.pool.Exec(ctx, `delete from events where (instance_id, tx_id, seq) in (
		select instance_id, tx_id, seq from events where created_at < $1 limit 10000)`, cutoff)
	return tag.RowsAffected(), wrap(err)
}

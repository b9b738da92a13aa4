package postgres

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// RecordEvents stages events for the end of the change's transaction (Atomically): however many
// calls a change makes, its events are written by one statement just before it commits
// (stagedEvents), where they take their numbers in the instance's feed.
func (s *Store) RecordEvents(ctx context.Context, instance uuid.UUID, events []catalog.NewEvent) error {
	if len(events) == 0 {
		return nil
	}
	w, ok := pgtx.Stage(ctx, stagedEventsKey{}, func() pgtx.Staged { return &stagedEvents{} })
	if !ok {
		return errors.New("postgres: events are recorded only inside a change (Atomically)")
	}
	w.(*stagedEvents).add(instance, events)
	return nil
}

type stagedEventsKey struct{}

// stagedEvents are a change's events, by instance.
type stagedEvents struct {
	instances []uuid.UUID
	events    map[uuid.UUID][]catalog.NewEvent
}

func (w *stagedEvents) add(instance uuid.UUID, events []catalog.NewEvent) {
	if w.events == nil {
		w.events = map[uuid.UUID][]catalog.NewEvent{}
	}
	if _, seen := w.events[instance]; !seen {
		w.instances = append(w.instances, instance)
	}
	w.events[instance] = append(w.events[instance], events...)
}

// Flush writes each instance's events in one statement (instances in id order, so changes
// touching several lock their heads in one order). A resource's versions count on in
// event_resource_versions, whose rows the statement updates first (a concurrent change of the
// same resource waits for this one; versions outlive the events that expire); then the instance's
// head moves on by the events' count, and its row stays locked until the commit that follows
// (eventfeed): numbers are taken in commit order.
func (w *stagedEvents) Flush(ctx context.Context, tx pgx.Tx) error {
	slices.SortFunc(w.instances, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	for _, instance := range w.instances {
		events := w.events[instance]
		ids := make([]uuid.UUID, len(events))
		types := make([]string, len(events))
		resources := make([]string, len(events))
		data := make([][]byte, len(events))
		for i, e := range events {
			ids[i], types[i], resources[i], data[i] = e.ID, e.Type, e.Resource, e.Data
		}
		records, err := joinRecords(data)
		if err != nil {
			return err
		}
		// h reads every row of v first, so the versions are locked before the head: a change
		// holding the head never waits for a version row.
		_, err = tx.Exec(ctx, `with e as (
				select *, row_number() over (partition by resource order by ord) as n, count(*) over (partition by resource) as of
				from rows from (unnest($2::uuid[]), unnest($3::text[]), unnest($4::text[]), `+splitRecords("$5")+`)
					with ordinality as u(id, type, resource, data, ord)),
			v as (
				insert into event_resource_versions as v (instance_id, resource, version)
				select $1, resource, count(*) from e group by resource order by resource
				on conflict (instance_id, resource) do update set version = v.version + excluded.version
				returning resource, version),
			h as (
				insert into event_heads as h (instance_id, position)
				select $1, cardinality($2::uuid[]) from (select count(*) from v) as versions_first
				on conflict (instance_id) do update set position = h.position + excluded.position
				returning position)
			insert into events (id, instance_id, type, resource, resource_version, data, position)
			select e.id, $1, e.type, e.resource, v.version - e.of + e.n, e.data::jsonb, h.position - cardinality($2::uuid[]) + e.ord
			from e join v on v.resource = e.resource cross join h
			order by e.ord`, instance, ids, types, resources, records)
		if err != nil {
			return err
		}
	}
	return nil
}

// Events lists a page of the feed: the instance's events numbered after the cursor, in order.
func (s *Store) Events(ctx context.Context, instance uuid.UUID, q catalog.EventQuery) ([]catalog.Event, error) {
	var after int64
	if q.After != nil {
		var err error
		if after, err = eventfeed.Resolve(ctx, s.db(ctx), "events", "instance_id", instance, *q.After); err != nil {
			return nil, wrap(err)
		}
	}
	types := q.Types
	if types == nil {
		types = []string{}
	}
	rows, err := s.db(ctx).Query(ctx, `select `+eventColumns+` from events
		where instance_id = $1 and position > $2
			and (cardinality($3::text[]) = 0 or type = any($3))
			and ($4::timestamptz is null or created_at > $4)
		order by position
		limit $5`, instance, after, types, q.CreatedAfter, q.Limit)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Event, error) { return scanEvent(r) })
	return list, wrap(err)
}

const eventColumns = `id, type, resource, resource_version, data, created_at, position`

func scanEvent(r pgx.Row) (catalog.Event, error) {
	var e catalog.Event
	err := r.Scan(&e.ID, &e.Type, &e.Resource, &e.ResourceVersion, &e.Data, &e.CreatedAt, &e.Position.N)
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
	return periodic.Drain(ctx, expiryBatch, expire(`delete from events where (instance_id, position) in (
		select instance_id, position from events where created_at < $1 limit $2)`))
}

package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/services/identity/internal/event"
)

var _ event.Store = (*Store)(nil)

// RecordEvents stages events for the end of the change's transaction: however many calls a change
// makes, its events are written by one statement just before it commits (stagedEvents), where
// they take their numbers in their organizations' feeds.
func (s *Store) RecordEvents(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	w, ok := pgtx.Stage(ctx, stagedEventsKey{}, func() pgtx.Staged { return &stagedEvents{} })
	if !ok {
		return errors.New("postgres: events are recorded only inside a change (Atomically)")
	}
	w.(*stagedEvents).events = append(w.(*stagedEvents).events, events...)
	return nil
}

type stagedEventsKey struct{}

type stagedEvents struct{ events []event.Event }

// Flush writes the change's events in one statement: each organization's head moves on by its
// events' count (heads locked in organization order, so changes touching several never wait for
// each other in a cycle) and stays locked until the commit that follows (eventfeed): numbers are
// taken in commit order.
func (w *stagedEvents) Flush(ctx context.Context, tx pgx.Tx) error {
	n := len(w.events)
	ids, orgs, subjects, actors := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n)
	types, data := make([]string, n), make([]string, n)
	for i, e := range w.events {
		ids[i], orgs[i], subjects[i], actors[i], types[i], data[i] = e.ID, e.Organization, e.Subject, e.Actor, e.Type, string(e.Data)
	}
	_, err := tx.Exec(ctx, `with u as (
			select *, row_number() over (partition by org order by ord) as n, count(*) over (partition by org) as of
			from unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[]) with ordinality
				as u(id, org, type, subject, actor, data, ord)),
		h as (
			insert into organization_event_heads as h (organization_id, position)
			select org, count(*) from u group by org order by org
			on conflict (organization_id) do update set position = h.position + excluded.position
			returning organization_id, position)
		insert into organization_events (id, organization_id, type, subject_id, actor_id, data, position)
		select u.id, u.org, u.type, u.subject, u.actor, u.data::jsonb, h.position - u.of + u.n
		from u join h on h.organization_id = u.org
		order by u.ord`, ids, orgs, types, subjects, actors, data)
	if err != nil {
		return err
	}
	// Every organization event is a change other services act on (the stream), taken last.
	changes := make([]serviceChange, n)
	for i, e := range w.events {
		changes[i] = serviceChange{id: e.ID, typ: e.Type, organization: &orgs[i], subject: e.Subject, data: e.Data}
	}
	return insertServiceChanges(ctx, tx, changes)
}

// OrganizationEvents lists a page of an organization's feed: its events numbered after the
// position, in order.
func (s *Store) OrganizationEvents(ctx context.Context, org uuid.UUID, after event.Position, limit int) ([]event.Event, error) {
	from, err := eventfeed.Resolve(ctx, s.db(ctx), "organization_events", "organization_id", org, after)
	if err != nil {
		return nil, wrap(err)
	}
	rows, err := s.db(ctx).Query(ctx, `select id, organization_id, type, subject_id, actor_id, data, created_at, position
		from organization_events
		where organization_id = $1 and position > $2
		order by position limit $3`, org, from, limit)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (event.Event, error) {
		var e event.Event
		err := r.Scan(&e.ID, &e.Organization, &e.Type, &e.Subject, &e.Actor, &e.Data, &e.At, &e.Position.N)
		return e, err
	})
	return list, wrap(err)
}

// expiryBatch is how many rows one expiry statement deletes: each stays short.
const expiryBatch = 10000

// ExpireEvents deletes events older than keep, a batch at a time until none is left.
func (s *Store) ExpireEvents(ctx context.Context, keep time.Duration) (int64, error) {
	cutoff := time.Now().Add(-keep)
	return periodic.Drain(ctx, expiryBatch, func(ctx context.Context) (int64, error) {
		tag, err := s.pool.Exec(ctx, `delete from organization_events where (organization_id, position) in (
			select organization_id, position from organization_events where created_at < $1 limit $2)`, cutoff, expiryBatch)
		return tag.RowsAffected(), wrap(err)
	})
}

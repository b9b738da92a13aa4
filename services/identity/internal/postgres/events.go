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

// RecordEvents stores events in the change's transaction, in one statement.
func (s *Store) RecordEvents(ctx context.Context, events []event.Event) error {
	if _, ok := pgtx.In(ctx); !ok {
		return errors.New("postgres: events are recorded only inside a change (Atomically)")
	}
	n := len(events)
	ids, orgs, subjects, actors := make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n), make([]uuid.UUID, n)
	types, data := make([]string, n), make([]string, n)
	for i, e := range events {
		ids[i], orgs[i], subjects[i], actors[i], types[i], data[i] = e.ID, e.Organization, e.Subject, e.Actor, e.Type, string(e.Data)
	}
	_, err := s.db(ctx).Exec(ctx, `insert into organization_events (id, organization_id, type, subject_id, actor_id, data)
		select id, org, type, subject, actor, data::jsonb
		from unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::uuid[], $6::text[]) with ordinality
			as u(id, org, type, subject, actor, data, ord) order by ord`, ids, orgs, types, subjects, actors, data)
	return wrap(err)
}

// OrganizationEvents lists a page of an organization's feed: in (transaction, sequence) order, and only
// events of transactions older than every running one, whose set can no longer grow.
func (s *Store) OrganizationEvents(ctx context.Context, org uuid.UUID, after event.Position, limit int) ([]event.Event, error) {
	rows, err := s.db(ctx).Query(ctx, `select id, organization_id, type, subject_id, actor_id, data, created_at, `+eventfeed.Columns+`
		from organization_events
		where organization_id = $1 and `+eventfeed.After(2)+`
		order by `+eventfeed.Order+` limit $4`, append(append([]any{org}, eventfeed.Args(after)...), limit)...)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (event.Event, error) {
		var e event.Event
		var tx int64
		err := r.Scan(&e.ID, &e.Organization, &e.Type, &e.Subject, &e.Actor, &e.Data, &e.At, &tx, &e.Position.Seq)
		e.Position = eventfeed.At(tx, e.Position.Seq)
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
		tag, err := s.pool.Exec(ctx, `delete from organization_events where (organization_id, tx_id, seq) in (
			select organization_id, tx_id, seq from organization_events where created_at < $1 limit $2)`, cutoff, expiryBatch)
		return tag.RowsAffected(), wrap(err)
	})
}

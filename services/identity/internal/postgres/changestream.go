package postgres

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/services/identity/internal/changestream"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
)

var _ changestream.Store = (*Store)(nil)

// serviceChange is a row of the change stream as a change writes it.
type serviceChange struct {
	id           uuid.UUID
	typ          string
	organization *uuid.UUID
	subject      uuid.UUID
	client       *string
	data         json.RawMessage
}

// insertServiceChanges appends changes to the stream in tx: the head moves on by their count and
// stays locked until tx commits, so numbers are taken in commit order (eventfeed). Callers write
// them as the last statements before the commit, to hold the lock briefly.
func insertServiceChanges(ctx context.Context, tx pgx.Tx, changes []serviceChange) error {
	n := len(changes)
	if n == 0 {
		return nil
	}
	ids, types, orgs, subjects, clients, data := make([]uuid.UUID, n), make([]string, n), make([]*uuid.UUID, n), make([]uuid.UUID, n), make([]*string, n), make([]string, n)
	for i, c := range changes {
		ids[i], types[i], orgs[i], subjects[i], clients[i] = c.id, c.typ, c.organization, c.subject, c.client
		data[i] = "{}"
		if len(c.data) > 0 {
			data[i] = string(c.data)
		}
	}
	_, err := tx.Exec(ctx, `with h as (update service_change_head set position = position + $7 returning position)
		insert into service_changes (position, id, type, organization_id, subject_id, client_id, data)
		select h.position - $7 + u.ord, u.id, u.type, u.org, u.subject, u.client, u.data::jsonb
		from h, unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[]) with ordinality
			as u(id, type, org, subject, client, data, ord)
		order by u.ord`, ids, types, orgs, subjects, clients, data, n)
	return err
}

// credentialChange is the stream's change for a credential event other services act on.
func credentialChange(e partner.Event) (serviceChange, bool) {
	switch e.Type {
	case partner.ClientRevoked, partner.PartnerDisabled, partner.PartnerEnabled:
		return serviceChange{id: e.ID, typ: string(e.Type), subject: e.PartnerID, client: e.ClientID}, true
	}
	return serviceChange{}, false
}

func (s *Store) ServiceChanges(ctx context.Context, after int64, limit int) ([]changestream.Change, int64, error) {
	b := &pgx.Batch{}
	b.Queue(`select position, id, type, organization_id, subject_id, client_id, data, created_at
		from service_changes where position > $1 order by position limit $2`, after, limit)
	b.Queue(`select position from service_change_head`)
	br := s.db(ctx).SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, 0, wrap(err)
	}
	changes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (changestream.Change, error) {
		var c changestream.Change
		err := r.Scan(&c.Position, &c.ID, &c.Type, &c.Organization, &c.Subject, &c.Client, &c.Data, &c.At)
		c.At = c.At.UTC()
		return c, err
	})
	if err != nil {
		return nil, 0, wrap(err)
	}
	var head int64
	if err := br.QueryRow().Scan(&head); err != nil {
		return nil, 0, wrap(err)
	}
	return changes, head, nil
}

// ExpireServiceChanges deletes stream changes older than keep, a batch at a time: a follower
// further behind than that has lost them (its operator is told by its readiness).
func (s *Store) ExpireServiceChanges(ctx context.Context, keep time.Duration) (int64, error) {
	cutoff := time.Now().Add(-keep)
	return periodic.Drain(ctx, expiryBatch, func(ctx context.Context) (int64, error) {
		tag, err := s.pool.Exec(ctx, `delete from service_changes where position in (
			select position from service_changes where created_at < $1 limit $2)`, cutoff, expiryBatch)
		return tag.RowsAffected(), wrap(err)
	})
}

// ChangeSignal listens for identity_service_changes on a connection of its own and wakes the
// stream's waiting readers. While the connection is down it retries; readers poll meanwhile.
type ChangeSignal struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
	mu     sync.Mutex
	woken  chan struct{}
}

// NewChangeSignal returns a signal over pool; Run listens.
func NewChangeSignal(pool *pgxpool.Pool, logger *slog.Logger) *ChangeSignal {
	return &ChangeSignal{pool: pool, logger: logger, woken: make(chan struct{})}
}

var _ changestream.Signal = (*ChangeSignal)(nil)

func (c *ChangeSignal) Wait() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.woken
}

func (c *ChangeSignal) wake() {
	c.mu.Lock()
	close(c.woken)
	c.woken = make(chan struct{})
	c.mu.Unlock()
}

// Run listens until ctx ends.
func (c *ChangeSignal) Run(ctx context.Context) {
	for ctx.Err() == nil {
		if err := c.listen(ctx); err != nil && ctx.Err() == nil {
			c.logger.Warn("change stream: listening for commits failed; readers poll every second meanwhile", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (c *ChangeSignal) listen(ctx context.Context) error {
	// A connection of its own: a pooled one would be lost to the pool for as long as it listens.
	conn, err := pgx.ConnectConfig(ctx, c.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `listen identity_service_changes`); err != nil {
		return err
	}
	c.wake() // changes may have committed while nobody listened
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		c.wake()
	}
}

// Package identitystream brings identity's changes to product-management as they commit, through
// identity's change stream (GET /internal/changes, long polled, with a service credential):
//
//   - every replica runs a Watcher: when access narrows (a member removed or changed, an instance
//     transferred or deleted, a client revoked, a partner disabled) it drops the access answers it
//     cached, so the next request asks identity again, within a second of identity's commit. The
//     cache's TTL (ACCESS_CACHE_TTL) stays the bound while the stream is down;
//   - one replica per deployment (an advisory lock) runs the Follower: it keeps its position in
//     identity_stream, written in the transaction of what it does with each change, and on
//     instance.deleted stops the instance's webhooks and queues the purge of its catalog
//     (PurgeArgs, a River job) in that same transaction.
package identitystream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/failpoint"
	"github.com/flowkiwi/platform/services/product-management/internal/access"
)

// Wait is how long a read of the stream waits for a change (identity's bound).
const Wait = 30 * time.Second

// Source reads identity's change stream with the service credential (identity service create).
type Source struct {
	api            *identity.ClientWithResponses
	clientID       string
	secret         string
	mu             sync.Mutex
	token          string
	tokenExpiresAt time.Time
}

// NewSource reads the stream of identity at identityURL as clientID.
func NewSource(identityURL, clientID, secret string) (*Source, error) {
	api, err := identity.NewClientWithResponses(identityURL, identity.WithHTTPClient(&http.Client{Timeout: Wait + 15*time.Second}))
	if err != nil {
		return nil, err
	}
	return &Source{api: api, clientID: clientID, secret: secret}, nil
}

// Read returns the changes after position after, waiting up to wait for one.
func (s *Source) Read(ctx context.Context, after int64, wait time.Duration) (identity.ServiceChangeList, error) {
	for attempt := 0; ; attempt++ {
		token, err := s.bearer(ctx, attempt > 0)
		if err != nil {
			return identity.ServiceChangeList{}, err
		}
		secs, limit := int(wait/time.Second), 500
		resp, err := s.api.ListServiceChangesWithResponse(ctx, &identity.ListServiceChangesParams{After: &after, Limit: &limit, Wait: &secs},
			func(_ context.Context, r *http.Request) error {
				r.Header.Set("Authorization", "Bearer "+token)
				return nil
			})
		switch {
		case err != nil:
			return identity.ServiceChangeList{}, err
		case resp.StatusCode() == http.StatusUnauthorized && attempt == 0:
			continue // the token expired or its key rotated: a new one
		case resp.JSON200 == nil:
			return identity.ServiceChangeList{}, fmt.Errorf("identity's change stream answered %s: %.200s", resp.Status(), resp.Body)
		}
		return *resp.JSON200, nil
	}
}

func (s *Source) bearer(ctx context.Context, renew bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !renew && s.token != "" && time.Now().Before(s.tokenExpiresAt) {
		return s.token, nil
	}
	grant := "client_credentials"
	resp, err := s.api.IssueTokenWithFormdataBodyWithResponse(ctx, identity.IssueTokenFormdataRequestBody{GrantType: &grant, ClientId: &s.clientID, ClientSecret: &s.secret})
	if err != nil {
		return "", err
	}
	if resp.JSON200 == nil {
		return "", fmt.Errorf("identity refused the service credential: %s %.200s", resp.Status(), resp.Body)
	}
	s.token = resp.JSON200.AccessToken
	s.tokenExpiresAt = time.Now().Add(time.Duration(resp.JSON200.ExpiresIn)*time.Second - 30*time.Second)
	return s.token, nil
}

// Narrowing is what a change makes the access cache forget; ok is false for a change that can
// only widen access (or that this version does not know).
func Narrowing(c identity.ServiceChange) (access.Narrowed, bool) {
	var org uuid.UUID
	if o, err := c.OrganizationId.Get(); err == nil {
		org = o
	}
	switch c.Type {
	case "member.removed", "member.updated":
		return access.Narrowed{Partner: c.SubjectId, Organization: org}, org != uuid.Nil
	case "instance.transferred", "instance.deleted":
		return access.Narrowed{Organization: org}, org != uuid.Nil
	case "client.revoked":
		client, err := c.ClientId.Get()
		return access.Narrowed{Client: client}, err == nil && client != ""
	case "partner.disabled":
		return access.Narrowed{Partner: c.SubjectId}, true
	}
	return access.Narrowed{}, false
}

// Forgetter drops cached access answers (access.Checker).
type Forgetter interface {
	Forget(access.Narrowed) int
}

// Watcher follows the stream from its head on this replica and drops what access it cached a
// change narrows.
type Watcher struct {
	source   *Source
	access   Forgetter
	logger   *slog.Logger
	caughtUp atomic.Int64 // unix nanoseconds of the last read that reached the head
}

// NewWatcher returns a watcher of source dropping answers from cache.
func NewWatcher(source *Source, cache Forgetter, logger *slog.Logger) *Watcher {
	w := &Watcher{source: source, access: cache, logger: logger}
	w.caughtUp.Store(time.Now().UnixNano())
	return w
}

// Run follows the stream until ctx ends; while identity cannot be read it retries every second.
func (w *Watcher) Run(ctx context.Context) {
	after := int64(-1)
	failing := false
	for ctx.Err() == nil {
		if after < 0 { // only what commits from now on matters to a cache that starts empty
			page, err := w.source.Read(ctx, 0, 0)
			if err != nil {
				failing = w.failed(ctx, err, failing)
				continue
			}
			after = page.Head
		}
		page, err := w.source.Read(ctx, after, Wait)
		if err != nil {
			failing = w.failed(ctx, err, failing)
			continue
		}
		failing = false
		for _, c := range page.Items {
			if n, ok := Narrowing(c); ok {
				w.access.Forget(n)
			}
			after = c.Position
		}
		if after >= page.Head {
			w.caughtUp.Store(time.Now().UnixNano())
		}
	}
}

func (w *Watcher) failed(ctx context.Context, err error, already bool) bool {
	if !already && ctx.Err() == nil {
		w.logger.Warn("identity's change stream cannot be read; cached access lasts its TTL meanwhile", "error", err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
	return true
}

// Lag is how long ago the watcher last read the stream to its head.
func (w *Watcher) Lag() time.Duration { return time.Since(time.Unix(0, w.caughtUp.Load())) }

// Enqueue queues the purge of a deleted instance in tx (River's InsertTx).
type Enqueue func(ctx context.Context, tx pgx.Tx, instance uuid.UUID) error

// RequestPurge stops a deleted instance's webhooks and records its purge in tx (postgres.RequestPurge).
type RequestPurge func(ctx context.Context, tx pgx.Tx, instance uuid.UUID) error

// Follower follows the stream durably on one replica of the deployment and acts on deletions.
type Follower struct {
	source  *Source
	pool    *pgxpool.Pool
	request RequestPurge
	enqueue Enqueue
	logger  *slog.Logger
	resumed bool // unfinished purges queued again once per process, not at every retry
}

// NewFollower returns the follower of source keeping its position in pool's database.
func NewFollower(source *Source, pool *pgxpool.Pool, request RequestPurge, enqueue Enqueue, logger *slog.Logger) *Follower {
	return &Follower{source: source, pool: pool, request: request, enqueue: enqueue, logger: logger}
}

// followerLock is the advisory lock whose holder follows: one follower per database.
const followerLock = 7_206_000_026

// Run follows until ctx ends, whenever this replica holds the lock (the others wait to take over).
func (f *Follower) Run(ctx context.Context) {
	for ctx.Err() == nil {
		err := f.lead(ctx)
		if err != nil && ctx.Err() == nil {
			f.logger.Warn("identity stream follower: retrying", "error", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// lead takes the lock on a connection of its own and follows while it holds it.
func (f *Follower) lead(ctx context.Context) error {
	conn, err := f.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var leader bool
	if err := conn.QueryRow(ctx, `select pg_try_advisory_lock($1)`, followerLock).Scan(&leader); err != nil {
		return err
	}
	if !leader {
		return nil
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `select pg_advisory_unlock($1)`, followerLock); err != nil {
			conn.Conn().Close(context.WithoutCancel(ctx)) // the session ends, and the lock with it
		}
	}()
	if _, err := conn.Exec(ctx, `insert into identity_stream (position, updated_at) values (0, now()) on conflict do nothing`); err != nil {
		return err
	}
	if !f.resumed {
		if err := f.resume(ctx, conn.Conn()); err != nil {
			return err
		}
		f.resumed = true
	}
	for ctx.Err() == nil {
		var position int64
		if err := conn.QueryRow(ctx, `select position from identity_stream`).Scan(&position); err != nil {
			return err
		}
		page, err := f.source.Read(ctx, position, Wait)
		if err != nil {
			return err
		}
		if len(page.Items) > 0 && page.Items[0].Position > position+1 {
			f.logger.Error("identity expired changes before the follower read them: instances deleted meanwhile wait for `product-management instance purge`",
				"from", position+1, "to", page.Items[0].Position-1)
		}
		for _, c := range page.Items {
			if err := f.handle(ctx, conn.Conn(), c); err != nil {
				return fmt.Errorf("change %d (%s): %w", c.Position, c.Type, err)
			}
			position = c.Position
		}
		if position >= page.Head {
			if _, err := conn.Exec(ctx, `update identity_stream set updated_at = now(), head = $1`, page.Head); err != nil {
				return err
			}
		}
	}
	return nil
}

// resume queues again the purges a killed process left unfinished: their own jobs would wait for
// River's rescue (about a minute). A purge run twice deletes nothing twice.
func (f *Follower) resume(ctx context.Context, conn *pgx.Conn) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select purged_instance from instance_purges where completed_at is null`)
		if err != nil {
			return err
		}
		unfinished, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		for _, instance := range unfinished {
			if err := f.enqueue(ctx, tx, instance); err != nil {
				return err
			}
		}
		return nil
	})
}

// handle acts on one change and moves the position past it, in one transaction: after a crash
// the change is either done with its position moved, or neither.
func (f *Follower) handle(ctx context.Context, conn *pgx.Conn, c identity.ServiceChange) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var position int64
		if err := tx.QueryRow(ctx, `select position from identity_stream for update`).Scan(&position); err != nil {
			return err
		}
		if c.Position <= position {
			return nil // handled already
		}
		if c.Type == "instance.deleted" {
			if err := f.request(ctx, tx, c.SubjectId); err != nil {
				return err
			}
			if err := f.enqueue(ctx, tx, c.SubjectId); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `update identity_stream set position = $1`, c.Position); err != nil {
			return err
		}
		if c.Type == "instance.deleted" {
			failpoint.Hit("stream/deleted-before-commit") // the purge queued, the position moved, neither committed
		}
		return nil
	})
}

// Lag reads how long ago the follower last read the stream to its head (any replica may ask).
func Lag(ctx context.Context, pool *pgxpool.Pool) (time.Duration, bool, error) {
	var at time.Time
	err := pool.QueryRow(ctx, `select updated_at from identity_stream`).Scan(&at)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return time.Since(at), err == nil, err
}

package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/webhook"
)

var (
	_ webhook.Store         = (*Store)(nil)
	_ webhook.DeliveryStore = (*Store)(nil)
)

// subscriptionColumns leave the secret out: it is shown once, at creation, and read only to sign
// a delivery (Job).
const subscriptionColumns = `id, url, events, description, active, disabled_reason, created_at, updated_at`

func scanSubscription(r pgx.Row, extra ...any) (webhook.Subscription, error) {
	var s webhook.Subscription
	err := r.Scan(append([]any{&s.ID, &s.URL, &s.Events, &s.Description, &s.Active, &s.DisabledReason, &s.CreatedAt, &s.UpdatedAt}, extra...)...)
	return s, err
}

func (s *Store) CreateSubscription(ctx context.Context, instance uuid.UUID, sub webhook.Subscription) error {
	_, err := s.db(ctx).Exec(ctx, `insert into webhook_subscriptions (instance_id, id, url, events, description, secret)
		values ($1, $2, $3, $4, $5, $6)`, instance, sub.ID, sub.URL, sub.Events, sub.Description, sub.Secret)
	return wrap(err)
}

func (s *Store) Subscriptions(ctx context.Context, instance uuid.UUID, page, perPage int) ([]webhook.Subscription, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+subscriptionColumns+`, count(*) over () from webhook_subscriptions
		where instance_id = $1 order by created_at, id limit $2 offset $3`, instance, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Subscription, error) { return scanSubscription(r, &total) })
	if err != nil {
		return nil, 0, wrap(err)
	}
	if len(list) == 0 && page > 1 {
		err = s.db(ctx).QueryRow(ctx, `select count(*) from webhook_subscriptions where instance_id = $1`, instance).Scan(&total)
	}
	return list, total, wrap(err)
}

func (s *Store) Subscription(ctx context.Context, instance, id uuid.UUID) (webhook.Subscription, error) {
	sub, err := scanSubscription(s.db(ctx).QueryRow(ctx, `select `+subscriptionColumns+` from webhook_subscriptions where instance_id = $1 and id = $2`, instance, id))
	return sub, notFound(err, "webhook subscription")
}

func (s *Store) UpdateSubscription(ctx context.Context, instance uuid.UUID, sub webhook.Subscription) error {
	tag, err := s.db(ctx).Exec(ctx, `update webhook_subscriptions set url = $3, events = $4, description = $5, active = $6,
		disabled_reason = $7, failing_since = case when $6 and not active then null else failing_since end, updated_at = now()
		where instance_id = $1 and id = $2`, instance, sub.ID, sub.URL, sub.Events, sub.Description, sub.Active, sub.DisabledReason)
	if err == nil && tag.RowsAffected() == 0 {
		return fault.NotFound("no such webhook subscription")
	}
	return wrap(err)
}

func (s *Store) DeleteSubscription(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from webhook_subscriptions where instance_id = $1 and id = $2`, instance, id)
	if err == nil && tag.RowsAffected() == 0 {
		return fault.NotFound("no such webhook subscription")
	}
	return wrap(err)
}

// deliveriesSQL reads deliveries with their attempts (a JSON array, oldest first) in one query.
const deliveriesSQL = `select d.id, d.subscription_id, d.event_id, d.status, d.next_attempt_at, d.created_at,
	coalesce((select json_agg(json_build_object('n', a.attempt, 'at', a.attempted_at, 'ms', a.duration_ms, 'status', a.response_status,
		'error', a.error, 'excerpt', a.response_excerpt) order by a.attempt)
		from webhook_attempts a where a.instance_id = d.instance_id and a.delivery_id = d.id), '[]')`

func scanDelivery(r pgx.Row, extra ...any) (webhook.Delivery, error) {
	var d webhook.Delivery
	var status string
	var attempts []byte
	err := r.Scan(append([]any{&d.ID, &d.Subscription, &d.Event, &status, &d.NextAttempt, &d.CreatedAt, &attempts}, extra...)...)
	if err != nil {
		return d, err
	}
	d.Status = webhook.Status(status)
	var raw []struct {
		N       int       `json:"n"`
		At      time.Time `json:"at"`
		MS      int       `json:"ms"`
		Status  *int      `json:"status"`
		Error   *string   `json:"error"`
		Excerpt *string   `json:"excerpt"`
	}
	if err := json.Unmarshal(attempts, &raw); err != nil {
		return d, err
	}
	d.Attempts = make([]webhook.Attempt, len(raw))
	for i, a := range raw {
		d.Attempts[i] = webhook.Attempt{N: a.N, At: a.At, Duration: time.Duration(a.MS) * time.Millisecond, Status: a.Status, Error: a.Error, Excerpt: a.Excerpt}
	}
	return d, nil
}

func (s *Store) Deliveries(ctx context.Context, instance, subscription uuid.UUID, page, perPage int) ([]webhook.Delivery, int, error) {
	rows, err := s.db(ctx).Query(ctx, deliveriesSQL+`, count(*) over () from webhook_deliveries d
		where d.instance_id = $1 and d.subscription_id = $2 order by d.created_at desc, d.id desc limit $3 offset $4`,
		instance, subscription, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (webhook.Delivery, error) { return scanDelivery(r, &total) })
	if err != nil {
		return nil, 0, wrap(err)
	}
	if len(list) == 0 && page > 1 {
		err = s.db(ctx).QueryRow(ctx, `select count(*) from webhook_deliveries where instance_id = $1 and subscription_id = $2`, instance, subscription).Scan(&total)
	}
	return list, total, wrap(err)
}

func (s *Store) Delivery(ctx context.Context, instance, id uuid.UUID) (webhook.Delivery, error) {
	d, err := scanDelivery(s.db(ctx).QueryRow(ctx, deliveriesSQL+` from webhook_deliveries d where d.instance_id = $1 and d.id = $2`, instance, id))
	return d, notFound(err, "webhook delivery")
}

func (s *Store) Resend(ctx context.Context, instance, subscription, event uuid.UUID, enqueue webhook.Enqueue) (uuid.UUID, error) {
	id := uuid.Must(uuid.NewV7())
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `insert into webhook_deliveries (instance_id, id, subscription_id, event_id, next_attempt_at)
			select $1, $2, $3, e.id, now() from events e where e.id = $4 and e.instance_id = $1`, instance, id, subscription, event)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fault.NotFound("no such event")
		}
		return enqueue(ctx, tx, []webhook.Queued{{Instance: instance, Delivery: id}})
	})
	return id, wrap(err)
}

// Dispatch creates a delivery per new event and matching subscription that existed when the
// event was recorded, queues them and moves each instance's dispatched number on: one
// transaction, which other replicas skip while one holds the dispatch lock. An instance's events
// up to its head (event_heads) have all committed (eventfeed), so nothing running elsewhere holds
// them back. It takes at most limit events, in turns among the instances with new events (each
// instance's first, then each one's second, ...; at most 50 instances, drawn at random), so one
// busy instance cannot keep the others waiting; an instance whose undispatched events all expired
// moves on to its head.
func (s *Store) Dispatch(ctx context.Context, limit int, enqueue webhook.Enqueue) (int, error) {
	passed := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		passed = 0 // a retried attempt counts afresh
		var mine bool
		if err := tx.QueryRow(ctx, `select pg_try_advisory_xact_lock($1)`, dispatchLock).Scan(&mine); err != nil || !mine {
			return err // nil when another replica is dispatching
		}
		var queued []webhook.Queued
		rows, err := tx.Query(ctx, `with pending as (
				select h.instance_id, coalesce(d.position, 0) as after, h.position as head
				from event_heads h left join webhook_dispatched d on d.instance_id = h.instance_id
				where h.position > coalesce(d.position, 0)
				order by random() limit least($1, 50)),
			kept as (
				select e.instance_id, e.id, e.type, e.position, e.created_at,
					row_number() over (partition by e.instance_id order by e.position) as turn
				from pending p cross join lateral (
					select * from events e where e.instance_id = p.instance_id and e.position > p.after
					order by e.position limit $1) e),
			batch as (select * from kept order by turn, instance_id limit $1),
			made as (
				insert into webhook_deliveries (instance_id, id, subscription_id, event_id, next_attempt_at, created_at)
				select b.instance_id, gen_random_uuid(), w.id, b.id, now(), clock_timestamp()
				from batch b join webhook_subscriptions w on w.instance_id = b.instance_id and w.active and w.created_at <= b.created_at
					and (w.events && array['*', b.type, split_part(b.type, '.', 1) || '.*'])
				order by b.instance_id, b.position
				returning instance_id, id),
			moved as (
				insert into webhook_dispatched as d (instance_id, position)
				select p.instance_id, coalesce(b.last, p.head) from pending p
				left join (select instance_id, max(position) as last from batch group by instance_id) b on b.instance_id = p.instance_id
				where b.last is not null or not exists (select from kept k where k.instance_id = p.instance_id)
				on conflict (instance_id) do update set position = excluded.position)
			select instance_id, id, 0 from made
			union all
			select null, null, (select count(*) from batch)`, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var inst, id *uuid.UUID
			var n int
			if err := rows.Scan(&inst, &id, &n); err != nil {
				rows.Close()
				return err
			}
			if inst == nil {
				passed = n
				continue
			}
			queued = append(queued, webhook.Queued{Instance: *inst, Delivery: *id})
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(queued) == 0 {
			return nil
		}
		return enqueue(ctx, tx, queued)
	})
	return passed, wrap(err)
}

// dispatchLock is the transaction-scoped advisory lock of the replica dispatching.
const dispatchLock = int64(0x666b_7764_6973_7061) // "fkwdispa"

func (s *Store) Job(ctx context.Context, instance, delivery uuid.UUID) (webhook.Job, error) {
	j := webhook.Job{Instance: instance}
	var status string
	e := &j.Event
	err := s.pool.QueryRow(ctx, `select d.id, d.status, w.id, w.url, w.secret, w.active,
			e.id, e.type, e.resource, e.resource_version, e.data, e.created_at, e.position
		from webhook_deliveries d
		join webhook_subscriptions w on w.instance_id = d.instance_id and w.id = d.subscription_id
		join events e on e.instance_id = d.instance_id and e.id = d.event_id
		where d.instance_id = $1 and d.id = $2`, instance, delivery).Scan(&j.Delivery.ID, &status,
		&j.Subscription.ID, &j.Subscription.URL, &j.Subscription.Secret, &j.Subscription.Active,
		&e.ID, &e.Type, &e.Resource, &e.ResourceVersion, &e.Data, &e.CreatedAt, &e.Position.N)
	if errors.Is(err, pgx.ErrNoRows) {
		return j, webhook.ErrGone
	}
	if err != nil {
		return j, wrap(err)
	}
	j.Delivery.Status = webhook.Status(status)
	return j, nil
}

func (s *Store) RecordAttempt(ctx context.Context, instance, delivery uuid.UUID, a webhook.Attempt, status webhook.Status, disableAfter time.Duration) error {
	b := &pgx.Batch{}
	b.Queue(`insert into webhook_attempts (instance_id, delivery_id, attempt, attempted_at, duration_ms, response_status, error, response_excerpt)
		values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (instance_id, delivery_id, attempt) do nothing`,
		instance, delivery, a.N, a.At, a.Duration.Milliseconds(), a.Status, a.Error, a.Excerpt)
	b.Queue(`update webhook_deliveries set status = $3, next_attempt_at = $4 where instance_id = $1 and id = $2`, instance, delivery, string(status), a.NextAttempt)
	if status == webhook.Succeeded {
		b.Queue(`update webhook_subscriptions w set failing_since = null from webhook_deliveries d
			where d.instance_id = $1 and d.id = $2 and w.instance_id = d.instance_id and w.id = d.subscription_id and w.failing_since is not null`, instance, delivery)
	} else if a.Error != nil {
		b.Queue(`update webhook_subscriptions w set failing_since = coalesce(w.failing_since, $3),
				active = w.active and coalesce(w.failing_since, $3) > now() - $4::bigint * interval '1 millisecond',
				disabled_reason = case when w.active and coalesce(w.failing_since, $3) <= now() - $4::bigint * interval '1 millisecond'
					then 'deliveries failed without a success since ' || to_char(coalesce(w.failing_since, $3) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
					else w.disabled_reason end
			from webhook_deliveries d
			where d.instance_id = $1 and d.id = $2 and w.instance_id = d.instance_id and w.id = d.subscription_id`, instance, delivery, a.At, disableAfter.Milliseconds())
	}
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }))
}

func (s *Store) Backlog(ctx context.Context) (int64, time.Duration, error) {
	var pending int64
	var age float64
	// Each instance's oldest undispatched event is the one after its dispatched position.
	err := s.pool.QueryRow(ctx, `select (select count(*) from webhook_deliveries where status = 'pending'),
		coalesce((select extract(epoch from now() - min(e.created_at))
			from event_heads h left join webhook_dispatched d on d.instance_id = h.instance_id
			join events e on e.instance_id = h.instance_id and e.position = coalesce(d.position, 0) + 1
			where h.position > coalesce(d.position, 0)), 0)`).Scan(&pending, &age)
	return pending, time.Duration(age * float64(time.Second)), wrap(err)
}

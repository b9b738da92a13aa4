-- Events: one row per change to a catalog resource, written in the change's transaction (the
-- catalog's change path), so an event exists if and only if its change committed. The feed and the
-- webhook dispatcher read them in (tx_id, seq) order and only below the oldest running
-- transaction (pg_snapshot_xmin), so an event that commits late never lands behind a cursor.
create table events (
    seq              bigint generated always as identity,
    tx_id            xid8 not null default pg_current_xact_id(),
    id               uuid not null,
    instance_id      uuid not null,
    type             text not null,          -- product.created, variant.updated, ...
    resource         text not null,          -- the resource's id (a locale's code)
    resource_version bigint not null,        -- 1 for the resource's first event, then +1
    data             jsonb not null,         -- the resource as the change's response showed it; for deletes its @id and @type
    created_at       timestamptz not null default now(),
    primary key (instance_id, tx_id, seq)
);
create unique index events_id on events (id);
create index events_order on events (tx_id, seq);
create index events_resource on events (instance_id, resource, resource_version);
create index events_created on events (created_at);

-- Webhook subscriptions of an instance. The secret signs deliveries (Standard Webhooks) and is
-- shown once, at creation.
create table webhook_subscriptions (
    instance_id     uuid not null,
    id              uuid not null,
    url             text not null,
    events          text[] not null,         -- event types, or '*'
    description     text,
    secret          text not null,           -- whsec_<base64>
    active          boolean not null default true,
    disabled_reason text,
    failing_since   timestamptz,             -- the first failure of the current run of failures
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    primary key (instance_id, id)
);
create index webhook_subscriptions_active on webhook_subscriptions (instance_id) where active;

-- One delivery of one event to one subscription, with its attempts (River runs them: a job per
-- delivery, queued by the dispatcher in the transaction that advances its cursor).
create table webhook_deliveries (
    instance_id     uuid not null,
    id              uuid not null,
    subscription_id uuid not null,
    event_id        uuid not null,
    status          text not null default 'pending', -- pending, succeeded, failed
    next_attempt_at timestamptz,
    created_at      timestamptz not null default now(),
    primary key (instance_id, id),
    foreign key (instance_id, subscription_id) references webhook_subscriptions on delete cascade
);
create index webhook_deliveries_subscription on webhook_deliveries (instance_id, subscription_id, created_at desc, id desc);
create index webhook_deliveries_created on webhook_deliveries (created_at);

create table webhook_attempts (
    instance_id      uuid not null,
    delivery_id      uuid not null,
    attempt          int not null,
    attempted_at     timestamptz not null,
    duration_ms      int not null,
    response_status  int,                    -- null when no response came (refused, timeout)
    error            text,                   -- why it failed, briefly
    response_excerpt text,                   -- the first bytes of the response body
    primary key (instance_id, delivery_id, attempt),
    foreign key (instance_id, delivery_id) references webhook_deliveries on delete cascade
);

-- The dispatcher's position in the events order: one row, locked by the replica dispatching.
create table webhook_dispatch (
    id    int primary key check (id = 1),
    tx_id xid8 not null,
    seq   bigint not null
);
insert into webhook_dispatch values (1, '0', 0);

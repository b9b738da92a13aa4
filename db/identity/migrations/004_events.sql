-- Organization events: each change to an organization's instances and members records one here in
-- the change's own transaction. The feed reads them in (tx_id, seq) order, only below the oldest
-- running transaction (pg_snapshot_xmin), so an event that commits late never lands behind a
-- cursor already handed out. Kept 30 days (a background task deletes older ones).
create table organization_events (
    seq             bigint generated always as identity,
    tx_id           xid8 not null default pg_current_xact_id(),
    id              uuid not null,
    organization_id uuid not null,             -- whose feed; no foreign key: the history outlives deletions
    type            text not null,
    subject_id      uuid not null,
    actor_id        uuid not null,
    data            jsonb not null,
    created_at      timestamptz not null default now(),
    primary key (organization_id, tx_id, seq)
);
create index organization_events_created on organization_events (created_at);

-- Credentials have a life: several named API clients per partner, a rolled secret that keeps
-- working for an overlap, revocation, partners an operator disables, and an audit trail.
alter table partners
    add column disabled_at     timestamptz,
    add column disabled_reason text;

alter table api_clients
    add column name                       text not null default 'Default',
    add column last_used_at               timestamptz,
    add column previous_secret_hash       text, -- the secret before the last rotation, while it still works
    add column previous_secret_expires_at timestamptz,
    add constraint api_clients_previous_secret check ((previous_secret_hash is null) = (previous_secret_expires_at is null));

-- Every credential change, who made it and when. Rows are never changed.
create table credential_events (
    id          uuid primary key,
    partner_id  uuid not null references partners (id) on delete cascade,
    client_id   text references api_clients (client_id) on delete cascade,
    type        text not null check (type in ('client.created', 'client.renamed', 'client.rotated',
                                               'client.revoked', 'partner.disabled', 'partner.enabled')),
    actor_type  text not null check (actor_type in ('partner', 'operator')),
    actor_id    uuid,
    detail      text,
    occurred_at timestamptz not null default now()
);
create index credential_events_partner on credential_events (partner_id, occurred_at desc, id desc);

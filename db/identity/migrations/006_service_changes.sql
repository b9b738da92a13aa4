-- Identity's changes for other services (issue 26): product-management follows them to drop
-- access it cached at once and to purge a deleted instance's catalog. One stream over every
-- organization, numbered 1, 2, 3, ... in commit order as the organizations' feeds are
-- (pkg/eventfeed): a change takes its numbers at its very end from the single head row and holds
-- its lock until it commits. Identity's writes are few (partners' organizations, instances,
-- members and credentials), so one head serialises little; a change's rows notify the listeners
-- of identity_service_changes (long polls wake at once).
create table service_change_head (
    single   boolean primary key default true check (single),
    position bigint not null
);
insert into service_change_head (position) values (0);

create table service_changes (
    position        bigint primary key,
    id              uuid not null,
    type            text not null,   -- instance.*, member.*, client.revoked, partner.disabled, partner.enabled
    organization_id uuid,            -- instance.* and member.*: the organization whose feed it is in
    subject_id      uuid not null,   -- the instance; the member; the client's partner; the partner
    client_id       text,            -- client.revoked
    data            jsonb not null,
    created_at      timestamptz not null default now()
);
create index service_changes_created on service_changes (created_at);

create function service_changes_notify() returns trigger language plpgsql as $$
begin
    perform pg_notify('identity_service_changes', '');
    return null;
end
$$;
create trigger service_changes_notify after insert on service_changes
    for each statement execute function service_changes_notify();

-- A client's scopes: what its tokens may do beyond a partner's API. identity:changes.read reads
-- the stream; only the operator CLI grants it (identity service create).
alter table api_clients add column scopes text[] not null default '{}';

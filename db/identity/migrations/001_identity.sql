-- Partners are OAuth 2.0 machine clients' owners; each has one or more API clients.
create table partners (
    id         uuid primary key,
    name       text not null,
    created_at timestamptz not null default now()
);

create table api_clients (
    client_id   text primary key,
    partner_id  uuid not null references partners (id) on delete cascade,
    secret_hash text not null, -- bcrypt; the secret itself is shown once and never stored
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);
create index api_clients_partner on api_clients (partner_id);

-- Token signing keys, shared by all replicas. A key is published from created_at, signs from
-- activates_at, stops signing at retires_at and is unpublished at expires_at (after its tokens expire).
create table signing_keys (
    kid          text primary key,
    algorithm    text not null,
    private_key  bytea not null, -- PKCS #8 DER
    created_at   timestamptz not null default now(),
    activates_at timestamptz not null,
    retires_at   timestamptz,
    expires_at   timestamptz
);

create table organizations (
    id                  uuid primary key,
    name                text not null,
    external_id         text,
    is_active           boolean not null default true,
    address             text,
    city                text,
    postal_code         text,
    country_code        char(2),
    email               text,
    phone               text,
    vat_number          text,
    website_url         text,
    bank_account_number text,
    bank_name           text,
    bank_iban           text,
    bank_swift          text,
    version             bigint not null default 1,
    created_at          timestamptz not null default now(),
    updated_at          timestamptz not null default now()
);

create table memberships (
    organization_id uuid not null references organizations (id) on delete cascade,
    partner_id      uuid not null references partners (id) on delete cascade,
    role            text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    primary key (organization_id, partner_id)
);
create index memberships_partner on memberships (partner_id, organization_id);

-- Every handle ever given out. Rows are never deleted, so a deleted instance's handle is never
-- reused: integrations treat the handle as a permanent identifier.
create table handles (
    handle      text primary key,
    instance_id uuid not null,
    reserved_at timestamptz not null default now()
);

create table instances (
    id                         uuid primary key,
    handle                     text not null unique references handles (handle),
    name                       text not null,
    organization_id            uuid not null references organizations (id) on delete restrict,
    created_by_organization_id uuid not null, -- no foreign key: it outlives the organization
    ownership_version          bigint not null default 1,
    version                    bigint not null default 1,
    created_at                 timestamptz not null default now(),
    updated_at                 timestamptz not null default now()
);
create index instances_organization on instances (organization_id, created_at);

-- The ownership history; kept after the instance is deleted.
create table instance_transfers (
    id                   uuid primary key,
    instance_id          uuid not null,
    from_organization_id uuid not null,
    to_organization_id   uuid not null,
    transferred_by       uuid not null,
    transferred_at       timestamptz not null default now(),
    ownership_version    bigint not null
);
create index instance_transfers_instance on instance_transfers (instance_id, transferred_at);

-- Every table is keyed by instance_id first, and every foreign key includes it, so the schema can be
-- distributed by tenant (Citus distribution column instance_id) without redesign, and no query can
-- join across tenants by accident. No sequences: ids are UUIDs made by the service.

-- Enabled locales of an instance. An instance without rows has the implicit default locale "en".
create table locales (
    instance_id uuid not null,
    code        text not null,
    is_default  boolean not null default false,
    created_at  timestamptz not null default now(),
    primary key (instance_id, code)
);
create unique index locales_one_default on locales (instance_id) where is_default;

create table products (
    instance_id uuid not null,
    id          uuid not null,
    status      text not null default 'draft' check (status in ('draft', 'active', 'archived')),
    vendor      text,
    tags        text[] not null default '{}',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id)
);
create index products_created on products (instance_id, created_at, id);
create index products_updated on products (instance_id, updated_at, id);
create index products_status on products (instance_id, status, created_at, id);
create index products_vendor on products (instance_id, vendor);
create index products_tags on products using gin (tags);

create table product_translations (
    instance_id uuid not null,
    product_id  uuid not null,
    locale      text not null,
    title       text,
    description text,
    primary key (instance_id, product_id, locale),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade
);

create table product_options (
    instance_id uuid not null,
    id          uuid not null,
    product_id  uuid not null,
    position    integer not null,
    primary key (instance_id, id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade
);
create index product_options_product on product_options (instance_id, product_id, position);

create table product_option_translations (
    instance_id uuid not null,
    option_id   uuid not null,
    locale      text not null,
    name        text,
    primary key (instance_id, option_id, locale),
    foreign key (instance_id, option_id) references product_options (instance_id, id) on delete cascade
);

create table option_values (
    instance_id uuid not null,
    id          uuid not null,
    option_id   uuid not null,
    product_id  uuid not null, -- denormalised so a product's values load in one indexed query
    position    integer not null,
    primary key (instance_id, id),
    foreign key (instance_id, option_id) references product_options (instance_id, id) on delete cascade
);
create index option_values_product on option_values (instance_id, product_id, option_id, position);

create table option_value_translations (
    instance_id uuid not null,
    value_id    uuid not null,
    locale      text not null,
    value       text,
    primary key (instance_id, value_id, locale),
    foreign key (instance_id, value_id) references option_values (instance_id, id) on delete cascade
);

create table variants (
    instance_id   uuid not null,
    id            uuid not null,
    product_id    uuid not null,
    sku           text not null,
    title         text,
    barcode       text,
    position      integer not null,
    -- the sorted ids of the variant's option values: two variants of a product never share it
    combination   text not null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (instance_id, id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade
);
create unique index variants_sku on variants (instance_id, sku);
create unique index variants_combination on variants (instance_id, product_id, combination);
create index variants_product on variants (instance_id, product_id, position, id);

create table variant_option_values (
    instance_id     uuid not null,
    variant_id      uuid not null,
    option_value_id uuid not null,
    product_id      uuid not null,
    primary key (instance_id, variant_id, option_value_id),
    foreign key (instance_id, variant_id) references variants (instance_id, id) on delete cascade,
    foreign key (instance_id, option_value_id) references option_values (instance_id, id) on delete cascade
);
create index variant_option_values_product on variant_option_values (instance_id, product_id);
create index variant_option_values_value on variant_option_values (instance_id, option_value_id);

-- Sales channels, their countries, product assignments and prices. Keys lead with instance_id as
-- everywhere else.
create table channels (
    instance_id uuid not null,
    id          uuid not null,
    code        text not null,
    name        text not null,
    currency    char(3) not null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id)
);
create unique index channels_code on channels (instance_id, code);

create table channel_countries (
    instance_id uuid not null,
    channel_id  uuid not null,
    country     char(2) not null,
    primary key (instance_id, channel_id, country),
    foreign key (instance_id, channel_id) references channels (instance_id, id) on delete cascade
);

-- A channel with products cannot be deleted (restrict): the 409 says which.
create table product_channels (
    instance_id uuid not null,
    product_id  uuid not null,
    channel_id  uuid not null,
    position    integer not null,
    primary key (instance_id, product_id, channel_id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade,
    foreign key (instance_id, channel_id) references channels (instance_id, id) on delete restrict
);
create index product_channels_channel on product_channels (instance_id, channel_id, product_id);

-- Price history. A price (id) has revisions; a revision is in force on [starts_at, ends_at).
-- Changing an amount ends the current revision at that moment and starts the next; ending a price
-- sets ends_at. Rows are never updated otherwise, nor deleted while the variant exists, so the
-- price in force at any past moment can be resolved.
create table prices (
    instance_id uuid not null,
    id          uuid not null,
    revision    bigint not null,
    variant_id  uuid not null,
    product_id  uuid not null,
    channel_id  uuid,
    country     char(2),
    currency    char(3) not null,
    amount      bigint not null check (amount >= 0),
    compare_at  bigint check (compare_at >= 0),
    dated       boolean not null,
    starts_at   timestamptz not null,
    ends_at     timestamptz,
    created_at  timestamptz not null default now(),
    primary key (instance_id, id, revision),
    foreign key (instance_id, variant_id) references variants (instance_id, id) on delete cascade,
    foreign key (instance_id, channel_id) references channels (instance_id, id) on delete restrict,
    check (ends_at is null or ends_at >= starts_at)
);
create index prices_variant on prices (instance_id, variant_id, starts_at);
create index prices_product on prices (instance_id, product_id);

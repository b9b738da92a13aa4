-- Metaobject definitions (typed field lists), metaobjects (values of a definition) and metafields
-- (typed values on products and variants, possibly referencing metaobjects).
create table metaobject_definitions (
    instance_id uuid not null,
    id          uuid not null,
    type        text not null,
    name        text,
    fields      jsonb not null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id)
);
create unique index metaobject_definitions_type on metaobject_definitions (instance_id, type);

create table metaobjects (
    instance_id   uuid not null,
    id            uuid not null,
    definition_id uuid not null,
    handle        text not null,
    fields        jsonb not null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    primary key (instance_id, id),
    foreign key (instance_id, definition_id) references metaobject_definitions (instance_id, id) on delete restrict
);
create unique index metaobjects_handle on metaobjects (instance_id, definition_id, handle);

create table metafields (
    instance_id uuid not null,
    id          uuid not null,
    product_id  uuid not null, -- the owner's product, so a product graph loads them in one query
    variant_id  uuid,          -- null when the owner is the product
    namespace   text not null,
    key         text not null,
    type        text not null,
    value       text not null,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade,
    foreign key (instance_id, variant_id) references variants (instance_id, id) on delete cascade
);
create unique index metafields_owner_key on metafields (instance_id, product_id, coalesce(variant_id, '00000000-0000-0000-0000-000000000000'::uuid), namespace, key);

-- References from reference-typed metafields: a referenced metaobject cannot be deleted (409).
create table metafield_references (
    instance_id   uuid not null,
    metafield_id  uuid not null,
    metaobject_id uuid not null,
    position      integer not null,
    primary key (instance_id, metafield_id, position),
    foreign key (instance_id, metafield_id) references metafields (instance_id, id) on delete cascade,
    foreign key (instance_id, metaobject_id) references metaobjects (instance_id, id) on delete restrict
);
create index metafield_references_metaobject on metafield_references (instance_id, metaobject_id);

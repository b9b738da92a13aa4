-- Collections: curated groups of products, in an order per collection.
create table collections (
    instance_id uuid not null,
    id          uuid not null,
    handle      text not null,
    description text,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id)
);
create unique index collections_handle on collections (instance_id, handle);

create table collection_translations (
    instance_id   uuid not null,
    collection_id uuid not null,
    locale        text not null,
    title         text,
    primary key (instance_id, collection_id, locale),
    foreign key (instance_id, collection_id) references collections (instance_id, id) on delete cascade
);

-- Deleting a collection removes its memberships, never its products.
create table product_collections (
    instance_id   uuid not null,
    product_id    uuid not null,
    collection_id uuid not null,
    position      integer not null,
    primary key (instance_id, product_id, collection_id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade,
    foreign key (instance_id, collection_id) references collections (instance_id, id) on delete cascade
);
create index product_collections_collection on product_collections (instance_id, collection_id, product_id);

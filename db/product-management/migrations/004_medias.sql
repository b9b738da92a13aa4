-- Medias (images and other files by URL) and their attachment to products, by position.
create table medias (
    instance_id uuid not null,
    id          uuid not null,
    type        text not null check (type in ('image', 'video', 'external_video', 'model_3d')),
    src         text not null,
    mime_type   text,
    width       integer,
    height      integer,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id)
);
create index medias_created on medias (instance_id, created_at desc, id);

create table media_translations (
    instance_id uuid not null,
    media_id    uuid not null,
    locale      text not null,
    alt         text,
    primary key (instance_id, media_id, locale),
    foreign key (instance_id, media_id) references medias (instance_id, id) on delete cascade
);

create table product_medias (
    instance_id uuid not null,
    product_id  uuid not null,
    media_id    uuid not null,
    position    integer not null,
    primary key (instance_id, product_id, media_id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade,
    foreign key (instance_id, media_id) references medias (instance_id, id) on delete cascade
);

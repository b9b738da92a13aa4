-- Attributes and categories. A category's attribute set is its own attributes plus its ancestors';
-- a product's attribute values must belong to its category's set. Anything still referenced cannot
-- be deleted (restrict): the API answers 409.
create table attributes (
    instance_id uuid not null,
    id          uuid not null,
    code        text not null,
    type        text not null check (type in ('text', 'textarea', 'number', 'boolean', 'date', 'select', 'multiselect', 'url')),
    options     text[] not null default '{}',
    required    boolean not null default false,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id)
);
create unique index attributes_code on attributes (instance_id, code);

create table attribute_translations (
    instance_id  uuid not null,
    attribute_id uuid not null,
    locale       text not null,
    name         text,
    primary key (instance_id, attribute_id, locale),
    foreign key (instance_id, attribute_id) references attributes (instance_id, id) on delete cascade
);

create table categories (
    instance_id uuid not null,
    id          uuid not null,
    handle      text not null,
    parent_id   uuid,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    primary key (instance_id, id),
    foreign key (instance_id, parent_id) references categories (instance_id, id) on delete restrict
);
create unique index categories_handle on categories (instance_id, handle);

create table category_translations (
    instance_id uuid not null,
    category_id uuid not null,
    locale      text not null,
    name        text,
    primary key (instance_id, category_id, locale),
    foreign key (instance_id, category_id) references categories (instance_id, id) on delete cascade
);

create table category_attributes (
    instance_id  uuid not null,
    category_id  uuid not null,
    attribute_id uuid not null,
    position     integer not null,
    primary key (instance_id, category_id, attribute_id),
    foreign key (instance_id, category_id) references categories (instance_id, id) on delete cascade,
    foreign key (instance_id, attribute_id) references attributes (instance_id, id) on delete restrict
);

alter table products add column category_id uuid;
alter table products add foreign key (instance_id, category_id) references categories (instance_id, id) on delete restrict;
create index products_category on products (instance_id, category_id);

create table product_attribute_values (
    instance_id  uuid not null,
    product_id   uuid not null,
    attribute_id uuid not null,
    position     integer not null,
    value        jsonb not null,
    primary key (instance_id, product_id, attribute_id),
    foreign key (instance_id, product_id) references products (instance_id, id) on delete cascade,
    foreign key (instance_id, attribute_id) references attributes (instance_id, id) on delete restrict
);
create index product_attribute_values_attribute on product_attribute_values (instance_id, attribute_id);

-- Partners' own identifiers (issue 23): products, categories, collections and attributes take an
-- optional key, unique per instance and resource type (PostgreSQL's regular expressions count to
-- 255 at most, so the length is checked apart). The unique indexes lead with instance_id,
-- as every index of a tenant table does (distribution by instance).
alter table products add column key text constraint products_key_format check (char_length(key) <= 256 and key ~ '^[A-Za-z0-9_.:-]+$');
alter table categories add column key text constraint categories_key_format check (char_length(key) <= 256 and key ~ '^[A-Za-z0-9_.:-]+$');
alter table collections add column key text constraint collections_key_format check (char_length(key) <= 256 and key ~ '^[A-Za-z0-9_.:-]+$');
alter table attributes add column key text constraint attributes_key_format check (char_length(key) <= 256 and key ~ '^[A-Za-z0-9_.:-]+$');
create unique index products_key on products (instance_id, key) where key is not null;
create unique index categories_key on categories (instance_id, key) where key is not null;
create unique index collections_key on collections (instance_id, key) where key is not null;
create unique index attributes_key on attributes (instance_id, key) where key is not null;

-- The document gains the product row's own columns in a wrapper rather than a copy of the graph's
-- body: a later column of products is one more pair here.
alter function product_document(uuid, uuid) rename to product_graph_document;
create function product_document(i uuid, pid uuid) returns jsonb language sql stable as $$
    select product_graph_document(i, pid) || jsonb_build_object('key', p.key)
    from products p where p.instance_id = i and p.id = pid
$$;
-- Every key is null now: the stored documents say so without being rebuilt.
update product_documents set doc = doc || '{"key": null}';

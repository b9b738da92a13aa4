-- Lists that stay fast as a catalog grows (BenchmarkListsAtScale: 200 against 200,200 products).
-- Substring title search (title=) is served by a trigram index (pg_trgm ships with the server;
-- three characters or more make a search selective enough to use it), and the vendor filter
-- walks its products in created order instead of sorting them all.
create extension if not exists pg_trgm;
create index product_translations_title_trgm on product_translations using gin (title gin_trgm_ops);
create index products_vendor_created on products (instance_id, vendor, created_at, id);
drop index products_vendor;

-- order[title] walks titles in order instead of sorting every product's: the read locale's
-- titles and its fallback's are two walks of this index, merged (see ListProductIDs).
create index if not exists product_translations_title_order on product_translations (instance_id, locale, lower(title), product_id)
	where title is not null;

-- The trigram index on titles leads with the instance (btree_gin, a trusted extension shipped with
-- the server like pg_trgm): a search in a small catalog no longer reads the matches of a large one.
create extension if not exists btree_gin;
create index if not exists product_translations_instance_title_trgm on product_translations using gin (instance_id, title gin_trgm_ops);
drop index if exists product_translations_title_trgm;

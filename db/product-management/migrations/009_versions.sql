-- Versions for optimistic concurrency: every write to a product's graph (its fields, lists,
-- options, values or variants) bumps the product's; every write to a variant bumps the variant's.
-- They travel as ETags and are checked against If-Match.
alter table products add column version bigint not null default 1;
alter table variants add column version bigint not null default 1;

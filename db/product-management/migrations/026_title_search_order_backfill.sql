-- The creation time of the translations written before 025 (its own transaction: 025's lock on the
-- table is not held meanwhile, and reads go on). On a catalog of millions of translations, run
-- this in batches by hand before rolling out; the migration then finds nothing to fill.
update product_translations t set product_created_at = p.created_at
    from products p
    where p.instance_id = t.instance_id and p.id = t.product_id and t.product_created_at is null;

-- Options and values change after a product is created.
--
-- A value a variant uses must not vanish from under it: the reference is checked at the end of
-- the statement ("no action"), so deleting a whole product (variants and options cascade together)
-- still works, while deleting a value in use fails (the API answers 409 before that).
alter table variant_option_values drop constraint variant_option_values_instance_id_option_value_id_fkey;
alter table variant_option_values add constraint variant_option_values_value
    foreign key (instance_id, option_value_id) references option_values (instance_id, id);

-- A variant's combination key is its value ids in byte order (it was in option order, which
-- changes when options move): recompute it for the variants written so far.
update variants v set combination = coalesce((
    select string_agg(x.option_value_id::text, ',' order by x.option_value_id::text collate "C")
    from variant_option_values x where x.instance_id = v.instance_id and x.variant_id = v.id), '');

-- The large values the catalog writes on every change (events' data, products' documents) and in
-- bulk (import lines, export files) are compressed with lz4 rather than pglz (issue 23): measured
-- on 5,000 product.created events of the import bench (11.7 kB of JSON each), inserting them took
-- 126 µs an event with pglz and 65 µs with lz4, documents (6.3 kB) 99 and 61 µs, for sizes within
-- 10 % of each other; reads decompress faster too. Only new values use it (no table is
-- rewritten). A server built without lz4 keeps pglz: the statements fail as a whole and change
-- nothing.
do $$
begin
    alter table events alter column data set compression lz4;
    alter table product_documents alter column doc set compression lz4;
    alter table import_lines alter column body set compression lz4;
    alter table export_chunks alter column body set compression lz4;
exception when feature_not_supported then
    raise notice 'this server has no lz4: large values stay compressed with pglz';
end
$$;

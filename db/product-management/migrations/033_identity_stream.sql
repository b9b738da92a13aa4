-- Identity's changes reach product-management (issue 26). One follower per deployment reads
-- identity's change stream and keeps its position here, written in the transaction of what it did
-- with each change, so a crash neither skips nor redoes one.
create table identity_stream (
    single     boolean primary key default true check (single),
    position   bigint not null,        -- the last change handled
    updated_at timestamptz not null,   -- when the follower last read the stream to its head
    head       bigint not null default 0 -- identity's newest position then
);

-- A deleted instance's catalog is purged, in batches; the record of it stays (no instance_id
-- column: the purge looks for every table with one, and this one must survive it).
create table instance_purges (
    purged_instance uuid primary key,
    requested_at    timestamptz not null default now(),
    completed_at    timestamptz,
    rows_deleted    jsonb not null default '{}' -- table -> rows
);

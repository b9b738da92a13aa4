-- Bulk exports and imports of an instance's catalog (NDJSON, issue 23), run as River jobs.

-- An export: the products a filter selects, read in one snapshot together with the instance's
-- feed position in that snapshot (events_position): the feed after it holds exactly the changes
-- the export does not.
create table exports (
    instance_id     uuid not null,
    id              uuid not null,
    status          text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed')),
    filters         jsonb not null,          -- the product list's filters, as the request gave them
    locale          text not null,           -- the texts' locale
    products        integer not null default 0,
    events_position bigint,                  -- set with the snapshot
    error           text,
    created_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz,
    expires_at      timestamptz not null,    -- the download is kept until then
    primary key (instance_id, id)
);
create index exports_created on exports (instance_id, created_at desc, id);
create index exports_expiry on exports (expires_at);

-- The export's NDJSON in chunks of whole lines, in order.
create table export_chunks (
    instance_id uuid not null,
    export_id   uuid not null,
    chunk       integer not null,
    body        bytea not null,
    primary key (instance_id, export_id, chunk),
    foreign key (instance_id, export_id) references exports (instance_id, id) on delete cascade
);

-- An import: NDJSON lines stored as they arrive, applied in batches (each batch's changes, events,
-- results and progress in one transaction, so a killed process resumes at the next line).
create table imports (
    instance_id      uuid not null,
    id               uuid not null,
    status           text not null default 'queued' check (status in ('queued', 'running', 'completed', 'failed', 'canceled')),
    locale           text not null,
    lines            integer not null default 0,
    processed        integer not null default 0,
    created          integer not null default 0,
    updated          integer not null default 0,
    unchanged        integer not null default 0,
    rejected         integer not null default 0,
    cancel_requested boolean not null default false,
    error            text,
    created_at       timestamptz not null default now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    expires_at       timestamptz not null,   -- lines and results are kept until then
    primary key (instance_id, id)
);
create index imports_created on imports (instance_id, created_at desc, id);
create index imports_running on imports (instance_id) where status = 'running';
create index imports_expiry on imports (expires_at);

-- One line of an import: its text until applied, then its result.
create table import_lines (
    instance_id uuid not null,
    import_id   uuid not null,
    line        integer not null,            -- 1-based, in input order
    body        text,                        -- the line; null once applied, or when it could not be stored (error says why)
    key         text,
    status      smallint,                    -- 201, 200, 400, 409, 422 once applied
    unchanged   boolean not null default false, -- a 200 that wrote nothing
    product_id  uuid,
    error       jsonb,                       -- the problem of a rejected line (detail, violations)
    primary key (instance_id, import_id, line),
    foreign key (instance_id, import_id) references imports (instance_id, id) on delete cascade
);

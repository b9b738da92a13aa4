-- Outcomes of POST requests sent with an Idempotency-Key (package pkg/idempotency): a retry with
-- the same key and request answers the kept outcome. scope is whose keys they are (a partner, or a
-- partner on an instance); a row without status is a first request still running (until
-- locked_until); rows are deleted after expires_at by a background task.
create table idempotency_keys (
    scope        text not null,
    key          text not null,
    fingerprint  bytea not null, -- sha256 of method, path and body
    locked_until timestamptz,
    status       int,
    outcome      jsonb,          -- status and the headers kept
    body         bytea,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    primary key (scope, key)
);
create index idempotency_keys_expiry on idempotency_keys (expires_at);

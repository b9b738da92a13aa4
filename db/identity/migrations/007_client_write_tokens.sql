-- Read replicas keep read-your-writes (pkg/readreplicas): each API client's last write, as the
-- primary's WAL position after its commit, written by the statement that takes the write's
-- consistency token; a read without a token looks its client's up here on the primary, so a
-- write answered by any replica of the service is seen by the client's next read on any other.
-- Unlogged: no WAL, no wait for a synchronous standby on every write. It is emptied by a crash
-- or a failover: for REPLICA_MAX_LAG after one, a client's reads without a token may miss its
-- writes of the moments before (the README says so).
create unlogged table client_write_tokens (
    client_id  text primary key,
    token      pg_lsn not null,
    written_at timestamptz not null
);

package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// notDistributed are the tables without an instance_id, each with how Citus would hold it; any
// other table must be a tenant table distributed by instance_id. deploy/README.md ("Distributing by
// instance") gives the calls.
var notDistributed = map[string]string{
	// A keyed request's outcome commits in the transaction of its effect; its key is (scope, key)
	// with the instance inside scope, so it stays on the coordinator as a citus local table (a
	// transaction may write it and one tenant's shards).
	"idempotency_keys": "local",
	"identity_stream":  "local", // the follower's single position
	"instance_purges":  "local", // one row per deleted instance, written by the follower and the purge job
	"schema_version":   "local", // tern's
	// API clients' last writes (read replicas' stickiness, migration 035), read and written on the
	// coordinator by the statements around a request, never joined with tenant tables.
	"client_write_tokens": "local",
	// The emptied single dispatch cursor, kept for the previous version's backlog metric during a
	// rollout (migration 034); dropped by a later migration.
	"webhook_dispatch": "local",
	// River's queue: jobs of every instance, locked and polled with FOR UPDATE SKIP LOCKED across
	// tenants, which Citus allows only on one node: the coordinator keeps them.
	"river_job": "local", "river_leader": "local", "river_migration": "local", "river_notification": "local", "river_queue": "local",
}

// legacyXids are stored transaction ids Citus would make meaningless (they are node-local), kept
// only to read what was written before the feeds were numbered; a later migration drops them.
var legacyXids = map[string]string{
	// Compared only with cursors handed out before the feed was numbered (migration 027), never with
	// a live transaction id: those cursors end with the events they point at (EVENT_RETENTION, 30
	// days: after January 2027).
	"events.tx_id":           "cursors of the feed before migration 027",
	"webhook_dispatch.tx_id": "the emptied single dispatch cursor (see notDistributed)",
}

// allowedTriggers may stay on distributed tables (citus.enable_unsafe_triggers); each touches only
// the row it fires for. None today.
var allowedTriggers = map[string]string{}

// Nothing in product-management's schema would stop Citus from distributing every tenant table by
// instance_id: each has a primary key, and every unique constraint, that includes instance_id;
// foreign keys between tenant tables join on instance_id too and neither set null nor default;
// no stored transaction id or snapshot outside the listed legacy ones; no trigger outside the
// allow-list; identity columns and sequences are bigint. Tables without instance_id are named in
// notDistributed.
func TestSchemaIsReadyForCitus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t, pmdb.Migrations())
	query := func(sql string, args ...any) [][]string {
		t.Helper()
		rows, err := pool.Query(ctx, sql, args...)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([]string, error) {
			vals, err := r.Values()
			s := make([]string, len(vals))
			for i, v := range vals {
				s[i] = fmt.Sprint(v)
			}
			return s, err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	var tenant []string
	for _, r := range query(`select c.relname, exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'instance_id' and not a.attisdropped)
		from pg_class c where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') order by 1`) {
		switch {
		case r[1] == "true":
			tenant = append(tenant, r[0])
		case notDistributed[r[0]] == "":
			t.Errorf("table %s has no instance_id and is not listed in notDistributed (Citus could not distribute it by instance)", r[0])
		}
	}
	if len(tenant) < 20 {
		t.Fatalf("only %d tenant tables found: %v", len(tenant), tenant)
	}
	isTenant := func(table string) bool { return slices.Contains(tenant, table) }

	// Primary keys and unique constraints or indexes: the distribution column in each.
	for _, table := range tenant {
		if rows := query(`select 1 from pg_index i where i.indrelid = $1::regclass and i.indisprimary`, table); len(rows) == 0 {
			t.Errorf("tenant table %s has no primary key", table)
		}
	}
	for _, r := range query(`select i.indexrelid::regclass::text, i.indrelid::regclass::text,
			exists (select 1 from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k where a.attname = 'instance_id')
		from pg_index i join pg_class c on c.oid = i.indrelid
		where c.relnamespace = current_schema()::regnamespace and i.indisunique`) {
		if isTenant(r[1]) && r[2] != "true" {
			t.Errorf("unique index %s of %s lacks instance_id", r[0], r[1])
		}
	}

	// Foreign keys between tenant tables: instance_id to instance_id, no SET NULL / SET DEFAULT.
	for _, r := range query(`select c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text, c.confdeltype::text, c.confupdtype::text,
			exists (select 1 from unnest(c.conkey, c.confkey) as k(own, other)
				join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.own
				join pg_attribute b on b.attrelid = c.confrelid and b.attnum = k.other
				where a.attname = 'instance_id' and b.attname = 'instance_id')
		from pg_constraint c where c.contype = 'f' and c.connamespace = current_schema()::regnamespace`) {
		name, from, to, onDelete, onUpdate, joined := r[0], r[1], r[2], r[3], r[4], r[5] == "true"
		switch {
		case isTenant(from) && isTenant(to) && !joined:
			t.Errorf("foreign key %s (%s -> %s) does not join on instance_id", name, from, to)
		case isTenant(from) && isTenant(to) && (strings.ContainsAny(onDelete, "nd") || strings.ContainsAny(onUpdate, "nd")):
			t.Errorf("foreign key %s (%s -> %s) sets null or default, which Citus refuses with the distribution column in the key", name, from, to)
		case isTenant(to) && !isTenant(from):
			t.Errorf("foreign key %s points from %s (not distributed) into tenant table %s", name, from, to)
		}
	}

	// Stored transaction ids and snapshots: node-local under Citus.
	for _, r := range query(`select c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute a
		join pg_class c on c.oid = a.attrelid
		where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
			and a.atttypid in ('xid'::regtype, 'xid8'::regtype, 'txid_snapshot'::regtype, 'pg_snapshot'::regtype)`) {
		if legacyXids[r[0]] == "" && !strings.HasPrefix(r[0], "river_") {
			t.Errorf("%s stores a %s, which means nothing across Citus nodes", r[0], r[1])
		}
	}

	// Triggers on tenant tables.
	for _, r := range query(`select g.tgrelid::regclass::text, g.tgname from pg_trigger g join pg_class c on c.oid = g.tgrelid
		where c.relnamespace = current_schema()::regnamespace and not g.tgisinternal`) {
		if isTenant(r[0]) && allowedTriggers[r[0]+"."+r[1]] == "" {
			t.Errorf("trigger %s on %s: distributing the table needs citus.enable_unsafe_triggers and a trigger that touches only its row", r[1], r[0])
		}
	}

	// Sequences, and identity columns, are bigint (Citus puts the node in their high bits).
	for _, r := range query(`select s.seqrelid::regclass::text, format_type(s.seqtypid, null) from pg_sequence s
		join pg_class c on c.oid = s.seqrelid where c.relnamespace = current_schema()::regnamespace`) {
		if r[1] != "bigint" && !strings.HasPrefix(r[0], "river_") {
			t.Errorf("sequence %s is %s, not bigint", r[0], r[1])
		}
	}
	t.Logf("%d tenant tables, %d not distributed", len(tenant), len(notDistributed))
}

package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/failpoint"
)

// purgeBatch is how many rows one purge statement deletes: each runs in a short transaction of its
// own, so a purge never holds a long one (the feed's rule) however large the catalog.
const purgeBatch = 1000

// Purge is a purged instance's record (instance_purges).
type Purge struct {
	Instance    uuid.UUID        `json:"instance"`
	RequestedAt time.Time        `json:"requested_at"`
	CompletedAt *time.Time       `json:"completed_at"`
	Rows        map[string]int64 `json:"rows_deleted"` // table -> rows deleted
}

// RequestPurge records that instance is to be purged (once) and stops its webhooks at once: its
// subscriptions are deactivated in tx, so nothing is delivered after the deletion, however long
// the purge then takes.
func RequestPurge(ctx context.Context, tx pgx.Tx, instance uuid.UUID) error {
	if _, err := tx.Exec(ctx, `insert into instance_purges (purged_instance) values ($1) on conflict do nothing`, instance); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `update webhook_subscriptions set active = false, disabled_reason = 'instance deleted'
		where instance_id = $1 and active`, instance)
	return err
}

// PurgeInstance deletes every row of instance from every table with an instance_id column (found
// in the catalog, so a table added later is purged too), webhook subscriptions first, then the
// others children before parents, purgeBatch rows per transaction, until nothing is left (then it
// records what it deleted in instance_purges and reports done) or until is past (the zero time:
// no bound). It can run again after a crash or a stop: it goes on where it stopped.
func (s *Store) PurgeInstance(ctx context.Context, instance uuid.UUID, until time.Time) (p Purge, done bool, err error) {
	if _, err := s.pool.Exec(ctx, `insert into instance_purges (purged_instance) values ($1) on conflict do nothing`, instance); err != nil {
		return Purge{}, false, wrap(err)
	}
	tables, err := s.purgeOrder(ctx)
	if err != nil {
		return Purge{}, false, err
	}
	counts := map[string]int64{}
	// A table that references itself (categories' parents, on delete restrict) would refuse a
	// batch holding a parent whose child is in a later one: its references are cleared first.
	selfRefs, err := s.selfReferences(ctx)
	if err != nil {
		return Purge{}, false, err
	}
	for table, columns := range selfRefs {
		sets := make([]string, len(columns))
		for i, c := range columns {
			sets[i] = pgx.Identifier{c}.Sanitize() + " = null"
		}
		for {
			tag, err := s.pool.Exec(ctx, fmt.Sprintf(`update %[1]s set %[2]s where ctid = any(array(
				select ctid from %[1]s where instance_id = $1 and (%[3]s) limit %[4]d))`, pgx.Identifier{table}.Sanitize(), strings.Join(sets, ", "),
				strings.Join(notNull(columns), " or "), purgeBatch), instance)
			if err != nil {
				return Purge{}, false, wrap(err)
			}
			if tag.RowsAffected() == 0 {
				break
			}
		}
	}
	// Passes until one deletes nothing: a job still writing for the instance (an import's batch
	// in flight as the purge began) cannot leave rows behind a table already passed.
	for pass, deleted := 0, int64(1); deleted > 0 && pass < 3; pass++ {
		deleted = 0
		for _, table := range tables {
			for {
				tag, err := s.pool.Exec(ctx, fmt.Sprintf(`delete from %s where ctid = any(array(
				select ctid from %[1]s where instance_id = $1 limit %d))`, pgx.Identifier{table}.Sanitize(), purgeBatch), instance)
				if err != nil {
					return Purge{}, false, wrap(err)
				}
				if tag.RowsAffected() == 0 {
					break
				}
				counts[table] += tag.RowsAffected()
				deleted += tag.RowsAffected()
				failpoint.Hit("purge/batch")
				if !until.IsZero() && time.Now().After(until) {
					return Purge{Instance: instance, Rows: counts}, false, s.addPurged(ctx, instance, counts, false)
				}
			}
		}
	}
	if err := s.addPurged(ctx, instance, counts, true); err != nil {
		return Purge{}, false, err
	}
	p, err = s.InstancePurge(ctx, instance)
	return p, err == nil, err
}

// addPurged adds counts to the purge's record, and marks it completed when done. A run after a
// crash adds to what the runs before it recorded (a crashed run's last counts are lost: the
// numbers are approximate then, the emptiness is not).
func (s *Store) addPurged(ctx context.Context, instance uuid.UUID, counts map[string]int64, done bool) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		var p Purge
		var rows []byte
		if err := tx.QueryRow(ctx, `select requested_at, completed_at, rows_deleted from instance_purges where purged_instance = $1 for update`,
			instance).Scan(&p.RequestedAt, &p.CompletedAt, &rows); err != nil {
			return err
		}
		if err := json.Unmarshal(rows, &p.Rows); err != nil {
			return err
		}
		for t, n := range counts {
			p.Rows[t] += n
		}
		if p.CompletedAt == nil && done {
			now := time.Now().UTC()
			p.CompletedAt = &now
		}
		_, err := tx.Exec(ctx, `update instance_purges set completed_at = $2, rows_deleted = $3 where purged_instance = $1`, instance, p.CompletedAt, p.Rows)
		return err
	}))
}

// InstancePurge reads a purge's record.
func (s *Store) InstancePurge(ctx context.Context, instance uuid.UUID) (Purge, error) {
	p := Purge{Instance: instance}
	var rows []byte
	err := s.pool.QueryRow(ctx, `select requested_at, completed_at, rows_deleted from instance_purges where purged_instance = $1`, instance).
		Scan(&p.RequestedAt, &p.CompletedAt, &rows)
	if err != nil {
		return Purge{}, notFound(err, "purge")
	}
	p.RequestedAt = p.RequestedAt.UTC()
	return p, wrap(json.Unmarshal(rows, &p.Rows))
}

// selfReferences lists, per tenant table, the columns of its foreign keys to itself other than
// instance_id (nullable ones: a self-reference is optional by nature).
func (s *Store) selfReferences(ctx context.Context) (map[string][]string, error) {
	rows, err := s.pool.Query(ctx, `select c.conrelid::regclass::text, a.attname from pg_constraint c
		cross join unnest(c.conkey) as k(n) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n
		where c.contype = 'f' and c.conrelid = c.confrelid and c.connamespace = current_schema()::regnamespace
			and a.attname <> 'instance_id' and not a.attnotnull`)
	if err != nil {
		return nil, wrap(err)
	}
	out := map[string][]string{}
	var table, column string
	_, err = pgx.ForEachRow(rows, []any{&table, &column}, func() error {
		if !slices.Contains(out[table], column) {
			out[table] = append(out[table], column)
		}
		return nil
	})
	return out, wrap(err)
}

func notNull(columns []string) []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = pgx.Identifier{c}.Sanitize() + " is not null"
	}
	return out
}

// purgeOrder lists the tables with an instance_id column: webhook subscriptions first, then every
// table before the tables it references (a child before its parent), so no batch waits on a
// cascade through a large table.
func (s *Store) purgeOrder(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `select c.table_name from information_schema.columns c
		join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
		where c.table_schema = current_schema() and c.column_name = 'instance_id' order by c.table_name`)
	if err != nil {
		return nil, wrap(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, wrap(err)
	}
	rows, err = s.pool.Query(ctx, `select distinct c.conrelid::regclass::text, c.confrelid::regclass::text from pg_constraint c
		where c.contype = 'f' and c.connamespace = current_schema()::regnamespace and c.conrelid <> c.confrelid`)
	if err != nil {
		return nil, wrap(err)
	}
	refs := map[string][]string{} // table -> the tables referencing it
	var child, parent string
	if _, err := pgx.ForEachRow(rows, []any{&child, &parent}, func() error {
		refs[parent] = append(refs[parent], child)
		return nil
	}); err != nil {
		return nil, wrap(err)
	}
	// Depth-first: a table's children (the tables referencing it) come out before it.
	var order []string
	state := map[string]int{} // 1: visiting, 2: done
	var visit func(t string) error
	visit = func(t string) error {
		switch state[t] {
		case 1:
			return errors.New("postgres: foreign keys between tenant tables form a cycle at " + t)
		case 2:
			return nil
		}
		state[t] = 1
		for _, c := range refs[t] {
			if slices.Contains(tables, c) {
				if err := visit(c); err != nil {
					return err
				}
			}
		}
		state[t] = 2
		order = append(order, t)
		return nil
	}
	order = append(order, "webhook_attempts", "webhook_deliveries", "webhook_subscriptions")
	for _, t := range order {
		state[t] = 2
	}
	for _, t := range tables {
		if err := visit(t); err != nil {
			return nil, err
		}
	}
	return slices.DeleteFunc(order, func(t string) bool { return !slices.Contains(tables, t) }), nil
}

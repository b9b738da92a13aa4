package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/services/product-management/internal/bulk"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

const exportColumns = `id, status, filters, locale, products, events_position, error, created_at, started_at, finished_at, expires_at`

func scanExport(r pgx.Row, extra ...any) (bulk.Export, error) {
	var e bulk.Export
	var filters []byte
	var position *int64
	err := r.Scan(append([]any{&e.ID, &e.Status, &filters, &e.Locale, &e.Products, &position, &e.Error, &e.CreatedAt, &e.StartedAt,
		&e.FinishedAt, &e.ExpiresAt}, extra...)...)
	if err != nil {
		return e, err
	}
	if position != nil {
		e.EventsPosition = &catalog.EventPosition{N: *position}
	}
	return e, json.Unmarshal(filters, &e.Filters)
}

func (s *Store) CreateExport(ctx context.Context, instance uuid.UUID, e bulk.Export) error {
	filters, err := json.Marshal(e.Filters)
	if err != nil {
		return err
	}
	_, err = s.db(ctx).Exec(ctx, `insert into exports (instance_id, id, status, filters, locale, created_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7)`,
		instance, e.ID, e.Status, filters, e.Locale, e.CreatedAt, e.ExpiresAt)
	return wrap(err)
}

func (s *Store) Export(ctx context.Context, instance, id uuid.UUID) (bulk.Export, error) {
	e, err := scanExport(s.db(ctx).QueryRow(ctx, `select `+exportColumns+` from exports where instance_id = $1 and id = $2 and expires_at > now()`, instance, id))
	return e, notFound(err, "export")
}

func (s *Store) Exports(ctx context.Context, instance uuid.UUID, page, perPage int) ([]bulk.Export, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+exportColumns+`, count(*) over () from exports where instance_id = $1 and expires_at > now()
		order by created_at desc, id desc limit $2 offset $3`, instance, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulk.Export, error) { return scanExport(r, &total) })
	return list, total, wrap(err)
}

func (s *Store) StartExport(ctx context.Context, instance, id uuid.UUID) (bulk.Export, error) {
	e, err := scanExport(s.pool.QueryRow(ctx, `update exports set status = case when status = 'queued' then 'running' else status end,
			started_at = coalesce(started_at, now())
		where instance_id = $1 and id = $2 returning `+exportColumns, instance, id))
	return e, notFound(err, "export")
}

func (s *Store) LockExport(ctx context.Context, instance, id uuid.UUID) (bool, error) {
	_, err := s.db(ctx).Exec(ctx, `select 1 from exports where instance_id = $1 and id = $2 for update nowait`, instance, id)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
		return false, nil
	}
	return err == nil, wrap(err)
}

func (s *Store) FeedPosition(ctx context.Context, instance uuid.UUID) (catalog.EventPosition, error) {
	var n int64
	err := s.db(ctx).QueryRow(ctx, `select coalesce((select position from event_heads where instance_id = $1), 0)`, instance).Scan(&n)
	return catalog.EventPosition{N: n}, wrap(err)
}

func (s *Store) AddExportChunk(ctx context.Context, instance, id uuid.UUID, n int, body []byte) error {
	_, err := s.db(ctx).Exec(ctx, `insert into export_chunks (instance_id, export_id, chunk, body) values ($1, $2, $3, $4)`, instance, id, n, body)
	return wrap(err)
}

func (s *Store) FinishExport(ctx context.Context, instance, id uuid.UUID, products int, at catalog.EventPosition) error {
	_, err := s.db(ctx).Exec(ctx, `update exports set status = 'completed', products = $3, events_position = $4, finished_at = clock_timestamp()
		where instance_id = $1 and id = $2`, instance, id, products, at.N)
	return wrap(err)
}

func (s *Store) FailExport(ctx context.Context, instance, id uuid.UUID, reason string) error {
	_, err := s.pool.Exec(ctx, `update exports set status = 'failed', error = $3, finished_at = now()
		where instance_id = $1 and id = $2 and status <> 'completed'`, instance, id, reason)
	return wrap(err)
}

func (s *Store) ExportChunk(ctx context.Context, instance, id uuid.UUID, n int) ([]byte, bool, error) {
	var body []byte
	err := s.db(ctx).QueryRow(ctx, `select body from export_chunks where instance_id = $1 and export_id = $2 and chunk = $3`, instance, id, n).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	return body, err == nil, wrap(err)
}

// ExpireBulk removes expired exports and imports (their chunks and lines by cascade), a bounded
// number at a time so no statement runs long.
func (s *Store) ExpireBulk(ctx context.Context) (int64, error) {
	var total int64
	for _, table := range []string{"exports", "imports"} {
		tag, err := s.pool.Exec(ctx, `delete from `+table+` where (instance_id, id) in (select instance_id, id from `+table+`
			where expires_at <= now() limit 100)`)
		if err != nil {
			return total, wrap(err)
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

var _ bulk.Store = (*Store)(nil)

const importColumns = `id, status, locale, lines, processed, created, updated, unchanged, rejected, cancel_requested, error,
	created_at, started_at, finished_at, expires_at`

func scanImport(r pgx.Row, extra ...any) (bulk.Import, error) {
	var im bulk.Import
	err := r.Scan(append([]any{&im.ID, &im.Status, &im.Locale, &im.Lines, &im.Processed, &im.Created, &im.Updated, &im.Unchanged, &im.Rejected,
		&im.CancelRequested, &im.Error, &im.CreatedAt, &im.StartedAt, &im.FinishedAt, &im.ExpiresAt}, extra...)...)
	return im, err
}

func (s *Store) CreateImport(ctx context.Context, instance uuid.UUID, im bulk.Import) error {
	_, err := s.db(ctx).Exec(ctx, `insert into imports (instance_id, id, status, locale, created_at, expires_at) values ($1, $2, $3, $4, $5, $6)`,
		instance, im.ID, im.Status, im.Locale, im.CreatedAt, im.ExpiresAt)
	return wrap(err)
}

// StoreLines copies lines in (the COPY protocol: an upload's lines cost no statement each).
func (s *Store) StoreLines(ctx context.Context, instance, id uuid.UUID, lines []bulk.Line) error {
	if len(lines) == 0 {
		return nil
	}
	tx, ok := pgtx.In(ctx)
	if !ok {
		return errors.New("postgres: lines are stored in the upload's transaction")
	}
	rows := make([][]any, len(lines))
	for i, l := range lines {
		var body *string
		var problem []byte
		if l.Problem != nil {
			var err error
			if problem, err = json.Marshal(l.Problem); err != nil {
				return err
			}
		} else {
			b := string(l.Body)
			body = &b
		}
		rows[i] = []any{instance, id, int32(l.N), body, problem}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"import_lines"}, []string{"instance_id", "import_id", "line", "body", "error"}, pgx.CopyFromRows(rows))
	return wrap(err)
}

func (s *Store) SetImportLines(ctx context.Context, instance, id uuid.UUID, lines int) error {
	_, err := s.db(ctx).Exec(ctx, `update imports set lines = $3 where instance_id = $1 and id = $2`, instance, id, lines)
	return wrap(err)
}

func (s *Store) Import(ctx context.Context, instance, id uuid.UUID) (bulk.Import, error) {
	im, err := scanImport(s.db(ctx).QueryRow(ctx, `select `+importColumns+` from imports where instance_id = $1 and id = $2 and expires_at > now()`, instance, id))
	return im, notFound(err, "import")
}

func (s *Store) Imports(ctx context.Context, instance uuid.UUID, page, perPage int) ([]bulk.Import, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+importColumns+`, count(*) over () from imports where instance_id = $1 and expires_at > now()
		order by created_at desc, id desc limit $2 offset $3`, instance, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulk.Import, error) { return scanImport(r, &total) })
	return list, total, wrap(err)
}

func (s *Store) LockImport(ctx context.Context, instance, id uuid.UUID) (bulk.Import, error) {
	im, err := scanImport(s.db(ctx).QueryRow(ctx, `select `+importColumns+` from imports where instance_id = $1 and id = $2 for update`, instance, id))
	return im, notFound(err, "import")
}

// StartImport takes one of the instance's running slots under a lock of the instance's imports,
// so two imports starting at once cannot both take the last one.
func (s *Store) StartImport(ctx context.Context, instance, id uuid.UUID, limit int) (bool, error) {
	var started bool
	b := &pgx.Batch{}
	b.Queue(`select pg_advisory_xact_lock(hashtext('imports:' || $1::text))`, instance)
	b.Queue(`with running as (select count(*) as n from imports where instance_id = $1 and status = 'running')
		update imports set status = 'running', started_at = now() where instance_id = $1 and id = $2 and status = 'queued'
			and (select n from running) < $3
		returning true`, instance, id, limit).QueryRow(func(r pgx.Row) error {
		err := r.Scan(&started)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return started, wrap(s.db(ctx).SendBatch(ctx, b).Close())
}

func (s *Store) PendingLines(ctx context.Context, instance, id uuid.UUID, after, n int) ([]bulk.Line, error) {
	rows, err := s.db(ctx).Query(ctx, `select line, body, error from import_lines where instance_id = $1 and import_id = $2 and line > $3
		order by line limit $4`, instance, id, after, n)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulk.Line, error) {
		var l bulk.Line
		var body *string
		var problem []byte
		if err := r.Scan(&l.N, &body, &problem); err != nil {
			return l, err
		}
		if body != nil {
			l.Body = []byte(*body)
		}
		if problem != nil {
			l.Problem = &bulk.LineProblem{}
			if err := json.Unmarshal(problem, l.Problem); err != nil {
				return l, err
			}
		} else if body == nil {
			l.Problem = &bulk.LineProblem{Detail: "the line was not kept"}
		}
		return l, nil
	})
	return list, wrap(err)
}

// RecordResults writes a batch's results over its lines (their text is dropped: the results are
// what is kept) and the import's progress, in one round trip.
func (s *Store) RecordResults(ctx context.Context, instance, id uuid.UUID, results []bulk.Result, im bulk.Import) error {
	b := &pgx.Batch{}
	if len(results) > 0 {
		n := len(results)
		lines, statuses, unchanged := make([]int32, n), make([]int16, n), make([]bool, n)
		keys, products, problems := make([]*string, n), make([]*uuid.UUID, n), make([]*string, n)
		for i, r := range results {
			lines[i], statuses[i], keys[i], unchanged[i] = int32(r.N), int16(r.Status), r.Key, r.Unchanged
			if r.Product != uuid.Nil {
				p := r.Product
				products[i] = &p
			}
			if r.Problem != nil {
				raw, err := json.Marshal(r.Problem)
				if err != nil {
					return err
				}
				t := string(raw)
				problems[i] = &t
			}
		}
		// The range keeps the plan on the primary key's few lines however stale the statistics
		// (a join could scan every line of the import: 28 ms a batch at 50,000 lines).
		b.Queue(`update import_lines l set body = null, status = x.status, key = x.key, product_id = x.product, error = x.error::jsonb,
				unchanged = x.unchanged
			from unnest($3::int[], $4::smallint[], $5::text[], $6::uuid[], $7::text[], $8::bool[]) as x(line, status, key, product, error, unchanged)
			where l.instance_id = $1 and l.import_id = $2 and l.line = x.line and l.line between $9 and $10`,
			instance, id, lines, statuses, keys, products, problems, unchanged, slices.Min(lines), slices.Max(lines))
	}
	b.Queue(`update imports set status = $3, processed = $4, created = $5, updated = $6, unchanged = $7, rejected = $8, finished_at = $9,
		error = $10 where instance_id = $1 and id = $2`, instance, id, im.Status, im.Processed, im.Created, im.Updated, im.Unchanged, im.Rejected,
		im.FinishedAt, im.Error)
	return wrap(s.db(ctx).SendBatch(ctx, b).Close())
}

func (s *Store) RequestCancel(ctx context.Context, instance, id uuid.UUID) (bulk.Import, error) {
	im, err := scanImport(s.db(ctx).QueryRow(ctx, `update imports set
			status = case when status = 'queued' then 'canceled' else status end,
			finished_at = case when status = 'queued' then now() else finished_at end,
			cancel_requested = cancel_requested or status in ('queued', 'running')
		where instance_id = $1 and id = $2 and expires_at > now() returning `+importColumns, instance, id))
	return im, notFound(err, "import")
}

func (s *Store) Results(ctx context.Context, instance, id uuid.UUID, after, n int) ([]bulk.Result, error) {
	rows, err := s.db(ctx).Query(ctx, `select line, key, status, product_id, error, unchanged from import_lines
		where instance_id = $1 and import_id = $2 and line > $3 and status is not null order by line limit $4`, instance, id, after, n)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (bulk.Result, error) {
		var res bulk.Result
		var status int16
		var product *uuid.UUID
		var problem []byte
		if err := r.Scan(&res.N, &res.Key, &status, &product, &problem, &res.Unchanged); err != nil {
			return res, err
		}
		res.Status = int(status)
		if product != nil {
			res.Product = *product
		}
		if problem != nil {
			res.Problem = &bulk.LineProblem{}
			if err := json.Unmarshal(problem, res.Problem); err != nil {
				return res, err
			}
		}
		return res, nil
	})
	return list, wrap(err)
}

// Fingerprints reads the fingerprints that still hold (their product's document is the revision
// the line left), each product found by its own probe of the key index (see LockProductsByKey).
func (s *Store) Fingerprints(ctx context.Context, instance uuid.UUID, keys []string) (map[string]bulk.Fingerprint, error) {
	rows, err := s.db(ctx).Query(ctx, `select p.key, p.id, f.fingerprint, f.refs from unnest($2::text[]) as k(key)
		cross join lateral (select key, id from products where instance_id = $1 and key = k.key limit 1) p
		join product_import_fingerprints f on f.instance_id = $1 and f.product_id = p.id
		join product_documents d on d.instance_id = $1 and d.product_id = p.id and d.revision = f.revision`, instance, keys)
	if err != nil {
		return nil, wrap(err)
	}
	out := make(map[string]bulk.Fingerprint, len(keys))
	var key string
	var fp bulk.Fingerprint
	var refs [][3]string
	_, err = pgx.ForEachRow(rows, []any{&key, &fp.Product, &fp.Digest, &refs}, func() error {
		found := make([]bulk.FoundRef, len(refs))
		for i, r := range refs {
			id, err := uuid.Parse(r[2])
			if err != nil {
				return err
			}
			found[i] = bulk.FoundRef{KeyRef: catalog.KeyRef{Kind: catalog.Kind(r[0]), Key: r[1]}, ID: id}
		}
		out[key] = bulk.Fingerprint{Product: fp.Product, Digest: slices.Clone(fp.Digest), Refs: found}
		return nil
	})
	return out, wrap(err)
}

// RecordFingerprints stores fingerprints (of distinct products) with their documents' revisions.
func (s *Store) RecordFingerprints(ctx context.Context, instance uuid.UUID, fps []bulk.Fingerprint) error {
	products := make([]uuid.UUID, len(fps))
	digests := make([][]byte, len(fps))
	refs := make([]string, len(fps))
	for i, fp := range fps {
		named := make([][3]string, len(fp.Refs))
		for j, r := range fp.Refs {
			named[j] = [3]string{string(r.Kind), r.Key, r.ID.String()}
		}
		b, err := json.Marshal(named)
		if err != nil {
			return err
		}
		products[i], digests[i], refs[i] = fp.Product, fp.Digest, string(b)
	}
	_, err := s.db(ctx).Exec(ctx, `insert into product_import_fingerprints (instance_id, product_id, fingerprint, refs, revision)
		select $1, x.p, x.f, x.r::jsonb, d.revision from unnest($2::uuid[], $3::bytea[], $4::text[]) as x(p, f, r)
		join product_documents d on d.instance_id = $1 and d.product_id = x.p
		on conflict (instance_id, product_id) do update set fingerprint = excluded.fingerprint, refs = excluded.refs, revision = excluded.revision`,
		instance, products, digests, refs)
	return wrap(err)
}

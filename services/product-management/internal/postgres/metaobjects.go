package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgerr"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

const definitionColumns = `id, type, name, fields, created_at, updated_at`

func scanDefinition(r pgx.Row, extra ...any) (catalog.MetaobjectDefinition, error) {
	var d catalog.MetaobjectDefinition
	var fields []byte
	err := r.Scan(append([]any{&d.ID, &d.Type, &d.Name, &fields, &d.CreatedAt, &d.UpdatedAt}, extra...)...)
	if err == nil {
		err = json.Unmarshal(fields, &d.Fields)
	}
	return d, err
}

func (s *Store) Definitions(ctx context.Context, instance uuid.UUID, page, perPage int) ([]catalog.MetaobjectDefinition, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+definitionColumns+`, count(*) over () from metaobject_definitions where instance_id = $1
		order by type limit $2 offset $3`, instance, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.MetaobjectDefinition, error) { return scanDefinition(r, &total) })
	return list, total, wrap(err)
}

func (s *Store) DefinitionByID(ctx context.Context, instance, id uuid.UUID) (catalog.MetaobjectDefinition, error) {
	d, err := scanDefinition(s.db(ctx).QueryRow(ctx, `select `+definitionColumns+` from metaobject_definitions where instance_id = $1 and id = $2`, instance, id))
	return d, notFound(err, "metaobject definition")
}

func (s *Store) DefinitionByType(ctx context.Context, instance uuid.UUID, typ string) (catalog.MetaobjectDefinition, error) {
	d, err := scanDefinition(s.db(ctx).QueryRow(ctx, `select `+definitionColumns+` from metaobject_definitions where instance_id = $1 and type = $2`, instance, typ))
	return d, notFound(err, "metaobject definition")
}

func (s *Store) SaveDefinition(ctx context.Context, instance uuid.UUID, d catalog.MetaobjectDefinition, create bool) error {
	fields, _ := json.Marshal(d.Fields)
	var err error
	if create {
		_, err = s.db(ctx).Exec(ctx, `insert into metaobject_definitions (instance_id, id, type, name, fields) values ($1, $2, $3, $4, $5)`,
			instance, d.ID, d.Type, d.Name, fields)
	} else {
		err = s.inTx(ctx, func(tx pgx.Tx) error { return updateDefinition(ctx, tx, instance, d, fields) })
	}
	if name, ok := uniqueViolation(err); ok && name == "metaobject_definitions_type" {
		return fault.Conflict("type: another metaobject definition of this instance has the type %q", d.Type)
	}
	return wrap(err)
}

// updateDefinition saves a changed definition and keeps its metaobjects valid: a field that
// becomes required while some metaobject has no value is a conflict; the values (and references)
// of removed fields are dropped.
func updateDefinition(ctx context.Context, tx pgx.Tx, instance uuid.UUID, d catalog.MetaobjectDefinition, fields []byte) error {
	var raw []byte
	err := tx.QueryRow(ctx, `select fields from metaobject_definitions where instance_id = $1 and id = $2 for update`, instance, d.ID).Scan(&raw)
	if err != nil {
		return notFound(err, "metaobject definition")
	}
	var old []catalog.FieldDefinition
	_ = json.Unmarshal(raw, &old)
	wasRequired, kept := map[string]bool{}, map[string]bool{}
	for _, f := range old {
		wasRequired[f.Key] = f.Required
	}
	for _, f := range d.Fields {
		kept[f.Key] = true
		if !f.Required || wasRequired[f.Key] {
			continue
		}
		var missing int
		if err := tx.QueryRow(ctx, `select count(*) from metaobjects where instance_id = $1 and definition_id = $2 and not fields ? $3`,
			instance, d.ID, f.Key).Scan(&missing); err != nil {
			return err
		}
		if missing > 0 {
			return fault.Conflict("%d metaobject(s) of this type have no value for %q; give them one before making it required", missing, f.Key)
		}
	}
	var removed []string
	for _, f := range old {
		if !kept[f.Key] {
			removed = append(removed, f.Key)
		}
	}
	b := &pgx.Batch{}
	b.Queue(`update metaobject_definitions set name = $3, fields = $4, updated_at = now() where instance_id = $1 and id = $2`, instance, d.ID, d.Name, fields)
	if len(removed) > 0 {
		b.Queue(`delete from metaobject_references r using metaobjects m
			where r.instance_id = $1 and m.instance_id = $1 and m.id = r.metaobject_id and m.definition_id = $2 and r.field_key = any($3)`, instance, d.ID, removed)
		b.Queue(`update metaobjects set fields = fields - $3::text[], updated_at = now()
			where instance_id = $1 and definition_id = $2 and fields ?| $3`, instance, d.ID, removed)
	}
	return tx.SendBatch(ctx, b).Close()
}

func (s *Store) DeleteDefinition(ctx context.Context, instance, id uuid.UUID) error {
	return deleteOne(ctx, s, `delete from metaobject_definitions where instance_id = $1 and id = $2`, instance, id,
		"metaobject definition", "metaobjects of this type exist; delete them first")
}

const metaobjectColumns = `m.id, m.definition_id, d.type, m.handle, m.fields, m.created_at, m.updated_at`

func scanMetaobject(r pgx.Row, extra ...any) (catalog.Metaobject, error) {
	var m catalog.Metaobject
	var fields []byte
	err := r.Scan(append([]any{&m.ID, &m.DefinitionID, &m.Type, &m.Handle, &fields, &m.CreatedAt, &m.UpdatedAt}, extra...)...)
	if err == nil {
		err = json.Unmarshal(fields, &m.Fields)
	}
	return m, err
}

func (s *Store) Metaobjects(ctx context.Context, instance uuid.UUID, page, perPage int) ([]catalog.Metaobject, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+metaobjectColumns+`, count(*) over () from metaobjects m
		join metaobject_definitions d on d.instance_id = m.instance_id and d.id = m.definition_id
		where m.instance_id = $1 order by d.type, m.handle limit $2 offset $3`, instance, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Metaobject, error) { return scanMetaobject(r, &total) })
	return list, total, wrap(err)
}

// metaobjectsByID: $1 instance, $2 ids.
const metaobjectsByID = `select ` + metaobjectColumns + ` from metaobjects m
	join metaobject_definitions d on d.instance_id = m.instance_id and d.id = m.definition_id
	where m.instance_id = $1 and m.id = any($2)`

func (s *Store) MetaobjectsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]catalog.Metaobject, error) {
	rows, err := s.db(ctx).Query(ctx, metaobjectsByID, instance, ids)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Metaobject, error) { return scanMetaobject(r) })
	return list, wrap(err)
}

// SaveMetaobject writes a metaobject and the references of its fields, in one transaction.
func (s *Store) SaveMetaobject(ctx context.Context, instance uuid.UUID, m catalog.Metaobject, create bool) error {
	fields, _ := json.Marshal(m.Fields)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// The fields were checked against the definition as of CheckedAt; hold it still (definition
		// changes lock it for update) and make sure it has not moved since.
		var at time.Time
		if err := tx.QueryRow(ctx, `select updated_at from metaobject_definitions where instance_id = $1 and id = $2 for share`,
			instance, m.DefinitionID).Scan(&at); err != nil {
			return notFound(err, "metaobject definition")
		}
		if !at.Equal(m.CheckedAt) {
			return fault.Conflict("the metaobject definition changed while this request was checked against it; retry")
		}
		b := &pgx.Batch{}
		if create {
			b.Queue(`insert into metaobjects (instance_id, id, definition_id, handle, fields) values ($1, $2, $3, $4, $5)`,
				instance, m.ID, m.DefinitionID, m.Handle, fields)
		} else {
			b.Queue(`update metaobjects set fields = $3, updated_at = now() where instance_id = $1 and id = $2`, instance, m.ID, fields)
			b.Queue(`delete from metaobject_references where instance_id = $1 and metaobject_id = $2`, instance, m.ID)
		}
		if n := len(m.References); n > 0 {
			keys, ids, pos := make([]string, n), make([]uuid.UUID, n), make([]int32, n)
			for i, r := range m.References {
				keys[i], ids[i], pos[i] = r.Key, r.ID, int32(i)
			}
			b.Queue(`insert into metaobject_references (instance_id, metaobject_id, field_key, referenced_id, position)
				select $1, $2, * from unnest($3::text[], $4::uuid[], $5::int[])`, instance, m.ID, keys, ids, pos)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if name, ok := uniqueViolation(err); ok && name == "metaobjects_handle" {
		return fault.Conflict("handle: another metaobject of the type %q has the handle %q", m.Type, m.Handle)
	}
	if isForeignKeyViolation(err) { // a referenced metaobject was deleted meanwhile
		return fault.Invalid("fields", "unknown_metaobject", "a field refers to a metaobject that no longer exists")
	}
	return wrap(err)
}

// DeleteMetaobject deletes a metaobject nothing refers to; the conflict says what still does.
func (s *Store) DeleteMetaobject(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from metaobjects where instance_id = $1 and id = $2`, instance, id)
	if name, ok := pgerr.ForeignKey(err); ok {
		// The failed delete aborted a surrounding transaction: explain from the pool.
		var n int
		var example uuid.UUID
		if name == "metaobject_references_referenced" {
			_ = s.pool.QueryRow(ctx, `select count(distinct metaobject_id), min(metaobject_id::text)::uuid from metaobject_references
				where instance_id = $1 and referenced_id = $2 and metaobject_id <> $2`, instance, id).Scan(&n, &example)
			return fault.Conflict("%d other metaobject(s) refer to this metaobject (for example %s); change or delete them first", n, iri.Metaobjects.Of(example))
		}
		_ = s.pool.QueryRow(ctx, `select count(distinct metafield_id), min(metafield_id::text)::uuid from metafield_references
			where instance_id = $1 and metaobject_id = $2`, instance, id).Scan(&n, &example)
		return fault.Conflict("%d metafield(s) refer to this metaobject (for example %s); change or delete them first", n, iri.Metafields.Of(example))
	}
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound("no such metaobject")
	}
	return nil
}

// MetaobjectsWrittenWith reads the metaobjects of a definition the transaction of ctx wrote (a
// definition's change drops removed fields' values): their xmin is its id.
func (s *Store) MetaobjectsWrittenWith(ctx context.Context, instance, definition uuid.UUID) ([]catalog.Metaobject, error) {
	rows, err := s.db(ctx).Query(ctx, `select id from metaobjects
		where instance_id = $1 and definition_id = $2 and xmin = pg_current_xact_id()::xid`, instance, definition)
	if err != nil {
		return nil, wrap(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil || len(ids) == 0 {
		return nil, wrap(err)
	}
	return s.MetaobjectsByID(ctx, instance, ids)
}

package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// collectionColumns reads the title in the requested locale ($2), falling back to $3.
const collectionColumns = `c.id, c.key, c.handle, c.description, c.created_at, c.updated_at,
	coalesce((select t.title from collection_translations t where t.instance_id = c.instance_id and t.collection_id = c.id and t.locale = $2),
		(select t.title from collection_translations t where t.instance_id = c.instance_id and t.collection_id = c.id and t.locale = $3))`

func scanCollection(r pgx.Row, extra ...any) (catalog.Collection, error) {
	var c catalog.Collection
	err := r.Scan(append([]any{&c.ID, &c.Key, &c.Handle, &c.Description, &c.CreatedAt, &c.UpdatedAt, &c.Title}, extra...)...)
	return c, err
}

func (s *Store) Collections(ctx context.Context, instance uuid.UUID, loc catalog.ReadLocale, page, perPage int) ([]catalog.Collection, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+collectionColumns+`, count(*) over () from collections c where c.instance_id = $1
		order by c.handle limit $4 offset $5`, instance, loc.Code, loc.Fallback, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Collection, error) { return scanCollection(r, &total) })
	return list, total, wrap(err)
}

// collectionsByID: $1 instance, $2 and $3 the read locale, $4 the ids.
const collectionsByID = `select ` + collectionColumns + ` from collections c where c.instance_id = $1 and c.id = any($4)`

func (s *Store) CollectionsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale) ([]catalog.Collection, error) {
	rows, err := s.db(ctx).Query(ctx, collectionsByID, instance, loc.Code, loc.Fallback, ids)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Collection, error) { return scanCollection(r) })
	return list, wrap(err)
}

func (s *Store) SaveCollection(ctx context.Context, instance uuid.UUID, c catalog.Collection, locale string, setTitle, create bool) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if create {
			if _, err := tx.Exec(ctx, `insert into collections (instance_id, id, handle, description, key) values ($1, $2, $3, $4, $5)`,
				instance, c.ID, c.Handle, c.Description, c.Key); err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `update collections set handle = $3, description = $4, key = $5, updated_at = now() where instance_id = $1 and id = $2`,
				instance, c.ID, c.Handle, c.Description, c.Key)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fault.NotFound("no such collection")
			}
		}
		if !setTitle {
			return nil
		}
		_, err := tx.Exec(ctx, `insert into collection_translations (instance_id, collection_id, locale, title) values ($1, $2, $3, $4)
			on conflict (instance_id, collection_id, locale) do update set title = excluded.title`, instance, c.ID, locale, c.Title)
		return err
	})
	if name, ok := uniqueViolation(err); ok && name == "collections_handle" {
		return fault.Conflict("handle: another collection of this instance has the handle %q", c.Handle)
	} else if ok && name == "collections_key" {
		return catalog.KeyTaken(catalog.KindCollection, *c.Key)
	}
	return wrap(err)
}

func (s *Store) DeleteCollection(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from collections where instance_id = $1 and id = $2`, instance, id)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound("no such collection")
	}
	return nil
}

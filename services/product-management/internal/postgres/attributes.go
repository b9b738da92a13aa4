package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

const attributeColumns = `a.id, a.key, a.code, a.type, a.options, a.required, a.created_at, a.updated_at,
	coalesce((select t.name from attribute_translations t where t.instance_id = a.instance_id and t.attribute_id = a.id and t.locale = $2),
		(select t.name from attribute_translations t where t.instance_id = a.instance_id and t.attribute_id = a.id and t.locale = $3))`

func scanAttribute(r pgx.Row, extra ...any) (catalog.Attribute, error) {
	var a catalog.Attribute
	err := r.Scan(append([]any{&a.ID, &a.Key, &a.Code, &a.Type, &a.Options, &a.Required, &a.CreatedAt, &a.UpdatedAt, &a.Name}, extra...)...)
	return a, err
}

func (s *Store) Attributes(ctx context.Context, instance uuid.UUID, loc catalog.ReadLocale, page, perPage int) ([]catalog.Attribute, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+attributeColumns+`, count(*) over () from attributes a where a.instance_id = $1
		order by a.code limit $4 offset $5`, instance, loc.Code, loc.Fallback, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Attribute, error) { return scanAttribute(r, &total) })
	return list, total, wrap(err)
}

func (s *Store) AttributesByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale) ([]catalog.Attribute, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+attributeColumns+` from attributes a where a.instance_id = $1 and a.id = any($4)`, instance, loc.Code, loc.Fallback, ids)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Attribute, error) { return scanAttribute(r) })
	return list, wrap(err)
}

func (s *Store) SaveAttribute(ctx context.Context, instance uuid.UUID, a catalog.Attribute, locale string, setName, create bool) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if create {
			if _, err := tx.Exec(ctx, `insert into attributes (instance_id, id, code, type, options, required, key) values ($1, $2, $3, $4, $5, $6, $7)`,
				instance, a.ID, a.Code, a.Type, a.Options, a.Required, a.Key); err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `update attributes set options = $3, required = $4, key = $5, updated_at = now() where instance_id = $1 and id = $2`,
				instance, a.ID, a.Options, a.Required, a.Key)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fault.NotFound("no such attribute")
			}
		}
		if !setName {
			return nil
		}
		_, err := tx.Exec(ctx, `insert into attribute_translations (instance_id, attribute_id, locale, name) values ($1, $2, $3, $4)
			on conflict (instance_id, attribute_id, locale) do update set name = excluded.name`, instance, a.ID, locale, a.Name)
		return err
	})
	if name, ok := uniqueViolation(err); ok && name == "attributes_code" {
		return fault.Conflict("code: another attribute of this instance has the code %q", a.Code)
	} else if ok && name == "attributes_key" {
		return catalog.KeyTaken(catalog.KindAttribute, *a.Key)
	}
	return wrap(err)
}

func (s *Store) DeleteAttribute(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from attributes where instance_id = $1 and id = $2`, instance, id)
	if isForeignKeyViolation(err) {
		return fault.Conflict("the attribute is in use: a category's attribute set or a product's values refer to it")
	}
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound("no such attribute")
	}
	return nil
}

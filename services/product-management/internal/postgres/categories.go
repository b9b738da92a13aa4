package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

const categoryColumns = `c.id, c.key, c.handle, c.parent_id, c.created_at, c.updated_at,
	coalesce((select t.name from category_translations t where t.instance_id = c.instance_id and t.category_id = c.id and t.locale = $2),
		(select t.name from category_translations t where t.instance_id = c.instance_id and t.category_id = c.id and t.locale = $3)),
	coalesce((select array_agg(x.attribute_id order by x.position) from category_attributes x
		where x.instance_id = c.instance_id and x.category_id = c.id), '{}')`

func scanCategory(r pgx.Row, extra ...any) (catalog.Category, error) {
	var c catalog.Category
	err := r.Scan(append([]any{&c.ID, &c.Key, &c.Handle, &c.Parent, &c.CreatedAt, &c.UpdatedAt, &c.Name, &c.Attributes}, extra...)...)
	return c, err
}

func (s *Store) Categories(ctx context.Context, instance uuid.UUID, loc catalog.ReadLocale, page, perPage int) ([]catalog.Category, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+categoryColumns+`, count(*) over () from categories c where c.instance_id = $1
		order by c.handle limit $4 offset $5`, instance, loc.Code, loc.Fallback, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Category, error) { return scanCategory(r, &total) })
	return list, total, wrap(err)
}

// categoriesByID: $1 instance, $2 and $3 the read locale, $4 the ids.
const categoriesByID = `select ` + categoryColumns + ` from categories c where c.instance_id = $1 and c.id = any($4)`

func (s *Store) CategoriesByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID, loc catalog.ReadLocale) ([]catalog.Category, error) {
	rows, err := s.db(ctx).Query(ctx, categoriesByID, instance, loc.Code, loc.Fallback, ids)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Category, error) { return scanCategory(r) })
	return list, wrap(err)
}

func (s *Store) SaveCategory(ctx context.Context, instance uuid.UUID, c catalog.Category, locale string, setName, create bool) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if create {
			if _, err := tx.Exec(ctx, `insert into categories (instance_id, id, handle, parent_id, key) values ($1, $2, $3, $4, $5)`,
				instance, c.ID, c.Handle, c.Parent, c.Key); err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `update categories set parent_id = $3, key = $4, updated_at = now() where instance_id = $1 and id = $2`, instance, c.ID, c.Parent, c.Key)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return fault.NotFound("no such category")
			}
		}
		b := &pgx.Batch{}
		b.Queue(`delete from category_attributes where instance_id = $1 and category_id = $2`, instance, c.ID)
		if len(c.Attributes) > 0 {
			pos := positions(len(c.Attributes))
			b.Queue(`insert into category_attributes (instance_id, category_id, attribute_id, position)
				select $1, $2, * from unnest($3::uuid[], $4::int[])`, instance, c.ID, c.Attributes, pos)
		}
		if setName {
			b.Queue(`insert into category_translations (instance_id, category_id, locale, name) values ($1, $2, $3, $4)
				on conflict (instance_id, category_id, locale) do update set name = excluded.name`, instance, c.ID, locale, c.Name)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if name, ok := uniqueViolation(err); ok && name == "categories_handle" {
		return fault.Conflict("handle: another category of this instance has the handle %q", c.Handle)
	} else if ok && name == "categories_key" {
		return catalog.KeyTaken(catalog.KindCategory, *c.Key)
	}
	return wrap(err)
}

func (s *Store) DeleteCategory(ctx context.Context, instance, id uuid.UUID) error {
	tag, err := s.db(ctx).Exec(ctx, `delete from categories where instance_id = $1 and id = $2`, instance, id)
	if isForeignKeyViolation(err) {
		return fault.Conflict("the category has products or subcategories; move them first")
	}
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fault.NotFound("no such category")
	}
	return nil
}

// ancestorsSQL walks up from $2 (bounded, so a corrupt chain cannot loop).
const ancestorsSQL = `with recursive chain(id, parent_id, depth) as (
		select id, parent_id, 0 from categories where instance_id = $1 and id = $2
		union all
		select c.id, c.parent_id, chain.depth + 1 from categories c join chain on c.id = chain.parent_id
		where c.instance_id = $1 and chain.depth < 100)`

func (s *Store) Ancestors(ctx context.Context, instance, id uuid.UUID) ([]uuid.UUID, error) {
	rows, err := s.db(ctx).Query(ctx, ancestorsSQL+` select id from chain order by depth`, instance, id)
	if err != nil {
		return nil, wrap(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	return ids, wrap(err)
}

func (s *Store) AttributeSet(ctx context.Context, instance, category uuid.UUID) ([]catalog.Attribute, error) {
	// Names are not needed to validate values: null::text keeps the scan shape.
	rows, err := s.db(ctx).Query(ctx, ancestorsSQL+` select a.id, a.key, a.code, a.type, a.options, a.required, a.created_at, a.updated_at, null::text
		from attributes a
		where a.instance_id = $1 and a.id in (select x.attribute_id from category_attributes x join chain on x.category_id = chain.id where x.instance_id = $1)
		order by a.code`, instance, category)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Attribute, error) { return scanAttribute(r) })
	return list, wrap(err)
}

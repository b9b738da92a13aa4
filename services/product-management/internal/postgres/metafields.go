package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

const metafieldColumns = `f.id, f.product_id, f.variant_id, f.namespace, f.key, f.type, f.value, f.created_at, f.updated_at,
	coalesce((select array_agg(r.metaobject_id order by r.position) from metafield_references r
		where r.instance_id = f.instance_id and r.metafield_id = f.id), '{}')`

func scanMetafield(r pgx.Row, extra ...any) (catalog.Metafield, error) {
	var m catalog.Metafield
	err := r.Scan(append([]any{&m.ID, &m.ProductID, &m.VariantID, &m.Namespace, &m.Key, &m.Type, &m.Value, &m.CreatedAt, &m.UpdatedAt, &m.References}, extra...)...)
	return m, err
}

func (s *Store) Metafields(ctx context.Context, instance uuid.UUID, page, perPage int) ([]catalog.Metafield, int, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+metafieldColumns+`, count(*) over () from metafields f where f.instance_id = $1
		order by f.product_id, f.variant_id nulls first, f.namespace, f.key limit $2 offset $3`, instance, perPage, (page-1)*perPage)
	if err != nil {
		return nil, 0, wrap(err)
	}
	total := 0
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Metafield, error) { return scanMetafield(r, &total) })
	return list, total, wrap(err)
}

func (s *Store) MetafieldsByID(ctx context.Context, instance uuid.UUID, ids []uuid.UUID) ([]catalog.Metafield, error) {
	rows, err := s.db(ctx).Query(ctx, `select `+metafieldColumns+` from metafields f where f.instance_id = $1 and f.id = any($2)`, instance, ids)
	if err != nil {
		return nil, wrap(err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (catalog.Metafield, error) { return scanMetafield(r) })
	return list, wrap(err)
}

func (s *Store) SaveMetafield(ctx context.Context, instance uuid.UUID, m catalog.Metafield, create bool) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if create {
			b.Queue(`insert into metafields (instance_id, id, product_id, variant_id, namespace, key, type, value) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
				instance, m.ID, m.ProductID, m.VariantID, m.Namespace, m.Key, m.Type, m.Value)
		} else {
			b.Queue(`update metafields set value = $3, updated_at = now() where instance_id = $1 and id = $2`, instance, m.ID, m.Value)
			b.Queue(`delete from metafield_references where instance_id = $1 and metafield_id = $2`, instance, m.ID)
		}
		if len(m.References) > 0 {
			pos := positions(len(m.References))
			b.Queue(`insert into metafield_references (instance_id, metafield_id, metaobject_id, position)
				select $1, $2, * from unnest($3::uuid[], $4::int[])`, instance, m.ID, m.References, pos)
		}
		return tx.SendBatch(ctx, b).Close()
	})
	if name, ok := uniqueViolation(err); ok && name == "metafields_owner_key" {
		return fault.Conflict("key: the owner already has a metafield with the namespace %q and key %q", m.Namespace, m.Key)
	}
	if isForeignKeyViolation(err) {
		return fault.Invalid("value", "unknown_metaobject", "the value refers to a metaobject that no longer exists")
	}
	return wrap(err)
}

func (s *Store) DeleteMetafield(ctx context.Context, instance, id uuid.UUID) error {
	return deleteOne(ctx, s, `delete from metafields where instance_id = $1 and id = $2`, instance, id, "metafield", "")
}

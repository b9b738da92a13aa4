package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// idsOfKeys looks every kind's keys up in one statement, each through its (instance_id, key) index.
// Products' keys are probed one by one: an instance that grew since its statistics were taken
// otherwise gets its whole catalog scanned and filtered (see LockProductsByKey).
const idsOfKeys = `select 'product', p.key, p.id from unnest($2::text[]) as k(key)
		cross join lateral (select key, id from products where instance_id = $1 and key = k.key limit 1) p
	union all select 'category', key, id from categories where instance_id = $1 and key = any($3)
	union all select 'collection', key, id from collections where instance_id = $1 and key = any($4)
	union all select 'attribute', key, id from attributes where instance_id = $1 and key = any($5)
	union all select 'channel', code, id from channels where instance_id = $1 and code = any($6)`

func (s *Store) IDsOfKeys(ctx context.Context, instance uuid.UUID, refs []catalog.KeyRef) (map[catalog.KeyRef]uuid.UUID, error) {
	keys := map[catalog.Kind][]string{}
	for _, r := range refs {
		keys[r.Kind] = append(keys[r.Kind], r.Key)
	}
	out := make(map[catalog.KeyRef]uuid.UUID, len(refs))
	if len(keys) == 0 {
		return out, nil
	}
	// A kind without keys passes null: "key = any(null)" selects nothing.
	rows, err := s.db(ctx).Query(ctx, idsOfKeys, instance, keys[catalog.KindProduct], keys[catalog.KindCategory],
		keys[catalog.KindCollection], keys[catalog.KindAttribute], keys[catalog.KindChannel])
	if err != nil {
		return nil, wrap(err)
	}
	var kind, key string
	var id uuid.UUID
	_, err = pgx.ForEachRow(rows, []any{&kind, &key, &id}, func() error {
		out[catalog.KeyRef{Kind: catalog.Kind(kind), Key: key}] = id
		return nil
	})
	return out, wrap(err)
}

package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/services/identity/internal/keys"
)

const keyColumns = `kid, private_key, created_at, activates_at, retires_at, expires_at`

func scanKeys(rows pgx.Rows) ([]keys.Stored, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (keys.Stored, error) {
		var k keys.Stored
		err := r.Scan(&k.Kid, &k.PrivateDER, &k.CreatedAt, &k.ActivatesAt, &k.RetiresAt, &k.ExpiresAt)
		return k, err
	})
}

func (s *Store) Keys(ctx context.Context) ([]keys.Stored, error) {
	rows, err := s.pool.Query(ctx, `select `+keyColumns+` from signing_keys where expires_at is null or expires_at > now() - interval '1 day' order by activates_at`)
	if err != nil {
		return nil, wrap(err)
	}
	ks, err := scanKeys(rows)
	return ks, wrap(err)
}

// Rotate serialises rotations of all replicas with a transaction-scoped advisory lock.
func (s *Store) Rotate(ctx context.Context, fn func([]keys.Stored) (*keys.Stored, string, time.Time, time.Time, error)) error {
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtext('identity.signing_keys'))`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `select `+keyColumns+` from signing_keys order by activates_at`)
		if err != nil {
			return err
		}
		current, err := scanKeys(rows)
		if err != nil {
			return err
		}
		add, retireKid, retireAt, expireAt, err := fn(current)
		if err != nil || add == nil {
			return err
		}
		if _, err := tx.Exec(ctx, `insert into signing_keys (kid, algorithm, private_key, created_at, activates_at) values ($1, 'RS256', $2, $3, $4)`,
			add.Kid, add.PrivateDER, add.CreatedAt, add.ActivatesAt); err != nil {
			return err
		}
		if retireKid != "" {
			_, err = tx.Exec(ctx, `update signing_keys set retires_at = $2, expires_at = $3 where kid = $1`, retireKid, retireAt, expireAt)
		}
		return err
	}))
}

package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgtx"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

type cachedLocales struct {
	ls      catalog.Locales
	expires time.Time
}

// localeKey keys the locale cache by the server read as well as the instance: a read on a standby
// behind the primary must not leave its older set where a read of the primary, or of a standby
// that has caught up, would take it.
type localeKey struct {
	pool     *pgxpool.Pool
	instance uuid.UUID
}

func (s *Store) forgetLocales(ctx context.Context, instance uuid.UUID) {
	forget := func() {
		s.localeMu.Lock()
		delete(s.localeCache, localeKey{s.pool, instance})
		for _, p := range s.readPools {
			delete(s.localeCache, localeKey{p, instance})
		}
		s.localeMu.Unlock()
	}
	// Now, and again once the change committed: a read in between could cache the old set.
	forget()
	pgtx.AfterCommit(ctx, forget)
}

const defaultLocale = "en"

// Locales returns the enabled locales; an instance without rows has the implicit default "en".
func (s *Store) Locales(ctx context.Context, instance uuid.UUID) (catalog.Locales, error) {
	if inChange(ctx) || s.localeTTL <= 0 {
		// A change sees its own writes, and what it has not committed must not reach the cache.
		return s.loadLocales(ctx, instance)
	}
	now := time.Now()
	key := localeKey{pgtx.ReadPool(ctx, s.pool), instance}
	s.localeMu.Lock()
	c, ok := s.localeCache[key]
	s.localeMu.Unlock()
	if ok && now.Before(c.expires) {
		return c.ls, nil
	}
	ls, err := s.loadLocales(ctx, instance)
	if err != nil {
		return ls, err
	}
	s.localeMu.Lock()
	if len(s.localeCache) > 10_000 {
		clear(s.localeCache)
	}
	s.localeCache[key] = cachedLocales{ls: ls, expires: now.Add(s.localeTTL)}
	s.localeMu.Unlock()
	return ls, nil
}

func (s *Store) loadLocales(ctx context.Context, instance uuid.UUID) (catalog.Locales, error) {
	rows, err := s.db(ctx).Query(ctx, `select code, is_default, created_at from locales where instance_id = $1`, instance)
	if err != nil {
		return catalog.Locales{}, wrap(err)
	}
	ls := catalog.Locales{Enabled: map[string]time.Time{}}
	for rows.Next() {
		var code string
		var def bool
		var at time.Time
		if err := rows.Scan(&code, &def, &at); err != nil {
			return ls, wrap(err)
		}
		ls.Enabled[code] = at
		if def {
			ls.Default = code
		}
	}
	if err := rows.Err(); err != nil {
		return ls, wrap(err)
	}
	if len(ls.Enabled) == 0 {
		ls.Default = defaultLocale
		ls.Enabled[defaultLocale] = time.Time{}
	}
	return ls, nil
}

// materialize writes the implicit default locale as a row, so later changes have one to move.
func materialize(ctx context.Context, tx pgx.Tx, instance uuid.UUID) error {
	_, err := tx.Exec(ctx, `insert into locales (instance_id, code, is_default)
		select $1, $2, true where not exists (select 1 from locales where instance_id = $1)`, instance, defaultLocale)
	return err
}

func (s *Store) EnableLocale(ctx context.Context, instance uuid.UUID, code string, makeDefault bool) (catalog.Locale, error) {
	defer s.forgetLocales(ctx, instance)
	var l catalog.Locale
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtext($1::text))`, "locales:"+instance.String()); err != nil {
			return err
		}
		if err := materialize(ctx, tx, instance); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `insert into locales (instance_id, code) values ($1, $2) on conflict do nothing`, instance, code)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 && code != defaultLocale {
			return fault.Conflict("the locale %s is already enabled", code)
		}
		if makeDefault {
			if _, err := tx.Exec(ctx, `update locales set is_default = (code = $2) where instance_id = $1`, instance, code); err != nil {
				return err
			}
		}
		return tx.QueryRow(ctx, `select code, is_default, created_at from locales where instance_id = $1 and code = $2`, instance, code).
			Scan(&l.Code, &l.IsDefault, &l.CreatedAt)
	})
	return l, wrap(err)
}

func (s *Store) SetDefaultLocale(ctx context.Context, instance uuid.UUID, code string) (catalog.Locale, error) {
	defer s.forgetLocales(ctx, instance)
	var l catalog.Locale
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtext($1::text))`, "locales:"+instance.String()); err != nil {
			return err
		}
		if err := materialize(ctx, tx, instance); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `select exists(select 1 from locales where instance_id = $1 and code = $2)`, instance, code).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return fault.NotFound("the locale %s is not enabled", code)
		}
		// Clear the old default first: the partial unique index allows one default at a time.
		if _, err := tx.Exec(ctx, `update locales set is_default = false where instance_id = $1 and is_default and code <> $2`, instance, code); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `update locales set is_default = true where instance_id = $1 and code = $2 returning code, is_default, created_at`, instance, code).
			Scan(&l.Code, &l.IsDefault, &l.CreatedAt)
	})
	return l, wrap(err)
}

func (s *Store) DisableLocale(ctx context.Context, instance uuid.UUID, code string) error {
	defer s.forgetLocales(ctx, instance)
	return wrap(s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtext($1::text))`, "locales:"+instance.String()); err != nil {
			return err
		}
		if err := materialize(ctx, tx, instance); err != nil {
			return err
		}
		var def bool
		if err := tx.QueryRow(ctx, `select is_default from locales where instance_id = $1 and code = $2`, instance, code).Scan(&def); err != nil {
			return notFound(err, "locale")
		}
		if def {
			return fault.Conflict("the default locale cannot be disabled; make another locale the default first")
		}
		_, err := tx.Exec(ctx, `delete from locales where instance_id = $1 and code = $2`, instance, code)
		return err
	}))
}

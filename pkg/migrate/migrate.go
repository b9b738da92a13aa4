// Package migrate applies a service's embedded SQL migrations (tern format) to its database.
package migrate

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	tern "github.com/jackc/tern/v2/migrate"
)

// Up brings the database to the newest migration in fsys. It holds a session advisory lock for the
// whole run, so replicas that start together migrate one after another and the later ones find
// nothing to do.
func Up(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, versionTable string) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: acquire connection: %w", err)
	}
	defer conn.Release()
	// Migrations may build indexes on big tables: the pool's statement timeout is for requests.
	if _, err := conn.Exec(ctx, "set statement_timeout = 0"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "reset statement_timeout") //nolint:errcheck // back to the connection's default
	h := fnv.New64a()
	h.Write([]byte("flowkiwi-migrate:" + versionTable))
	lock := int64(h.Sum64())
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", lock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock($1)", lock) //nolint:errcheck // the session ends with the connection anyway
	m, err := tern.NewMigrator(ctx, conn.Conn(), versionTable)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(fsys); err != nil {
		return fmt.Errorf("migrate: load: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

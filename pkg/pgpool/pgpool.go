// Package pgpool opens the pgx pools of Flowkiwi services, configured the same way everywhere.
package pgpool

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// Config parses url and registers the google/uuid codec on every connection: without it pgx
// encodes uuid.UUID through driver.Valuer (a string round trip), which dominated the cost of
// queries taking id arrays.
func Config(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		pgxuuid.Register(conn.TypeMap())
		return nil
	}
	return cfg, nil
}

// New opens a pool on url (connections are made lazily; Ping to check).
func New(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := Config(url)
	if err != nil {
		return nil, err
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// Open opens a pool on url with tracer (may be nil) on every connection, and checks within 10
// seconds that the database answers, so a wrong DATABASE_URL fails at start-up with a clear error.
func Open(ctx context.Context, url string, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	cfg, err := Config(url)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database: cannot reach DATABASE_URL: %w", err)
	}
	return pool, nil
}

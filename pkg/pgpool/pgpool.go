// Package pgpool opens the pgx pools of Flowkiwi services, configured the same way everywhere.
package pgpool

import (
	"context"

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

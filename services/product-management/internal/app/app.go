// Package app assembles the product-management service; main and the tests both use it.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/migrate"
	"github.com/flowkiwi/platform/services/product-management/internal/access"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/config"
	"github.com/flowkiwi/platform/services/product-management/internal/httpapi"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
)

// App is a wired product-management service.
type App struct {
	Handler http.Handler
	Keys    *accesstoken.RemoteKeySet
	Access  *access.Checker
}

// Migrate applies the product-management migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, pmdb.Migrations(), "schema_version")
}

// New wires the service over pool.
func New(cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger) (*App, error) {
	httpClient := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}
	idClient, err := identity.NewClientWithResponses(cfg.IdentityURL, identity.WithHTTPClient(httpClient))
	if err != nil {
		return nil, err
	}
	keys := &accesstoken.RemoteKeySet{URL: cfg.IdentityURL + "/.well-known/jwks.json", Client: httpClient}
	verifier := &accesstoken.Verifier{Keys: keys, Issuer: cfg.IdentityIssuer, Audience: cfg.IdentityAudience, Cache: &accesstoken.Cache{}}
	checker := access.NewChecker(idClient, access.Options{TTL: cfg.AccessCacheTTL})
	checks := map[string]apiserver.Check{
		"database": pool.Ping,
		"identity_jwks": func(ctx context.Context) error {
			if keys.Loaded() {
				return nil
			}
			return keys.Refresh(ctx)
		},
	}
	h, err := httpapi.NewHandler(&httpapi.Server{Catalog: catalog.NewService(postgres.New(pool))}, cfg.TenantBaseDomain, verifier, checker, logger, checks)
	if err != nil {
		return nil, err
	}
	return &App{Handler: h, Keys: keys, Access: checker}, nil
}

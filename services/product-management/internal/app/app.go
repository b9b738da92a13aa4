// Package app assembles the product-management service; main and the tests both use it.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/metrics"
	"github.com/flowkiwi/platform/pkg/migrate"
	"github.com/flowkiwi/platform/pkg/ratelimit"
	"github.com/flowkiwi/platform/pkg/tracing"
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
	Drain   *apiserver.Drain
}

// Migrate applies the product-management migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, pmdb.Migrations(), "schema_version")
}

// New wires the service over pool; tr may be nil (no spans).
func New(cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, tr *tracing.Tracing) (*App, error) {
	var transport http.RoundTripper = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}
	if tr != nil {
		transport = tr.Transport(transport) // client spans, W3C trace context to identity
	}
	httpClient := &http.Client{Timeout: 5 * time.Second, Transport: transport}
	idClient, err := identity.NewClientWithResponses(cfg.IdentityURL, identity.WithHTTPClient(httpClient))
	if err != nil {
		return nil, err
	}
	keys := &accesstoken.RemoteKeySet{URL: cfg.IdentityURL + "/.well-known/jwks.json", Client: httpClient}
	m := metrics.New("product-management")
	m.WatchPool(pool)
	verifier := &accesstoken.Verifier{Keys: keys, Issuer: cfg.IdentityIssuer, Audience: cfg.IdentityAudience, Cache: &accesstoken.Cache{}, Observe: m.TokenVerified}
	identityCalls := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "identity_access_check_duration_seconds", Help: "Calls to identity's access check by outcome (grant, deny, error).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2},
	}, []string{"outcome"})
	checker := access.NewChecker(idClient, access.Options{TTL: cfg.AccessCacheTTL, ObserveCall: func(d time.Duration, outcome string) {
		identityCalls.WithLabelValues(outcome).Observe(d.Seconds())
	}})
	m.Registry.MustRegister(identityCalls,
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "access_cache_hits_total", Help: "Access checks answered from the cache."},
			func() float64 { h, _ := checker.Stats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "access_cache_misses_total", Help: "Access checks that asked identity."},
			func() float64 { _, mi := checker.Stats(); return float64(mi) }))
	drain := &apiserver.Drain{}
	checks := map[string]apiserver.Check{
		"draining": drain.Check,
		"database": pool.Ping,
		"identity_jwks": func(ctx context.Context) error {
			if keys.Loaded() {
				return nil
			}
			return keys.Refresh(ctx)
		},
	}
	h, err := httpapi.NewHandler(&httpapi.Server{Catalog: catalog.NewService(postgres.New(pool))}, cfg.TenantBaseDomain, verifier, checker, logger, checks, m, ratelimit.New(cfg.RateLimitRPS, cfg.RateLimitBurst), drain)
	if err != nil {
		return nil, err
	}
	if tr != nil {
		h = tr.Handler(h, "product-management")
	}
	return &App{Handler: h, Keys: keys, Access: checker, Drain: drain}, nil
}

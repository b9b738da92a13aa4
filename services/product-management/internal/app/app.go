// Package app assembles the product-management service; main and the tests both use it.
package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/idempotency"
	"github.com/flowkiwi/platform/pkg/metrics"
	"github.com/flowkiwi/platform/pkg/migrate"
	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/pkg/ratelimit"
	"github.com/flowkiwi/platform/pkg/readreplicas"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/product-management/internal/access"
	"github.com/flowkiwi/platform/services/product-management/internal/bulk"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/config"
	"github.com/flowkiwi/platform/services/product-management/internal/httpapi"
	"github.com/flowkiwi/platform/services/product-management/internal/identitystream"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
	"github.com/flowkiwi/platform/services/product-management/internal/webhook"
)

// App is a wired product-management service.
type App struct {
	Handler http.Handler
	// Idempotency keeps POST outcomes for retries; ExpireEvery belongs in the serving process.
	Idempotency *idempotency.Keys
	Keys        *accesstoken.RemoteKeySet
	Access      *access.Checker
	Trust       *access.Trust
	Drain       *apiserver.Drain
	// Deliverer dispatches events to webhook subscriptions and works their deliveries (River);
	// Run starts it with the other background work of a serving process.
	Deliverer *webhook.Deliverer
	// Replicas routes reads to standbys; Run keeps it informed.
	Replicas *readreplicas.Consistency
	bulk     *bulk.Service
	store    *postgres.Store
	cfg      config.Config
	// watcher and follower bring identity's changes (nil without a service credential).
	watcher  *identitystream.Watcher
	follower *identitystream.Follower

	identity *identity.ClientWithResponses
	logger   *slog.Logger
}

// Discover reads identity's metadata (retrying until identity answers or ctx ends) and from then
// on trusts the issuer it names; until then readiness fails and requests get 503. A metadata
// issuer other than IDENTITY_ISSUER is an *access.MismatchError: the service must not run.
func (a *App) Discover(ctx context.Context) error {
	if err := a.Trust.Discover(ctx, a.identity, 200*time.Millisecond, a.logger); err != nil {
		return err
	}
	issuer, _ := a.Trust.Issuer()
	a.logger.Info("trusting identity's issuer", "issuer", issuer)
	// Warm the key set; a failure is not fatal, requests refetch.
	if err := a.Keys.Refresh(ctx); err != nil {
		a.logger.Warn("identity JWKS not loaded yet", "error", err)
	}
	return nil
}

// Migrate applies the product-management migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, pmdb.Migrations(), "schema_version")
}

// New wires the service over pool (the primary) and its standbys (may be none); tr may be nil (no
// spans).
func New(cfg config.Config, pool *pgxpool.Pool, standbys []*pgxpool.Pool, logger *slog.Logger, tr *tracing.Tracing) (*App, error) {
	var transport http.RoundTripper = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}
	if tr != nil {
		transport = tr.Transport(transport) // client spans, W3C trace context to identity
	}
	httpClient := &http.Client{Timeout: 5 * time.Second, Transport: transport}
	idClient, err := identity.NewClientWithResponses(cfg.IdentityURL, identity.WithHTTPClient(httpClient))
	if err != nil {
		return nil, err
	}
	keys := &accesstoken.RemoteKeySet{Client: httpClient} // its address comes with the metadata
	trust := access.NewTrust(cfg.IdentityURL, cfg.IdentityIssuer, keys)
	m := metrics.New("product-management")
	m.WatchPool(pool)
	verifier := &accesstoken.Verifier{Keys: keys, IssuerFrom: trust.Issuer, Audience: cfg.IdentityAudience, Observe: m.TokenVerified}
	if cfg.TokenCache {
		verifier.Cache = &accesstoken.Cache{}
	}
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
	idem := idempotency.New(pool, logger)
	checks := map[string]apiserver.Check{
		"draining": drain.Check,
		"database": pool.Ping,
		"identity_jwks": func(ctx context.Context) error {
			if _, known := trust.Issuer(); !known {
				return errors.New("identity's metadata has not been read yet")
			}
			if keys.Loaded() {
				return nil
			}
			return keys.Refresh(ctx)
		},
	}
	storeOpts := []postgres.Option{postgres.WithDecodedDocuments(cfg.DecodedDocuments), postgres.WithLocaleTTL(cfg.LocaleCacheTTL)}
	if !cfg.ItemReadCoalescing {
		storeOpts = append(storeOpts, postgres.WithoutCoalescing())
	}
	storeOpts = append(storeOpts, postgres.WithReadPools(standbys...))
	store := postgres.New(pool, storeOpts...)
	// Partners' reads go to standbys, keeping read-your-writes (pkg/readreplicas, README).
	replicas := readreplicas.NewConsistency(pool, standbys, cfg.ReplicaMaxLag, logger, m.Registry)
	targets := &webhook.Targets{AllowPrivate: cfg.WebhookAllowPrivate}
	cat := catalog.NewService(store, iri.Metaobjects.Parse, render.EncodeEvent)
	// Bulk jobs run on the deliverer's River client, made after their workers are registered.
	var deliverer *webhook.Deliverer
	bulkJobs := bulk.NewService(store, cat, httpapi.Lines{}, func(ctx context.Context, tx pgx.Tx, args river.JobArgs) error {
		return deliverer.Insert(ctx, tx, args)
	}, logger)
	workers := river.NewWorkers()
	bulkJobs.Register(workers)
	identitystream.RegisterPurge(workers, store, logger)
	deliverer, err = webhook.NewDeliverer(pool, store, targets, render.EventPayload, cfg.Webhooks, logger, m.Registry, workers)
	if err != nil {
		return nil, err
	}
	var watcher *identitystream.Watcher
	var follower *identitystream.Follower
	if cfg.IdentityClientID != "" {
		source, err := identitystream.NewSource(cfg.IdentityURL, cfg.IdentityClientID, cfg.IdentityClientSecret)
		if err != nil {
			return nil, err
		}
		watcher = identitystream.NewWatcher(source, checker, logger)
		follower = identitystream.NewFollower(source, pool, postgres.RequestPurge, func(ctx context.Context, tx pgx.Tx, instance uuid.UUID) error {
			return deliverer.Insert(ctx, tx, identitystream.PurgeArgs{Instance: instance})
		}, logger)
		checks["identity_stream"] = func(ctx context.Context) error {
			if lag := watcher.Lag(); lag > time.Minute {
				return apiserver.Degraded("this replica last read identity's change stream to its head %s ago: revoked access lasts up to ACCESS_CACHE_TTL", lag.Round(time.Second))
			}
			if lag, ok, err := identitystream.Lag(ctx, pool); err == nil && ok && lag > time.Minute {
				return apiserver.Degraded("the follower last read identity's change stream to its head %s ago: deleted instances wait for their purge", lag.Round(time.Second))
			}
			return nil
		}
	} else {
		logger.Warn("IDENTITY_CLIENT_ID is unset: identity's changes are not followed (access narrows as the cache expires; deleted instances are purged only by `instance purge`)")
	}
	server := &httpapi.Server{Catalog: cat, Bulk: bulkJobs,
		Webhooks: webhook.NewService(store, targets, deliverer.Enqueue), RenderedProducts: cfg.RenderedProducts, RequestTimeout: cfg.RequestTimeout}
	h, err := httpapi.NewHandler(server, httpapi.Config{BaseDomain: cfg.TenantBaseDomain, Verifier: verifier, Access: checker, Logger: logger,
		Checks: checks, Metrics: m, Limiter: ratelimit.New(cfg.RateLimitRPS, cfg.RateLimitBurst), Drain: drain, Idempotency: idem,
		ValidationVerdicts: cfg.ValidationVerdicts, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	if tr != nil {
		h = tr.Handler(h, "product-management")
	}
	return &App{Handler: h, Keys: keys, Access: checker, Trust: trust, Drain: drain, identity: idClient, logger: logger, Idempotency: idem,
		Deliverer: deliverer, bulk: bulkJobs, store: store, cfg: cfg, watcher: watcher, follower: follower, Replicas: replicas}, nil
}

// Run does a serving process's background work until ctx ends: webhook dispatch and delivery
// (unless WEBHOOK_DELIVERY=off leaves them to `deliver` processes), and the expiry of idempotency keys and of events older than EVENT_RETENTION.
func (a *App) Run(ctx context.Context) error {
	go a.Idempotency.ExpireEvery(ctx, time.Minute)
	go a.Replicas.Run(ctx)
	go periodic.Run(ctx, time.Hour, a.logger, "expired events", func(ctx context.Context) (int64, error) {
		return a.store.ExpireEvents(ctx, a.cfg.EventRetention)
	})
	go periodic.Run(ctx, time.Hour, a.logger, "expired exports and imports", a.bulk.Expire)
	if a.watcher != nil {
		go a.watcher.Run(ctx)
		go a.follower.Run(ctx)
	}
	if !a.cfg.WebhookDelivery {
		<-ctx.Done()
		return nil
	}
	return a.Deliverer.Run(ctx)
}

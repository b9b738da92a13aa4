// Package app assembles the identity service from its parts; main and the tests both use it.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/idempotency"
	"github.com/flowkiwi/platform/pkg/metrics"
	"github.com/flowkiwi/platform/pkg/migrate"
	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/pkg/ratelimit"
	"github.com/flowkiwi/platform/pkg/readreplicas"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/identity/internal/changestream"
	"github.com/flowkiwi/platform/services/identity/internal/config"
	"github.com/flowkiwi/platform/services/identity/internal/event"
	"github.com/flowkiwi/platform/services/identity/internal/httpapi"
	"github.com/flowkiwi/platform/services/identity/internal/instance"
	"github.com/flowkiwi/platform/services/identity/internal/keys"
	"github.com/flowkiwi/platform/services/identity/internal/oauth"
	"github.com/flowkiwi/platform/services/identity/internal/organization"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
	"github.com/flowkiwi/platform/services/identity/internal/postgres"
)

// App is a wired identity service.
type App struct {
	Handler  http.Handler
	Partners *partner.Service
	Keys     *keys.Ring
	Tokens   *oauth.Issuer
	Verifier *accesstoken.Verifier
	Drain    *apiserver.Drain
	// Idempotency keeps POST outcomes for retries; ExpireEvery belongs in the serving process.
	Idempotency *idempotency.Keys
	// Changes wakes the change stream's long polls when changes commit; Run it in the serving
	// process (without it they poll every second).
	Changes *postgres.ChangeSignal
	// Replicas routes the partners' reads to standbys; Run it in the serving process.
	Replicas *readreplicas.Consistency
	store    *postgres.Store
}

// Options tune what tests need to tune.
type Options struct {
	BcryptCost int              // 0: bcrypt's default
	Tracing    *tracing.Tracing // nil: no spans
	// Standbys are the primary's streaming standbys the partners' reads may go to (none: every
	// read on the primary).
	Standbys []*pgxpool.Pool
	// ReplicaMaxLag: a standby further behind leaves the read rotation (0: 1 s).
	ReplicaMaxLag time.Duration
}

// Migrate applies the identity migrations.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate.Up(ctx, pool, identitydb.Migrations(), "schema_version")
}

// New wires the service over pool and makes sure a signing key exists.
func New(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, opts Options) (*App, error) {
	store := postgres.New(pool)
	partners := partner.NewService(store, opts.BcryptCost)
	recorder := event.NewRecorder(store, httpapi.EncodeEvent)
	orgs := organization.NewService(store, recorder)
	instances := instance.NewService(store, orgs, recorder)
	events := event.NewService(store, func(ctx context.Context, actor, org uuid.UUID, required ...permission.Permission) error {
		_, err := orgs.Authorize(ctx, actor, org, required...)
		return err
	})
	sealer, err := keys.ParseSealer(cfg.KeyEncryption)
	if err != nil {
		return nil, fmt.Errorf("IDENTITY_KEY_ENCRYPTION_KEYS: %w", err)
	}
	ring := keys.NewRing(store, keys.Policy{RotateEvery: cfg.KeyRotation, PublishLead: cfg.KeyPublishLead, TokenTTL: cfg.TokenTTL, Sealer: sealer}, nil)
	if err := ring.Rotate(ctx); err != nil {
		return nil, err
	}
	issuer := &oauth.Issuer{Clients: partners, Keys: ring, Issuer: cfg.Issuer, Audience: cfg.Audience, TTL: cfg.TokenTTL}
	m := metrics.New("identity")
	m.WatchPool(pool)
	verifier := &accesstoken.Verifier{Keys: ring, Issuer: cfg.Issuer, Audience: cfg.Audience, Cache: &accesstoken.Cache{}, Observe: m.TokenVerified,
		// One indexed lookup per request: a revoked client's tokens stop working at once.
		Active: func(ctx context.Context, p accesstoken.Principal) (bool, error) {
			return partners.Active(ctx, p.PartnerID, p.ClientID)
		}}
	drain := &apiserver.Drain{}
	idem := idempotency.New(pool, logger)
	checks := map[string]apiserver.Check{
		"draining": drain.Check,
		"database": pool.Ping,
		"signing_key": func(ctx context.Context) error {
			_, err := ring.Signing(ctx)
			return err
		},
	}
	// The partners' reads go to standbys, keeping read-your-writes (pkg/readreplicas); the access
	// check and the change stream other services read stay on the primary.
	replicas := readreplicas.NewConsistency(pool, opts.Standbys, opts.ReplicaMaxLag, logger, m.Registry)
	signal := postgres.NewChangeSignal(pool, logger)
	changes := changestream.NewService(store, signal)
	h, err := httpapi.NewHandler(&httpapi.Server{Partners: partners, Organizations: orgs, Instances: instances, Events: events, Changes: changes,
		Tokens: issuer, Keys: ring, RequestTimeout: cfg.RequestTimeout},
		httpapi.Config{Verifier: verifier, Logger: logger, Checks: checks, Metrics: m, Limiter: ratelimit.New(cfg.RateLimitRPS, cfg.RateLimitBurst), Drain: drain, Idempotency: idem, Replicas: replicas})
	if err != nil {
		return nil, err
	}
	if opts.Tracing != nil {
		h = opts.Tracing.Handler(h, "identity")
	}
	return &App{Handler: h, Partners: partners, Keys: ring, Tokens: issuer, Verifier: verifier, Drain: drain, Idempotency: idem, Changes: signal, Replicas: replicas, store: store}, nil
}

// ExpireEvents deletes organization events and stream changes older than keep, every hour until
// ctx ends.
func (a *App) ExpireEvents(ctx context.Context, keep time.Duration, logger *slog.Logger) {
	periodic.Run(ctx, time.Hour, logger, "expired organization events", func(ctx context.Context) (int64, error) {
		n, err := a.store.ExpireEvents(ctx, keep)
		if err != nil {
			return n, err
		}
		m, err := a.store.ExpireServiceChanges(ctx, keep)
		return n + m, err
	})
}

// RotateKeys keeps the key set rotating until ctx ends: each round adds a key only when one is
// due (under an advisory lock, so replicas agree), so the round at start is harmless.
func (a *App) RotateKeys(ctx context.Context, every time.Duration, logger *slog.Logger) {
	periodic.Run(ctx, every, logger, "signing key rotation", func(ctx context.Context) (int64, error) {
		return 0, a.Keys.Rotate(ctx)
	})
}

// Package config reads the product-management service's configuration from the environment.
package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/envconfig"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/services/product-management/internal/webhook"
)

// Config is the product-management service's configuration.
type Config struct {
	DatabaseURL string         // DATABASE_URL (required): product-management's own database
	Database    pgpool.Options // DB_STATEMENT_TIMEOUT, DB_ACQUIRE_TIMEOUT: bounds that turn a slow or absent database into 503s
	// DATABASE_READ_URLS: streaming standbys of DATABASE_URL's primary (comma-separated) that the
	// partners' reads go to (pkg/readreplicas); empty, everything runs on the primary.
	DatabaseReadURLs []string
	// REPLICA_MAX_LAG: a standby further behind the primary leaves the read rotation (1s).
	ReplicaMaxLag time.Duration
	HTTPAddr      string // HTTP_ADDR
	DebugAddr     string // DEBUG_ADDR: where Go's profiles are served (empty: nowhere)
	IdentityURL   string // IDENTITY_URL: base URL of the identity service
	// IDENTITY_CLIENT_ID and IDENTITY_CLIENT_SECRET: the service credential (identity service
	// create) that reads identity's change stream; unset, access narrows only as the cache expires
	// and deleted instances are purged only by hand.
	IdentityClientID, IdentityClientSecret string
	IdentityIssuer                         string        // IDENTITY_ISSUER: expected iss of tokens
	IdentityAudience                       string        // IDENTITY_AUDIENCE: expected aud of tokens
	TenantBaseDomain                       string        // TENANT_BASE_DOMAIN: instances are {handle}.{this}
	AccessCacheTTL                         time.Duration // ACCESS_CACHE_TTL: how long an access grant is trusted (at most 5s)
	RateLimitRPS                           float64       // RATE_LIMIT_RPS: requests per second per partner on average (0 disables)
	RateLimitBurst                         int           // RATE_LIMIT_BURST: requests a partner may send at once
	LogLevel                               string        // LOG_LEVEL
	DrainDelay                             time.Duration // DRAIN_DELAY: how long to keep serving (with Connection: close) after SIGTERM
	ShutdownTimeout                        time.Duration // SHUTDOWN_TIMEOUT
	RequestTimeout                         time.Duration // REQUEST_TIMEOUT: a request still running then is answered 503 with Retry-After
	// WEBHOOK_RETRY_SCHEDULE (waits before each retry, default 5s,5m,30m,2h,5h,10h,10h),
	// WEBHOOK_TIMEOUT (10s), WEBHOOK_DISABLE_AFTER (failing this long without a success deactivates
	// a subscription: 120h), WEBHOOK_DISPATCH_PERIOD (how often new events are looked for: 250ms).
	Webhooks webhook.Config
	// WEBHOOK_ALLOW_PRIVATE_TARGETS: allow http and internal addresses (development and tests only).
	WebhookAllowPrivate bool
	// WEBHOOK_DELIVERY: in-process (default) dispatches and delivers in the serving process; off
	// leaves that to `product-management deliver` processes.
	WebhookDelivery bool
	EventRetention  time.Duration // EVENT_RETENTION: how long the events feed keeps events (30 days)
	// RENDERED_PRODUCTS: how many encoded product reads (items and list members, priced or not)
	// a replica keeps with the document revision they were made from (2048, a few KiB each; 0
	// renders every read)
	RenderedProducts int
	// ITEM_READ_COALESCING: on (default) lets item reads under load share statements; off gives
	// each its own (internal/README.md).
	ItemReadCoalescing bool
	// DECODED_DOCUMENTS: how many decoded product documents a replica keeps (128; 0 decodes every
	// read's document).
	DecodedDocuments int
	// VALIDATION_VERDICTS: how many bodiless requests that passed validation a replica remembers
	// (4096; 0 validates every request in full).
	ValidationVerdicts int
	// LOCALE_CACHE_TTL: how long an instance's enabled locales are trusted once read (1s; 0 reads
	// them for every request).
	LocaleCacheTTL time.Duration
	// TOKEN_CACHE: on (default) keeps verified access tokens until their expiry (at most 1 min);
	// off verifies every request's token.
	TokenCache bool
}

// FromEnv reads the configuration, reporting every problem at once.
func FromEnv(getenv func(string) string) (Config, error) {
	return read(envconfig.New(getenv))
}

// Variables lists every setting FromEnv reads, with its default: what --help prints.
func Variables() []envconfig.Var {
	return envconfig.Describe(func(r *envconfig.Reader) { _, _ = read(r) })
}

func read(r *envconfig.Reader) (Config, error) {
	c := Config{
		DatabaseURL: r.String("DATABASE_URL", ""),
		Database: pgpool.Options{
			StatementTimeout: r.Duration("DB_STATEMENT_TIMEOUT", pgpool.DefaultStatementTimeout),
			AcquireTimeout:   r.Duration("DB_ACQUIRE_TIMEOUT", pgpool.DefaultAcquireTimeout),
		},
		DatabaseReadURLs:     r.List("DATABASE_READ_URLS"),
		ReplicaMaxLag:        r.Duration("REPLICA_MAX_LAG", time.Second),
		HTTPAddr:             r.String("HTTP_ADDR", "127.0.0.1:8081"),
		DebugAddr:            r.String("DEBUG_ADDR", ""),
		IdentityURL:          strings.TrimSuffix(r.String("IDENTITY_URL", "http://127.0.0.1:8080"), "/"),
		IdentityClientID:     r.String("IDENTITY_CLIENT_ID", ""),
		IdentityClientSecret: r.String("IDENTITY_CLIENT_SECRET", ""),
		IdentityIssuer:       r.String("IDENTITY_ISSUER", ""),
		IdentityAudience:     r.String("IDENTITY_AUDIENCE", "https://api.flowkiwi.net"),
		TenantBaseDomain:     strings.TrimPrefix(r.String("TENANT_BASE_DOMAIN", "product-management.localhost"), "."),
		AccessCacheTTL:       r.Duration("ACCESS_CACHE_TTL", 4*time.Second),
		RateLimitRPS:         r.Float("RATE_LIMIT_RPS", 50, 0, 1e6),
		RateLimitBurst:       int(r.Float("RATE_LIMIT_BURST", 100, 1, 1e6)),
		LogLevel:             r.LogLevel(),
		DrainDelay:           r.DurationOrZero("DRAIN_DELAY", 2*time.Second),
		ShutdownTimeout:      r.Duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		RequestTimeout:       r.Duration("REQUEST_TIMEOUT", apiserver.DefaultRequestTimeout),
	}
	c.Webhooks = webhook.DefaultConfig()
	if v := r.String("WEBHOOK_RETRY_SCHEDULE", ""); v != "" {
		sched, err := webhook.ParseSchedule(v)
		if err != nil {
			r.Fail("WEBHOOK_RETRY_SCHEDULE: %v", err)
		}
		c.Webhooks.Schedule = sched
	}
	c.Webhooks.Timeout = r.Duration("WEBHOOK_TIMEOUT", c.Webhooks.Timeout)
	c.Webhooks.DisableAfter = r.Duration("WEBHOOK_DISABLE_AFTER", c.Webhooks.DisableAfter)
	c.Webhooks.PollEvery = r.Duration("WEBHOOK_DISPATCH_PERIOD", c.Webhooks.PollEvery)
	switch v := r.String("WEBHOOK_ALLOW_PRIVATE_TARGETS", "false"); v {
	case "true", "1":
		c.WebhookAllowPrivate = true
	case "false", "0", "":
	default:
		r.Fail("WEBHOOK_ALLOW_PRIVATE_TARGETS=%q: want true or false", v)
	}
	switch v := r.String("WEBHOOK_DELIVERY", "in-process"); v {
	case "in-process":
		c.WebhookDelivery = true
	case "off":
	default:
		r.Fail("WEBHOOK_DELIVERY=%q: want in-process or off", v)
	}
	c.EventRetention = r.Duration("EVENT_RETENTION", 30*24*time.Hour)
	c.RenderedProducts = int(r.Float("RENDERED_PRODUCTS", 2048, 0, 1e6))
	switch v := r.String("ITEM_READ_COALESCING", "on"); v {
	case "on":
		c.ItemReadCoalescing = true
	case "off":
	default:
		r.Fail("ITEM_READ_COALESCING=%q: want on or off", v)
	}
	c.DecodedDocuments = int(r.Float("DECODED_DOCUMENTS", 128, 0, 1e5))
	c.ValidationVerdicts = int(r.Float("VALIDATION_VERDICTS", 4096, 0, 1e6))
	c.LocaleCacheTTL = r.DurationOrZero("LOCALE_CACHE_TTL", time.Second)
	if c.LocaleCacheTTL > 5*time.Second {
		r.Fail("LOCALE_CACHE_TTL must be at most 5s: a locale disabled on one replica must be refused by all soon")
	}
	switch v := r.String("TOKEN_CACHE", "on"); v {
	case "on":
		c.TokenCache = true
	case "off":
	default:
		r.Fail("TOKEN_CACHE=%q: want on or off", v)
	}
	if c.DatabaseURL == "" {
		r.Fail("DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/product_management?sslmode=disable")
	}
	if (c.IdentityClientID == "") != (c.IdentityClientSecret == "") {
		r.Fail("IDENTITY_CLIENT_ID and IDENTITY_CLIENT_SECRET go together (the output of identity service create)")
	}
	if u, err := url.Parse(c.IdentityURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.Fail("IDENTITY_URL=%q: want an http(s) URL", c.IdentityURL)
	}
	if c.AccessCacheTTL > 5*time.Second {
		r.Fail("ACCESS_CACHE_TTL must be at most 5s: a transfer must revoke access within five seconds")
	}
	return c, r.Err()
}

// Package config reads the identity service's configuration from the environment.
package config

import (
	"time"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/envconfig"
	"github.com/flowkiwi/platform/pkg/pgpool"
)

// Config is the identity service's configuration.
type Config struct {
	DatabaseURL string         // DATABASE_URL (required)
	Database    pgpool.Options // DB_STATEMENT_TIMEOUT, DB_ACQUIRE_TIMEOUT: bounds that turn a slow or absent database into 503s
	// DATABASE_READ_URLS: streaming standbys of DATABASE_URL's primary (comma-separated) that the
	// partners' reads go to (pkg/readreplicas); empty, everything runs on the primary.
	DatabaseReadURLs []string
	// REPLICA_MAX_LAG: a standby further behind the primary leaves the read rotation (1s).
	ReplicaMaxLag   time.Duration
	HTTPAddr        string        // HTTP_ADDR
	Issuer          string        // IDENTITY_ISSUER: the iss of tokens
	Audience        string        // IDENTITY_AUDIENCE: the aud of tokens
	TokenTTL        time.Duration // IDENTITY_TOKEN_TTL
	KeyRotation     time.Duration // IDENTITY_KEY_ROTATION: how long a signing key signs
	KeyPublishLead  time.Duration // IDENTITY_KEY_PUBLISH_LEAD: how long a key is published before it signs
	KeyEncryption   string        // IDENTITY_KEY_ENCRYPTION_KEYS: base64 32-byte KEKs sealing signing keys at rest, newest first
	RateLimitRPS    float64       // RATE_LIMIT_RPS: requests per second per partner on average (0 disables)
	RateLimitBurst  int           // RATE_LIMIT_BURST: requests a partner may send at once
	LogLevel        string        // LOG_LEVEL: debug, info, warn, error
	DrainDelay      time.Duration // DRAIN_DELAY: how long to keep serving (with Connection: close) after SIGTERM
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT: how long in-flight requests may finish
	RequestTimeout  time.Duration // REQUEST_TIMEOUT: a request still running then is answered 503 with Retry-After
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
		DatabaseReadURLs: r.List("DATABASE_READ_URLS"),
		ReplicaMaxLag:    r.Duration("REPLICA_MAX_LAG", time.Second),
		HTTPAddr:         r.String("HTTP_ADDR", "127.0.0.1:8080"),
		Issuer:           r.String("IDENTITY_ISSUER", "http://127.0.0.1:8080"),
		Audience:         r.String("IDENTITY_AUDIENCE", "https://api.flowkiwi.net"),
		TokenTTL:         r.Duration("IDENTITY_TOKEN_TTL", 15*time.Minute),
		KeyRotation:      r.Duration("IDENTITY_KEY_ROTATION", 30*24*time.Hour),
		KeyPublishLead:   r.Duration("IDENTITY_KEY_PUBLISH_LEAD", time.Hour),
		KeyEncryption:    r.String("IDENTITY_KEY_ENCRYPTION_KEYS", ""),
		RateLimitRPS:     r.Float("RATE_LIMIT_RPS", 50, 0, 1e6),
		RateLimitBurst:   int(r.Float("RATE_LIMIT_BURST", 100, 1, 1e6)),
		LogLevel:         r.LogLevel(),
		DrainDelay:       r.DurationOrZero("DRAIN_DELAY", 2*time.Second),
		ShutdownTimeout:  r.Duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		RequestTimeout:   r.Duration("REQUEST_TIMEOUT", apiserver.DefaultRequestTimeout),
	}
	if c.DatabaseURL == "" {
		r.Fail("DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/identity?sslmode=disable")
	}
	if c.KeyPublishLead >= c.KeyRotation {
		r.Fail("IDENTITY_KEY_PUBLISH_LEAD must be shorter than IDENTITY_KEY_ROTATION")
	}
	return c, r.Err()
}

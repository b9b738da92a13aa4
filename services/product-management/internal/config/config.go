// Package config reads the product-management service's configuration from the environment.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the product-management service's configuration.
type Config struct {
	DatabaseURL      string        // DATABASE_URL (required): product-management's own database
	HTTPAddr         string        // HTTP_ADDR
	IdentityURL      string        // IDENTITY_URL: base URL of the identity service
	IdentityIssuer   string        // IDENTITY_ISSUER: expected iss of tokens
	IdentityAudience string        // IDENTITY_AUDIENCE: expected aud of tokens
	TenantBaseDomain string        // TENANT_BASE_DOMAIN: instances are {handle}.{this}
	AccessCacheTTL   time.Duration // ACCESS_CACHE_TTL: how long an access grant is trusted (at most 5s)
	RateLimitRPS     float64       // RATE_LIMIT_RPS: requests per second per partner on average (0 disables)
	RateLimitBurst   int           // RATE_LIMIT_BURST: requests a partner may send at once
	LogLevel         string        // LOG_LEVEL
	DrainDelay       time.Duration // DRAIN_DELAY: how long to keep serving (with Connection: close) after SIGTERM
	ShutdownTimeout  time.Duration // SHUTDOWN_TIMEOUT
}

// FromEnv reads the configuration, reporting every problem at once.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var errs []error
	str := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 5s", name, v))
			return def
		}
		return d
	}
	durZero := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 2s (0 for none)", name, v))
			return def
		}
		return d
	}
	num := func(name string, def float64) float64 {
		v := getenv(name)
		if v == "" {
			return def
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1e6 {
			errs = append(errs, fmt.Errorf("%s=%q: want a number from 0 to 1000000", name, v))
			return def
		}
		return f
	}
	c := Config{
		DatabaseURL:      str("DATABASE_URL", ""),
		HTTPAddr:         str("HTTP_ADDR", "127.0.0.1:8081"),
		IdentityURL:      strings.TrimSuffix(str("IDENTITY_URL", "http://127.0.0.1:8080"), "/"),
		IdentityIssuer:   str("IDENTITY_ISSUER", "http://127.0.0.1:8080"),
		IdentityAudience: str("IDENTITY_AUDIENCE", "https://api.flowkiwi.net"),
		TenantBaseDomain: strings.TrimPrefix(str("TENANT_BASE_DOMAIN", "product-management.localhost"), "."),
		AccessCacheTTL:   dur("ACCESS_CACHE_TTL", 4*time.Second),
		LogLevel:         str("LOG_LEVEL", "info"),
		DrainDelay:       durZero("DRAIN_DELAY", 2*time.Second),
		ShutdownTimeout:  dur("SHUTDOWN_TIMEOUT", 20*time.Second),
	}
	c.RateLimitRPS = num("RATE_LIMIT_RPS", 50)
	c.RateLimitBurst = int(num("RATE_LIMIT_BURST", 100))
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/product_management?sslmode=disable"))
	}
	if u, err := url.Parse(c.IdentityURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("IDENTITY_URL=%q: want an http(s) URL", c.IdentityURL))
	}
	if c.AccessCacheTTL > 5*time.Second {
		errs = append(errs, errors.New("ACCESS_CACHE_TTL must be at most 5s: a transfer must revoke access within five seconds"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

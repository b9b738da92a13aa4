// Package config reads the identity service's configuration from the environment.
package config

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the identity service's configuration.
type Config struct {
	DatabaseURL     string        // DATABASE_URL (required)
	HTTPAddr        string        // HTTP_ADDR
	Issuer          string        // IDENTITY_ISSUER: the iss of tokens
	Audience        string        // IDENTITY_AUDIENCE: the aud of tokens
	TokenTTL        time.Duration // IDENTITY_TOKEN_TTL
	KeyRotation     time.Duration // IDENTITY_KEY_ROTATION: how long a signing key signs
	KeyPublishLead  time.Duration // IDENTITY_KEY_PUBLISH_LEAD: how long a key is published before it signs
	RateLimitRPS    float64       // RATE_LIMIT_RPS: requests per second per partner on average (0 disables)
	RateLimitBurst  int           // RATE_LIMIT_BURST: requests a partner may send at once
	LogLevel        string        // LOG_LEVEL: debug, info, warn, error
	DrainDelay      time.Duration // DRAIN_DELAY: how long to keep serving (with Connection: close) after SIGTERM
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT: how long in-flight requests may finish
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
			errs = append(errs, fmt.Errorf("%s=%q: want a positive duration such as 15m or 720h", name, v))
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
		DatabaseURL:     str("DATABASE_URL", ""),
		HTTPAddr:        str("HTTP_ADDR", "127.0.0.1:8080"),
		Issuer:          str("IDENTITY_ISSUER", "http://127.0.0.1:8080"),
		Audience:        str("IDENTITY_AUDIENCE", "https://api.flowkiwi.net"),
		TokenTTL:        dur("IDENTITY_TOKEN_TTL", 15*time.Minute),
		KeyRotation:     dur("IDENTITY_KEY_ROTATION", 30*24*time.Hour),
		KeyPublishLead:  dur("IDENTITY_KEY_PUBLISH_LEAD", time.Hour),
		LogLevel:        str("LOG_LEVEL", "info"),
		DrainDelay:      durZero("DRAIN_DELAY", 2*time.Second),
		ShutdownTimeout: dur("SHUTDOWN_TIMEOUT", 20*time.Second),
	}
	c.RateLimitRPS = num("RATE_LIMIT_RPS", 50)
	c.RateLimitBurst = int(num("RATE_LIMIT_BURST", 100))
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required, e.g. postgres://postgres@127.0.0.1:5432/identity?sslmode=disable"))
	}
	if c.KeyPublishLead >= c.KeyRotation {
		errs = append(errs, errors.New("IDENTITY_KEY_PUBLISH_LEAD must be shorter than IDENTITY_KEY_ROTATION"))
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

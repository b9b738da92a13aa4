package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/flowkiwi/platform/services/identity/internal/config"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		env     map[string]string
		wantErr []string // substrings of the error; nil for success
	}{
		{"defaults", map[string]string{"DATABASE_URL": "postgres://x"}, nil},
		{"missing database", map[string]string{}, []string{"DATABASE_URL is required"}},
		{"every problem at once", map[string]string{"IDENTITY_TOKEN_TTL": "soon", "LOG_LEVEL": "loud", "RATE_LIMIT_RPS": "-1"},
			[]string{"DATABASE_URL", "IDENTITY_TOKEN_TTL", "LOG_LEVEL", "RATE_LIMIT_RPS"}},
		{"publish lead longer than rotation", map[string]string{"DATABASE_URL": "postgres://x", "IDENTITY_KEY_ROTATION": "1h", "IDENTITY_KEY_PUBLISH_LEAD": "2h"},
			[]string{"IDENTITY_KEY_PUBLISH_LEAD"}},
		{"zero drain delay is allowed", map[string]string{"DATABASE_URL": "postgres://x", "DRAIN_DELAY": "0s"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.FromEnv(func(k string) string { return tc.env[k] })
			if tc.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if c.HTTPAddr != "127.0.0.1:8080" || c.TokenTTL != 15*time.Minute || c.Issuer != "http://127.0.0.1:8080" {
					t.Fatalf("defaults = %+v", c)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %s", err, w)
				}
			}
		})
	}
}

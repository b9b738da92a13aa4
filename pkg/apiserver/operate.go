package apiserver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/apidocs"
)

// Check is one readiness condition (database reachable, keys loaded...).
type Check func(ctx context.Context) error

// DegradedError is a check's answer that /readyz reports without failing: the process serves
// correctly, and an operator should look (identity's change stream lagging, say). Failing
// readiness for it would take every replica out of service at once.
type DegradedError struct{ Reason string }

func (e *DegradedError) Error() string { return e.Reason }

// Degraded is a check's DegradedError.
func Degraded(format string, args ...any) error {
	return &DegradedError{Reason: fmt.Sprintf(format, args...)}
}

// Operations mounts what operators and partners need besides the API, outside its authentication:
// GET / (links to everything below and to links), GET /healthz (the process serves), GET /readyz
// (every check passes), GET /metrics (when metrics is not nil), GET /openapi.yaml (spec: the
// contract as the repository writes it, bundled at generate time) and GET /docs (an API reference
// page for it).
func Operations(e *echo.Echo, title string, spec []byte, links map[string]string, checks map[string]Check, metrics http.Handler) error {
	if len(spec) == 0 {
		return errors.New("apiserver: no published contract")
	}
	if metrics != nil {
		e.GET("/metrics", echo.WrapHandler(metrics))
	}
	apidocs.Mount(e, title)
	index := map[string]string{"docs": "/docs", "openapi": "/openapi.yaml", "health": "/healthz", "ready": "/readyz"}
	if metrics != nil {
		index["metrics"] = "/metrics"
	}
	maps.Copy(index, links)
	e.GET("/", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]any{"service": title, "links": index})
	})
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		status, results, degraded := http.StatusOK, map[string]string{}, false
		for name, check := range checks {
			err := check(ctx)
			var d *DegradedError
			switch {
			case errors.As(err, &d):
				results[name], degraded = "degraded: "+d.Reason, true
			case err != nil:
				status, results[name] = http.StatusServiceUnavailable, "failing"
			default:
				results[name] = "ok"
			}
		}
		word := "ready"
		switch {
		case status != http.StatusOK:
			word = "not ready"
		case degraded:
			word = "ready, degraded"
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(status, map[string]any{"status": word, "checks": results})
	})
	e.GET("/openapi.yaml", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return c.Blob(http.StatusOK, "application/yaml", spec)
	})
	return nil
}

package apiserver

import (
	"context"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/flowkiwi/platform/pkg/apidocs"
	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"
)

// Check is one readiness condition (database reachable, keys loaded...).
type Check func(ctx context.Context) error

// Operations mounts what operators and partners need besides the API, outside its authentication:
// GET /healthz (the process serves), GET /readyz (every check passes), GET /metrics (when metrics
// is not nil), GET /openapi.yaml (the contract this binary implements, references inlined) and
// GET /docs (an API reference page for it).
func Operations(e *echo.Echo, spec *openapi3.T, checks map[string]Check, metrics http.Handler) error {
	if metrics != nil {
		e.GET("/metrics", echo.WrapHandler(metrics))
	}
	apidocs.Mount(e, spec.Info.Title)
	// The generated GetSpec already inlines common.yaml (as common_* components); this makes sure no
	// external reference is left for a reader without our files.
	spec.InternalizeRefs(context.Background(), nil)
	published, err := yaml.Marshal(spec)
	if err != nil {
		return err
	}
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		status, results := http.StatusOK, map[string]string{}
		for name, check := range checks {
			if err := check(ctx); err != nil {
				status, results[name] = http.StatusServiceUnavailable, "failing"
				continue
			}
			results[name] = "ok"
		}
		word := "ready"
		if status != http.StatusOK {
			word = "not ready"
		}
		c.Response().Header().Set("Cache-Control", "no-store")
		return c.JSON(status, map[string]any{"status": word, "checks": results})
	})
	e.GET("/openapi.yaml", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return c.Blob(http.StatusOK, "application/yaml", published)
	})
	return nil
}

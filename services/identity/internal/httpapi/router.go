package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/idempotency"
	"github.com/flowkiwi/platform/pkg/metrics"
	"github.com/flowkiwi/platform/pkg/problem"
	"github.com/flowkiwi/platform/pkg/ratelimit"
	"github.com/flowkiwi/platform/pkg/readreplicas"
	"github.com/flowkiwi/platform/pkg/requestvalidation"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/identity/internal/api"
)

// publicRoutes need no bearer token.
var publicRoutes = map[string]bool{
	"POST /oauth/token":                           true,
	"GET /.well-known/jwks.json":                  true,
	"GET /.well-known/oauth-authorization-server": true,
}

// Config is what NewHandler wires around the Server.
type Config struct {
	Verifier    *accesstoken.Verifier      // the access tokens identity issues
	Logger      *slog.Logger               // request logs and problems
	Checks      map[string]apiserver.Check // what /readyz asks
	Metrics     *metrics.Metrics
	Limiter     *ratelimit.Limiter // per partner
	Drain       *apiserver.Drain   // readiness and Connection: close during shutdown
	Idempotency *idempotency.Keys
	// Replicas sends the partners' reads to standbys and gives their answers consistency tokens
	// (nil: everything on the primary, no tokens).
	Replicas *readreplicas.Consistency
}

// NewHandler wires the Echo router: request ids and logs, authentication, request validation
// against the embedded spec, then the strict handlers.
func NewHandler(s *Server, cfg Config) (http.Handler, error) {
	logger := cfg.Logger
	doc, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	doc.Servers = nil
	validator := requestvalidation.New(doc)
	e := apiserver.New(logger, problem.Writer{Logger: logger}, cfg.Metrics.Middleware, cfg.Drain.Middleware, apiserver.DeadlineBy(func(c echo.Context) time.Duration { return validator.Timeout(c, s.RequestTimeout) }), tracing.RouteName)
	// Unknown routes skip authentication so they answer 404, not 401.
	public := func(c echo.Context) bool {
		return publicRoutes[c.Request().Method+" "+c.Path()] || !validator.Covers(c)
	}
	if cfg.Replicas != nil {
		cfg.Replicas.Applies = func(c echo.Context) bool { return !public(c) && replicated(c.Path()) }
	}
	e.Use(accesstoken.Middleware(cfg.Verifier, public), cfg.Limiter.Middleware, oauthErrors(logger), cfg.Replicas.Middleware(),
		cfg.Idempotency.Middleware(partnerScope), validator.Middleware(), keepRequest)
	api.RegisterHandlers(e, api.NewStrictHandler(s, nil))
	if err := apiserver.Operations(e, doc.Info.Title, api.Published, map[string]string{"metadata": "/.well-known/oauth-authorization-server", "jwks": "/.well-known/jwks.json", "token": "/oauth/token"}, cfg.Checks, cfg.Metrics.Handler()); err != nil {
		return nil, err
	}
	return e, nil
}

// replicated reports the routes whose reads may go to standbys and whose answers carry consistency
// tokens: the partners' own resources. The access check (/access) and the change stream
// (/internal) that other services read stay on the primary: a revocation must reach them at once.
func replicated(route string) bool {
	return strings.HasPrefix(route, "/partners") || strings.HasPrefix(route, "/organizations") || route == "/roles"
}

func keepRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(WithRequest(r.Context(), r)))
		return next(c)
	}
}

// partnerScope: a partner's idempotency keys are its own (unauthenticated requests have none).
func partnerScope(c echo.Context) (string, bool) {
	p, ok := accesstoken.FromContext(c.Request().Context())
	return p.PartnerID.String(), ok
}

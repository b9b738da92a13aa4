package httpapi

import (
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
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
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
)

// Config is what NewHandler wires around the Server.
type Config struct {
	BaseDomain  string                     // instances are {handle}.BaseDomain
	Verifier    *accesstoken.Verifier      // identity's access tokens
	Access      tenant.Checker             // may the caller act as the organization on the instance
	Logger      *slog.Logger               // request logs and problems
	Checks      map[string]apiserver.Check // what /readyz asks
	Metrics     *metrics.Metrics
	Limiter     *ratelimit.Limiter // per partner
	Drain       *apiserver.Drain   // readiness and Connection: close during shutdown
	Idempotency *idempotency.Keys
	// ValidationVerdicts is how many requests that passed validation are remembered (0: none).
	ValidationVerdicts int
	// Replicas sends the partners' reads to standbys and gives every answer its consistency token
	// (nil: everything on the primary, no tokens).
	Replicas *readreplicas.Consistency
}

// NewHandler wires the Echo router: request ids and logs, the Link to the API documentation,
// tenancy (host, token, organization, access; not for the public operations), request validation
// against the embedded spec, then the strict handlers.
func NewHandler(s *Server, cfg Config) (http.Handler, error) {
	logger, keys := cfg.Logger, cfg.Idempotency
	doc, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	doc.Servers = nil
	if s.ld, err = newLinkedData(doc); err != nil {
		return nil, err
	}
	if s.RenderedProducts > 0 {
		s.rendered = newRenderedCache(s.RenderedProducts)
	}
	validator := requestvalidation.New(doc, requestvalidation.WithVerdicts(cfg.ValidationVerdicts))
	public := publicOperations(doc)
	isPublic := func(c echo.Context) bool { return public[c.Request().Method+" "+c.Path()] }
	tenanted := func(c echo.Context) bool { return validator.Covers(c) && !isPublic(c) }
	deadline := apiserver.DeadlineBy(func(c echo.Context) time.Duration { return validator.Timeout(c, s.RequestTimeout) })
	keys.BodyLimit = validator.Limit
	e := apiserver.New(logger, problem.Writer{Logger: logger, Decorate: jsonLD}, linkDocs, cfg.Metrics.Middleware, cfg.Drain.Middleware, deadline, tracing.RouteName)
	if cfg.Replicas != nil {
		cfg.Replicas.Applies = tenanted
	}
	// Replicas comes before the idempotency keys, so a replayed write's answer gets a token too (a
	// malformed token reads as none there; validation refuses it next).
	e.Use(tenant.Middleware(cfg.BaseDomain, cfg.Verifier, cfg.Access, tenanted, cfg.Limiter.Middleware), cfg.Replicas.Middleware(),
		keys.Middleware(instanceScope), validator.Middleware(), keepQuery, keepOrigin(isPublic))
	api.RegisterHandlers(e, api.NewStrictHandler(s, []api.StrictMiddlewareFunc{placeParams}))
	if err := apiserver.Operations(e, doc.Info.Title, api.Published, map[string]string{"apiDocumentation": iri.Docs}, cfg.Checks, cfg.Metrics.Handler()); err != nil {
		return nil, err
	}
	return e, nil
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// publicOperations finds the operations the spec declares public (security: []): the JSON-LD
// contexts, the API documentation and the entrypoint, the same on every host. They skip tenancy
// (no host, token, organization or access check, hence no partner's rate limit: like /openapi.yaml,
// they are prepared documents) and get the request's origin, for their vocabulary. The keys are
// method and Echo route ("GET /rest/api/contexts/:type").
func publicOperations(doc *openapi3.T) map[string]bool {
	public := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				public[method+" "+pathParam.ReplaceAllString(path, ":$1")] = true
			}
		}
	}
	return public
}

// instanceScope: idempotency keys are a partner's on one instance.
func instanceScope(c echo.Context) (string, bool) {
	t, err := tenant.FromContext(c.Request().Context())
	if err != nil {
		return "", false
	}
	return t.PartnerID.String() + "/" + t.InstanceID.String(), true
}

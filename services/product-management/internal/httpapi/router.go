package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/metrics"
	"github.com/flowkiwi/platform/pkg/problem"
	"github.com/flowkiwi/platform/pkg/ratelimit"
	"github.com/flowkiwi/platform/pkg/requestvalidation"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
)

// NewHandler wires the Echo router: request ids and logs, tenancy (host, token, organization,
// access), request validation against the embedded spec, then the strict handlers.
func NewHandler(s *Server, baseDomain string, verifier *accesstoken.Verifier, checker tenant.Checker, logger *slog.Logger, checks map[string]apiserver.Check, m *metrics.Metrics, limiter *ratelimit.Limiter, drain *apiserver.Drain) (http.Handler, error) {
	doc, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	doc.Servers = nil
	validator := requestvalidation.New(doc)
	e := apiserver.New(logger, problem.Writer{Logger: logger, Decorate: jsonLD}, m.Middleware, drain.Middleware, tracing.RouteName)
	e.Use(tenant.Middleware(baseDomain, verifier, checker, validator.Covers, limiter.Middleware), validator.Middleware(), keepQuery)
	api.RegisterHandlers(e, api.NewStrictHandler(s, []api.StrictMiddlewareFunc{placeParams}))
	published, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	if err := apiserver.Operations(e, published, checks, m.Handler()); err != nil {
		return nil, err
	}
	return e, nil
}

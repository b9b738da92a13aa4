package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/accesstoken"
	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/metrics"
	"github.com/flowkiwi/platform/pkg/problem"
	"github.com/flowkiwi/platform/pkg/ratelimit"
	"github.com/flowkiwi/platform/pkg/requestvalidation"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
)

// jsonLD gives problem documents their JSON-LD members, as API Platform does.
func jsonLD(p *common.Problem) {
	ctx, id, typ := "/rest/api/contexts/Error", "/rest/api/errors/"+strconv.Itoa(p.Status), "Error"
	if p.Status == http.StatusUnprocessableEntity {
		ctx, id, typ = "/rest/api/contexts/ConstraintViolation", "/rest/api/validation_errors/"+strconv.Itoa(p.Status), "ConstraintViolation"
	}
	p.LdContext, p.LdID, p.LdType = &ctx, &id, &typ
}

type queryKey struct{}

// requestQuery returns the query of the request being served (for Hydra view links).
func requestQuery(ctx context.Context) url.Values {
	q, _ := ctx.Value(queryKey{}).(url.Values)
	return q
}

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
	api.RegisterHandlers(e, api.NewStrictHandler(s, nil))
	published, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	if err := apiserver.Operations(e, published, checks, m.Handler()); err != nil {
		return nil, err
	}
	return e, nil
}

func keepQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), queryKey{}, r.URL.Query())))
		return next(c)
	}
}

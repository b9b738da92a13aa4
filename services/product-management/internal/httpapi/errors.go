package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

// problemNode is the @id of every problem document: a blank node, since a problem is an answer,
// not a resource with an address of its own (API Platform's /errors/{status} would have to be
// served, and would name a status, not the occurrence).
const problemNode = "_:problem"

// jsonLD gives problem documents their JSON-LD members, as API Platform does.
func jsonLD(p *common.Problem) {
	ctx, id, typ := iri.Context("Error"), problemNode, "Error"
	if p.Status == http.StatusUnprocessableEntity {
		ctx, typ = iri.Context("ConstraintViolation"), "ConstraintViolation"
	}
	p.LdContext, p.LdID, p.LdType = &ctx, &id, &typ
}

// paramPaths says where each parameter the catalog names in a 400 travels.
var paramPaths = map[string]string{
	catalog.ParamLocale:         "header.X-Flowkiwi-Locale",
	catalog.ParamCursor:         "query.cursor",
	catalog.ParamResolveChannel: "query.resolveContext[channel]",
}

// placeParams is a strict middleware that rewrites the catalog's parameter names in the
// violations of a 400 into their place in the request.
func placeParams(f api.StrictHandlerFunc, _ string) api.StrictHandlerFunc {
	return func(ctx echo.Context, request any) (any, error) {
		resp, err := f(ctx, request)
		if fault.Is(err, fault.KindBadRequest) {
			fault.Map(err, func(p string) string {
				if to, ok := paramPaths[p]; ok {
					return to
				}
				return p
			})
		}
		return resp, err
	}
}

// badQuery is a 400 naming a query parameter.
func badQuery(name, msg string) error {
	return &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: "query." + name, Code: "invalid_parameter", Message: msg}}}
}

type queryKey struct{}

// requestQuery returns the query of the request being served (for Hydra view links).
func requestQuery(ctx context.Context) url.Values {
	q, _ := ctx.Value(queryKey{}).(url.Values)
	return q
}

func keepQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(context.WithValue(r.Context(), queryKey{}, r.URL.Query())))
		return next(c)
	}
}

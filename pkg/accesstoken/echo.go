package accesstoken

import (
	"errors"
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/fault"
)

// Middleware authenticates requests with a bearer token and puts the Principal on the request
// context (the strict handlers see the request context, not echo.Context). Requests for which
// public returns true pass without a token.
func Middleware(v *Verifier, public func(c echo.Context) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if public != nil && public(c) {
				return next(c)
			}
			req := c.Request()
			raw, ok := BearerToken(req.Header.Get("Authorization"))
			if !ok {
				return fault.Unauthenticated("a bearer token is required")
			}
			p, err := v.Verify(req.Context(), raw)
			if errors.Is(err, ErrKeysUnavailable) {
				return &fault.Error{Kind: fault.KindUnavailable, Detail: "the token cannot be verified right now; retry shortly", RetryAfter: time.Second, Err: err}
			}
			if err != nil {
				return &fault.Error{Kind: fault.KindUnauthenticated, Detail: "the access token is invalid or expired", Err: err}
			}
			c.SetRequest(req.WithContext(WithPrincipal(req.Context(), p)))
			apiserver.AddLogAttrs(c, slog.String("partner_id", p.PartnerID.String()))
			return next(c)
		}
	}
}

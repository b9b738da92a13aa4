package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/problem"
	"github.com/flowkiwi/platform/services/identity/internal/api"
)

// oauthErrors answers every failure of the token endpoint as an RFC 6749 §5.2 error document:
// OAuth clients read those, not problem documents, whether the body was unreadable, the content
// type wrong, the client throttled or the database away.
func oauthErrors(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if c.Request().Method != http.MethodPost || c.Path() != "/oauth/token" {
				return next(c)
			}
			err := next(c)
			if err == nil || c.Response().Committed {
				return err
			}
			f := problem.Fault(problem.FromEcho(err))
			status, code := http.StatusBadRequest, api.InvalidRequest
			switch f.Kind {
			case fault.KindUnauthenticated:
				status, code = http.StatusUnauthorized, api.InvalidClient
			case fault.KindRateLimited:
				status, code = http.StatusTooManyRequests, api.SlowDown
			case fault.KindUnavailable:
				status, code = http.StatusServiceUnavailable, api.TemporarilyUnavailable
			case fault.KindInternal:
				status, code = http.StatusInternalServerError, api.ServerError
				logger.ErrorContext(c.Request().Context(), "token request failed", "error", err.Error())
			}
			desc := problem.From(f).Detail
			problem.ErrorHeaders(c.Response().Header(), f, status)
			return c.JSON(status, api.OAuthError{Error: code, ErrorDescription: desc})
		}
	}
}

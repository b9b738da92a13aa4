// Package apiserver builds the Echo instance every Flowkiwi service starts from: problem-details
// errors, panic recovery, request ids and one structured log line per request.
package apiserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/problem"
)

// RequestIDHeader carries the request id, accepted from the client or generated.
const RequestIDHeader = "X-Request-Id"

// New returns an Echo instance whose every error is a problem document written by pw. outer
// middlewares (metrics) run around the access log, so they see the final status.
func New(logger *slog.Logger, pw problem.Writer, outer ...echo.MiddlewareFunc) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = pw.EchoErrorHandler
	e.Use(requestID)
	e.Use(outer...)
	e.Use(accessLog(logger), recoverPanics(logger))
	return e
}

func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(RequestIDHeader)
		if id == "" || len(id) > 128 {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Response().Header().Set(RequestIDHeader, id)
		c.Set(RequestIDHeader, id)
		return next(c)
	}
}

const logAttrsKey = "apiserver.log-attrs"

// AddLogAttrs adds attributes (tenant, organization, partner...) to the request's access-log line.
func AddLogAttrs(c echo.Context, attrs ...slog.Attr) {
	prev, _ := c.Get(logAttrsKey).([]slog.Attr)
	c.Set(logAttrsKey, append(prev, attrs...))
}

func accessLog(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the problem now, so the logged status is the one sent
			}
			req := c.Request()
			attrs := []slog.Attr{
				slog.String("request_id", c.Response().Header().Get(RequestIDHeader)),
				slog.String("method", req.Method),
				slog.String("route", c.Path()),
				slog.Int("status", c.Response().Status),
				slog.Duration("latency", time.Since(start)),
			}
			if extra, ok := c.Get(logAttrsKey).([]slog.Attr); ok {
				attrs = append(attrs, extra...)
			}
			logger.LogAttrs(req.Context(), slog.LevelInfo, "request", attrs...)
			return nil
		}
	}
}

func recoverPanics(logger *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if r := recover(); r != nil {
					if r == http.ErrAbortHandler {
						panic(r)
					}
					logger.Error("panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					err = fault.Internal(fmt.Errorf("panic: %v", r))
				}
			}()
			return next(c)
		}
	}
}

// DefaultRequestTimeout is how long a request may take by default (REQUEST_TIMEOUT).
const DefaultRequestTimeout = 10 * time.Second

// Deadline bounds each request's work: its context ends after d (0: no bound), so a statement, a
// wait for a connection or a call to another service still running then gives up, and the
// request is answered 503 with Retry-After instead of hanging on a database or a dependency that
// does not answer (a blackholed network, a stopped server).
func Deadline(d time.Duration) echo.MiddlewareFunc {
	return DeadlineBy(func(echo.Context) time.Duration { return d })
}

// DeadlineBy is Deadline with each route's own bound (0: none): an upload of a large file needs
// longer than a read.
func DeadlineBy(bound func(c echo.Context) time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			d := bound(c)
			if d <= 0 {
				return next(c)
			}
			req := c.Request()
			ctx, cancel := context.WithTimeout(req.Context(), d)
			defer cancel()
			c.SetRequest(req.WithContext(ctx))
			return PastDeadline(ctx, next(c))
		}
	}
}

// PastDeadline is err as answered once ctx's deadline has passed: an error of no kind of its own
// (internal) is then the request running out of time, a 503 with Retry-After. Middlewares that
// render a handler's error themselves (idempotency) pass it through this first.
func PastDeadline(ctx context.Context, err error) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && fault.KindOf(err) == fault.KindInternal {
		u := fault.Unavailable(time.Second, "the request ran out of time; retry shortly")
		u.Err = err
		return u
	}
	return err
}

package apiserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/problem"
)

// A request whose work waits on something that never answers (a blackholed database) is answered
// 503 with Retry-After once its deadline passes; an error of its own kind, or a request within
// its time, is answered as it was.
func TestDeadlineAnswers503WhenTheRequestOutlivesIt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		work   func(ctx context.Context) error
		status int
	}{
		{"stuck", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, http.StatusServiceUnavailable},
		{"stuck, then its own kind", func(ctx context.Context) error { <-ctx.Done(); return fault.NotFound("gone") }, http.StatusNotFound},
		{"in time", func(ctx context.Context) error { return nil }, http.StatusNoContent},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			e := New(logger, problem.Writer{Logger: logger}, Deadline(100*time.Millisecond))
			e.GET("/", func(ec echo.Context) error {
				if err := c.work(ec.Request().Context()); err != nil {
					return err
				}
				return ec.NoContent(http.StatusNoContent)
			})
			start := time.Now()
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != c.status || time.Since(start) > 2*time.Second {
				t.Fatalf("%d after %v, want %d", rec.Code, time.Since(start), c.status)
			}
			if c.status == http.StatusServiceUnavailable && rec.Header().Get("Retry-After") == "" {
				t.Fatal("a 503 without Retry-After")
			}
		})
	}
}

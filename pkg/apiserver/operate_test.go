package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// /readyz fails on a failing check, and reports a degraded one without failing: an operator sees
// it, and no replica leaves the load balancer for it.
func TestReadyzReportsDegradedChecksWithoutFailing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		check      Check
		status     int
		word, says string
	}{
		{"ok", func(context.Context) error { return nil }, http.StatusOK, "ready", "ok"},
		{"degraded", func(context.Context) error { return Degraded("behind by %d", 3) }, http.StatusOK, "ready, degraded", "degraded: behind by 3"},
		{"failing", func(context.Context) error { return errors.New("down") }, http.StatusServiceUnavailable, "not ready", "failing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := echo.New()
			if err := Operations(e, "test", []byte("openapi: 3.0.3"), nil, map[string]Check{"database": func(context.Context) error { return nil }, "stream": tc.check}, nil); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			var body struct {
				Status string            `json:"status"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if rec.Code != tc.status || body.Status != tc.word || body.Checks["stream"] != tc.says || body.Checks["database"] != "ok" {
				t.Fatalf("%d %+v, want %d %q with stream %q", rec.Code, body, tc.status, tc.word, tc.says)
			}
		})
	}
}

package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/flowkiwi/platform/pkg/tracing"
)

// TestTraceContextPropagates: a request into service A, which calls service B through the traced
// transport, yields a server span named by the route template and a client span in one trace, and
// B receives that trace in its traceparent header (W3C trace context).
func TestTraceContextPropagates(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tr := tracing.New("a", rec, propagation.TraceContext{})

	var gotParent string
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotParent = r.Header.Get("traceparent")
	}))
	defer b.Close()
	client := &http.Client{Transport: tr.Transport(http.DefaultTransport)}

	e := echo.New()
	e.Use(tracing.RouteName)
	e.GET("/items/:id", func(c echo.Context) error {
		req, _ := http.NewRequestWithContext(c.Request().Context(), "GET", b.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return c.NoContent(http.StatusNoContent)
	})
	a := httptest.NewServer(tr.Handler(e, "a"))
	defer a.Close()
	resp, err := http.Get(a.URL + "/items/42")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_ = tr.Shutdown(context.Background())

	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want a server and a client span", len(spans))
	}
	var server, clientSpan = spans[1], spans[0]
	if server.Name() != "GET /items/:id" {
		t.Fatalf("server span name = %q", server.Name())
	}
	traceID := server.SpanContext().TraceID().String()
	if clientSpan.SpanContext().TraceID().String() != traceID {
		t.Fatal("the client span is not in the request's trace")
	}
	if !strings.Contains(gotParent, traceID) {
		t.Fatalf("downstream traceparent %q does not carry trace %s", gotParent, traceID)
	}
}

// TestTraceContextPassesThroughWhenOff: with no exporter configured, a service records no spans
// but still hands its caller's trace on to the services it calls.
func TestTraceContextPassesThroughWhenOff(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tr, err := tracing.FromEnv(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	var gotParent string
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotParent = r.Header.Get("traceparent")
	}))
	defer b.Close()
	client := &http.Client{Transport: tr.Transport(http.DefaultTransport)}
	a := httptest.NewServer(tr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), "GET", b.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		resp.Body.Close()
	}), "a"))
	defer a.Close()
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	req, _ := http.NewRequest("GET", a.URL, nil)
	req.Header.Set("traceparent", parent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tr.QueryTracer() != nil {
		t.Fatal("with tracing off, statements still go through a tracer")
	}
	if !strings.Contains(gotParent, "4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Fatalf("downstream traceparent %q, want the caller's trace 4bf92f3577b34da6a3ce929d0e0e4736", gotParent)
	}
}

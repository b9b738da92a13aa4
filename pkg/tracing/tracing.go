// Package tracing sets up OpenTelemetry tracing for a service: spans for incoming HTTP requests
// (named by route template), outgoing HTTP calls and SQL statements, with W3C trace context
// propagated to other services. Tracing is off unless an OTLP endpoint is configured.
package tracing

import (
	"context"
	"net/http"
	"os"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing holds a service's tracer provider and propagator; explicit, not the global ones.
type Tracing struct {
	Provider   trace.TracerProvider
	Propagator propagation.TextMapPropagator
	shutdown   func(context.Context) error
	recording  bool // spans are made (New); false for FromEnv's no-op setup
}

// FromEnv enables OTLP/HTTP export when OTEL_EXPORTER_OTLP_ENDPOINT (or the traces-specific
// variable) is set; otherwise it returns a no-op setup that still propagates trace context.
func FromEnv(ctx context.Context, service string) (*Tracing, error) {
	prop := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return &Tracing{Provider: noop.NewTracerProvider(), Propagator: prop, shutdown: func(context.Context) error { return nil }}, nil
	}
	exp, err := otlptracehttp.New(ctx) // reads the standard OTEL_EXPORTER_OTLP_* variables
	if err != nil {
		return nil, err
	}
	return New(service, sdktrace.NewBatchSpanProcessor(exp), prop), nil
}

// New builds a setup around a span processor (tests pass a synchronous in-memory one).
func New(service string, processor sdktrace.SpanProcessor, prop propagation.TextMapPropagator) *Tracing {
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(processor),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))),
	)
	return &Tracing{Provider: tp, Propagator: prop, shutdown: tp.Shutdown, recording: true}
}

// Shutdown flushes pending spans.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }

// Handler wraps the service's handler: one server span per request, continuing the caller's trace.
// With tracing off it only takes the caller's trace context from the request, so calls to other
// services still carry it: otelhttp's wrapping of every response costs a storefront read more than
// a twentieth of its time, for spans nobody records.
func (t *Tracing) Handler(h http.Handler, service string) http.Handler {
	if !t.recording {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(t.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))))
		})
	}
	return otelhttp.NewHandler(h, service, otelhttp.WithTracerProvider(t.Provider), otelhttp.WithPropagators(t.Propagator))
}

// RouteName renames the request's server span after the matched route template
// ("GET /rest/api/products/:id"), which otelhttp cannot know.
func RouteName(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if span := trace.SpanFromContext(c.Request().Context()); span.IsRecording() && c.Path() != "" {
			span.SetName(c.Request().Method + " " + c.Path())
		}
		return next(c)
	}
}

// Transport wraps an HTTP client transport: a client span per call, trace context injected.
func (t *Tracing) Transport(rt http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(rt, otelhttp.WithTracerProvider(t.Provider), otelhttp.WithPropagators(t.Propagator))
}

// QueryTracer traces SQL statements on a pgx connection config.
// With tracing off there is none: the pool's other hooks run alone.
func (t *Tracing) QueryTracer() pgx.QueryTracer {
	if !t.recording {
		return nil
	}
	return otelpgx.NewTracer(otelpgx.WithTracerProvider(t.Provider))
}

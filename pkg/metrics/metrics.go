// Package metrics exposes a service's Prometheus metrics: HTTP requests by route template and
// status, database pool statistics, and whatever the service's parts record through the hooks
// (token verifications, identity calls, access-cache hits).
package metrics

import (
	"net/http"
	"runtime/metrics"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one service's registry and its standard instruments.
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	tokens   *prometheus.CounterVec
}

// New returns the metrics of a service, with Go runtime and process collectors.
func New(service string) *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	constLabels := prometheus.Labels{"service": service}
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests by method, route template and status.", ConstLabels: constLabels,
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "HTTP request latency by method and route template.", ConstLabels: constLabels,
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "token_verifications_total", Help: "Access-token verifications by result (ok, cached, invalid, unavailable).", ConstLabels: constLabels,
		}, []string{"result"}),
	}
	reg.MustRegister(m.requests, m.latency, m.tokens, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "go_gc_heap_live_bytes",
		Help: "Heap memory occupied by live objects, as of the last collection: the leak signal (heap in use also counts garbage not yet collected).",
	}, heapLive))
	return m
}

// Middleware records every request under its route template (unknown routes as "unmatched", so
// random paths cannot blow up the label space).
func (m *Metrics) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" || c.Response().Status == http.StatusNotFound && route == "/*" {
			route = "unmatched"
		}
		method := c.Request().Method
		m.requests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
		m.latency.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// TokenVerified records a verification result.
func (m *Metrics) TokenVerified(result string) { m.tokens.WithLabelValues(result).Inc() }

// WatchPool exports the pool's statistics.
func (m *Metrics) WatchPool(pool *pgxpool.Pool) {
	gauge := func(name, help string, f func(*pgxpool.Stat) float64) {
		m.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return f(pool.Stat()) }))
	}
	gauge("db_pool_total_connections", "Open database connections.", func(s *pgxpool.Stat) float64 { return float64(s.TotalConns()) })
	gauge("db_pool_idle_connections", "Idle database connections.", func(s *pgxpool.Stat) float64 { return float64(s.IdleConns()) })
	gauge("db_pool_acquired_connections", "Database connections in use.", func(s *pgxpool.Stat) float64 { return float64(s.AcquiredConns()) })
	gauge("db_pool_max_connections", "Largest pool size.", func(s *pgxpool.Stat) float64 { return float64(s.MaxConns()) })
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "db_pool_acquires_total", Help: "Connection acquisitions."},
			func() float64 { return float64(pool.Stat().AcquireCount()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "db_pool_empty_acquires_total", Help: "Acquisitions that had to wait for a connection."},
			func() float64 { return float64(pool.Stat().EmptyAcquireCount()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "db_pool_acquire_wait_seconds_total", Help: "Time spent waiting for connections."},
			func() float64 { return pool.Stat().AcquireDuration().Seconds() }),
	)
}

// heapLive reads the live heap as of the last garbage collection (runtime/metrics).
func heapLive() float64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return float64(sample[0].Value.Uint64())
}

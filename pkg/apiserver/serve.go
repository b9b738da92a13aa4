package apiserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Drain tells a shutting-down server's clients to go elsewhere before it stops: while draining,
// readiness fails (load balancers take the replica out) and every response says
// "Connection: close", so clients do not reuse a keep-alive connection the server is about to close.
type Drain struct{ draining atomic.Bool }

// Middleware marks responses while draining.
func (d *Drain) Middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if d.draining.Load() {
			c.Response().Header().Set("Connection", "close")
		}
		return next(c)
	}
}

// Check is a readiness check that fails while draining.
func (d *Drain) Check(context.Context) error {
	if d.draining.Load() {
		return errors.New("draining")
	}
	return nil
}

// Serve runs srv until ctx ends (SIGTERM), then drains for delay and shuts down, letting in-flight
// requests finish within timeout.
func Serve(ctx context.Context, srv *http.Server, d *Drain, delay, timeout time.Duration, logger *slog.Logger) error {
	l, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return err
	}
	// The bound address, so a test (or an operator) that asked for port 0 learns the port.
	logger.Info("listening", "addr", l.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("draining", "delay", delay)
	d.draining.Store(true)
	time.Sleep(delay)
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

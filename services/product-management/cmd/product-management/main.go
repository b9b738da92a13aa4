// Command product-management runs the Flowkiwi Product Management service.
//
//	product-management serve     migrate, then serve HTTP (the default)
//	product-management migrate   apply database migrations and exit
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/product-management/internal/app"
	"github.com/flowkiwi/platform/services/product-management/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "product-management:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	tr, err := tracing.FromEnv(ctx, "product-management")
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer tr.Shutdown(context.WithoutCancel(ctx)) //nolint:errcheck // best effort flush at exit
	dbOpts := cfg.Database
	dbOpts.Tracer = tr.QueryTracer()
	pool, err := pgpool.Open(ctx, cfg.DatabaseURL, dbOpts)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := app.Migrate(ctx, pool); err != nil {
		return err
	}
	switch cmd {
	case "migrate":
		return nil
	case "serve", "deliver":
	default:
		return fmt.Errorf("unknown command %q (want serve, deliver or migrate)", cmd)
	}
	a, err := app.New(cfg, pool, logger, tr)
	if err != nil {
		return err
	}
	if cmd == "deliver" {
		// Webhook delivery alone, for deployments that keep it off the serving replicas
		// (WEBHOOK_DELIVERY=off there); any number of these may run.
		logger.Info("product-management delivering webhooks")
		return a.Deliverer.Run(ctx)
	}
	// Identity may start later: serve (not ready) while its metadata is read; a metadata issuer
	// other than IDENTITY_ISSUER stops the service.
	ctx, stopServing := context.WithCancelCause(ctx)
	defer stopServing(nil)
	go func() {
		if err := a.Run(ctx); err != nil {
			stopServing(fmt.Errorf("webhook delivery: %w", err))
		}
	}()
	go func() {
		if err := a.Discover(ctx); err != nil {
			stopServing(err)
		}
	}()
	srv := &http.Server{
		Addr: cfg.HTTPAddr, Handler: a.Handler,
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
	}
	logger.Info("product-management listening", "addr", cfg.HTTPAddr, "tenants", "{handle}."+cfg.TenantBaseDomain, "identity", cfg.IdentityURL)
	err = apiserver.Serve(ctx, srv, a.Drain, cfg.DrainDelay, cfg.ShutdownTimeout, logger)
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

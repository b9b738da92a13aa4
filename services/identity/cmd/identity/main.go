// Command identity runs the Flowkiwi identity service.
//
//	identity serve                  migrate, then serve HTTP (the default)
//	identity migrate                apply database migrations and exit
//	identity partner create --name  create a partner and print its client credentials (JSON)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/identity/internal/app"
	"github.com/flowkiwi/platform/services/identity/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "identity:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cfg, err := config.FromEnv(os.Getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.LogLevel)
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	tr, err := tracing.FromEnv(ctx, "identity")
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
	switch cmd {
	case "migrate":
		return app.Migrate(ctx, pool)
	case "serve":
		return serve(ctx, cfg, pool, logger, tr)
	case "partner":
		return partnerCmd(ctx, cfg, pool, logger, args)
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate or partner create)", cmd)
	}
}

func partnerCmd(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: identity partner create --name NAME")
	}
	fs := flag.NewFlagSet("partner create", flag.ContinueOnError)
	name := fs.String("name", "", "the partner's name")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := app.Migrate(ctx, pool); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, pool, logger, app.Options{})
	if err != nil {
		return err
	}
	creds, err := a.Partners.Create(ctx, *name)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(creds)
}

func serve(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, tr *tracing.Tracing) error {
	if err := app.Migrate(ctx, pool); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, pool, logger, app.Options{Tracing: tr})
	if err != nil {
		return err
	}
	if cfg.KeyEncryption == "" { // said by serve only: CLI commands print nothing but their JSON
		logger.Warn("signing keys are stored unencrypted; set IDENTITY_KEY_ENCRYPTION_KEYS in production")
	}
	go a.RotateKeys(ctx, time.Minute, logger)
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	logger.Info("identity listening", "addr", cfg.HTTPAddr, "issuer", cfg.Issuer)
	return apiserver.Serve(ctx, srv, a.Drain, cfg.DrainDelay, cfg.ShutdownTimeout, logger)
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// Command product-management runs the Flowkiwi Product Management service. Its commands:
//
//	serve (the default)   migrate, then serve the API (and deliver webhooks unless WEBHOOK_DELIVERY=off)
//	deliver               migrate, then only deliver webhooks (for deployments that keep it off serving replicas)
//	migrate               apply the database migrations and exit
//	readmodel rebuild|verify [--instance ID]
//	                      rewrite the product documents from the base tables, or list those that differ
//	instance purge --instance ID
//	                      delete every row of a deleted instance (what identity's instance.deleted does)
//
// Configuration is read from the environment (internal/config).
//
//	product-management serve     migrate, then serve HTTP (the default)
//	product-management migrate   apply database migrations and exit
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/envconfig"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/product-management/internal/app"
	"github.com/flowkiwi/platform/services/product-management/internal/config"
	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "product-management:", err)
		os.Exit(1)
	}
}

// usage is what --help prints before the settings.
const usage = `usage: product-management [command]
  serve (the default)   migrate, then serve the API (and deliver webhooks unless WEBHOOK_DELIVERY=off)
  deliver               migrate, then only deliver webhooks
  migrate               apply the database migrations and exit
  readmodel rebuild|verify [--instance ID]
                        rewrite the product documents from the base tables, or list those that differ
  instance purge --instance ID
                        delete every row of an instance identity deleted, in batches, and print what
                        was deleted (also recorded in instance_purges)`

func run(ctx context.Context, args []string, getenv func(string) string) error {
	if len(args) > 0 && envconfig.IsHelp(args[0]) {
		envconfig.PrintHelp(os.Stdout, usage, config.Variables())
		return nil
	}
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
	case "readmodel":
		return readModel(ctx, postgres.New(pool), args[1:], os.Stdout)
	case "instance":
		return instanceCmd(ctx, pool, args[1:], os.Stdout)
	case "serve", "deliver":
	default:
		return fmt.Errorf("unknown command %q (want serve, deliver, migrate, readmodel or instance)", cmd)
	}
	standbys, closeStandbys, err := pgpool.NewEach(ctx, cfg.DatabaseReadURLs, dbOpts) // a standby down at start stays out of rotation
	if err != nil {
		return fmt.Errorf("DATABASE_READ_URLS: %w", err)
	}
	defer closeStandbys()
	a, err := app.New(cfg, pool, standbys, logger, tr)
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
	go func() {
		if err := apiserver.Debug(ctx, cfg.DebugAddr, logger); err != nil {
			stopServing(fmt.Errorf("debug listener: %w", err))
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

// instanceCmd runs `instance purge --instance ID`: an operator's purge of an instance identity
// deleted (the follower of identity's change stream queues the same on instance.deleted). Its
// webhooks stop first; it can run again after a crash or beside a queued purge.
func instanceCmd(ctx context.Context, pool *pgxpool.Pool, args []string, out io.Writer) error {
	const usage = "usage: product-management instance purge --instance ID"
	if len(args) == 0 || args[0] != "purge" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("instance purge", flag.ContinueOnError)
	instanceFlag := fs.String("instance", "", "the instance's id (identity's)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	instance, err := uuid.Parse(*instanceFlag)
	if err != nil {
		return fmt.Errorf("--instance %q: want the instance's id (a UUID); %s", *instanceFlag, usage)
	}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return postgres.RequestPurge(ctx, tx, instance) }); err != nil {
		return err
	}
	p, _, err := postgres.New(pool).PurgeInstance(ctx, instance, time.Time{})
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(p)
}

// readModel runs `readmodel rebuild|verify [--instance ID]`: rebuild rewrites product documents
// from the base tables (after a migration that changes their shape), verify lists the products
// whose document differs from a fresh build and fails when there is one. ID is the instance's id
// (identity's; the instance of every event): product-management does not keep handles.
func readModel(ctx context.Context, store *postgres.Store, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("readmodel", flag.ContinueOnError)
	instanceFlag := fs.String("instance", "", "only this instance (its id); default every instance")
	if len(args) == 0 {
		return errors.New("usage: product-management readmodel rebuild|verify [--instance ID]")
	}
	sub := args[0]
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var instance uuid.UUID
	if *instanceFlag != "" {
		id, err := uuid.Parse(*instanceFlag)
		if err != nil {
			return fmt.Errorf("--instance %q: want the instance's id (a UUID)", *instanceFlag)
		}
		instance = id
	}
	switch sub {
	case "rebuild":
		n, err := store.RebuildDocuments(ctx, instance)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "{\"rebuilt\": %d}\n", n)
		return err
	case "verify":
		bad, err := store.VerifyDocuments(ctx, instance)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "{\"stale\": %d}\n", len(bad)); err != nil {
			return err
		}
		if len(bad) > 0 {
			return fmt.Errorf("%d product documents differ from the base tables (first %s): run readmodel rebuild", len(bad), bad[0])
		}
		return nil
	}
	return fmt.Errorf("unknown readmodel command %q (want rebuild or verify)", sub)
}

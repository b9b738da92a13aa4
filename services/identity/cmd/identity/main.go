// Command identity runs the Flowkiwi identity service.
//
//	identity serve                  migrate, then serve HTTP (the default)
//	identity migrate                apply database migrations and exit
//	identity partner create --name NAME                      create a partner; print its credentials (JSON)
//	identity partner list                                    every partner with its active clients (JSON)
//	identity partner disable --id ID [--reason TEXT]         no tokens for it; issued ones stop working
//	identity partner enable --id ID
//	identity partner client create --partner ID --name NAME  another client; print its secret
//	identity partner client rotate --client ID [--overlap 24h]
//	identity partner client revoke --client ID
//	identity service create --name NAME                      a service's credential (reads the change stream); print it
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

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/apiserver"
	"github.com/flowkiwi/platform/pkg/envconfig"
	"github.com/flowkiwi/platform/pkg/pgpool"
	"github.com/flowkiwi/platform/pkg/tracing"
	"github.com/flowkiwi/platform/services/identity/internal/app"
	"github.com/flowkiwi/platform/services/identity/internal/changestream"
	"github.com/flowkiwi/platform/services/identity/internal/config"
	"github.com/flowkiwi/platform/services/identity/internal/partner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "identity:", err)
		os.Exit(1)
	}
}

// usage is what --help prints before the settings.
const usage = `usage: identity [command]
  serve                  migrate, then serve HTTP (the default)
  migrate                apply database migrations and exit
  partner create --name NAME                      create a partner; print its credentials (JSON)
  partner list                                    every partner with its active clients (JSON)
  partner disable --id ID [--reason TEXT]         no tokens for it; issued ones stop working
  partner enable --id ID
  partner client create --partner ID --name NAME  another client; print its secret
  partner client rotate --client ID [--overlap 24h]
  partner client revoke --client ID
  service create --name NAME                      a service's credential: a client whose tokens read
                                                  the change stream (identity:changes.read); print it`

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && envconfig.IsHelp(args[0]) {
		envconfig.PrintHelp(os.Stdout, usage, config.Variables())
		return nil
	}
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
	case "service":
		return serviceCmd(ctx, cfg, pool, logger, args)
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, partner or service)", cmd)
	}
}

func partnerCmd(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, args []string) error {
	const usage = "usage: identity partner create|list|disable|enable|client <arguments>"
	if len(args) == 0 {
		return errors.New(usage)
	}
	if err := app.Migrate(ctx, pool); err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, pool, logger, app.Options{})
	if err != nil {
		return err
	}
	partners := a.Partners
	fs := flag.NewFlagSet("partner "+args[0], flag.ContinueOnError)
	name := fs.String("name", "", "a name")
	id := fs.String("id", "", "the partner's id")
	reason := fs.String("reason", "", "why the partner is disabled")
	cmd, rest := args[0], args[1:]
	if cmd == "client" {
		if len(rest) == 0 {
			return errors.New("usage: identity partner client create|rotate|revoke")
		}
		cmd, rest = "client "+rest[0], rest[1:]
	}
	partnerID := fs.String("partner", "", "the partner's id")
	clientID := fs.String("client", "", "the client's client_id")
	overlap := fs.Duration("overlap", 24*time.Hour, "how long the previous secret keeps working (0: not at all, at most 168h)")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	switch cmd {
	case "create":
		creds, err := partners.Create(ctx, *name)
		if err != nil {
			return err
		}
		return out.Encode(creds)
	case "list":
		list, err := partners.List(ctx)
		if err != nil {
			return err
		}
		return out.Encode(operatorPartners(list))
	case "disable", "enable":
		pid, err := uuid.Parse(*id)
		if err != nil {
			return errors.New("--id: a partner id (uuid) is required")
		}
		var p partner.Partner
		if cmd == "disable" {
			p, err = partners.Disable(ctx, pid, *reason)
		} else {
			p, err = partners.Enable(ctx, pid)
		}
		if err != nil {
			return err
		}
		return out.Encode(operatorPartners([]partner.Partner{p})[0])
	case "client create":
		pid, err := uuid.Parse(*partnerID)
		if err != nil {
			return errors.New("--partner: a partner id (uuid) is required")
		}
		issued, err := partners.AddClient(ctx, pid, *name, partner.Operator)
		if err != nil {
			return err
		}
		return out.Encode(partner.Credentials{PartnerID: pid, ClientID: issued.ClientID, ClientSecret: issued.Secret})
	case "client rotate", "client revoke":
		pid, err := partners.OperatorClientPartner(ctx, *clientID)
		if err != nil {
			return fmt.Errorf("--client %q: %w", *clientID, err)
		}
		if cmd == "client revoke" {
			if err := partners.Revoke(ctx, pid, *clientID, partner.Operator); err != nil {
				return err
			}
			return out.Encode(map[string]any{"partner_id": pid, "client_id": *clientID, "revoked": true})
		}
		issued, err := partners.Rotate(ctx, pid, *clientID, *overlap, partner.Operator)
		if err != nil {
			return err
		}
		return out.Encode(map[string]any{"partner_id": pid, "client_id": issued.ClientID, "client_secret": issued.Secret,
			"previous_secret_expires_at": issued.PreviousSecretExpiresAt})
	default:
		return errors.New(usage)
	}
}

// serviceCmd makes a service's credential: a partner (named for the service) whose one client
// carries the scopes of a Flowkiwi service, which no partner's request can grant.
func serviceCmd(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, args []string) error {
	const usage = "usage: identity service create --name NAME"
	if len(args) == 0 || args[0] != "create" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("service create", flag.ContinueOnError)
	name := fs.String("name", "", "the service's name, such as product-management")
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
	creds, err := a.Partners.Create(ctx, "service: "+*name, changestream.Scope)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(creds)
}

type operatorPartner struct {
	ID             uuid.UUID  `json:"id"`
	Name           string     `json:"name"`
	CreatedAt      time.Time  `json:"created_at"`
	DisabledAt     *time.Time `json:"disabled_at"`
	DisabledReason *string    `json:"disabled_reason"`
	ActiveClients  int        `json:"active_clients"`
}

func operatorPartners(list []partner.Partner) []operatorPartner {
	out := make([]operatorPartner, len(list))
	for i, p := range list {
		out[i] = operatorPartner{ID: p.ID, Name: p.Name, CreatedAt: p.CreatedAt, DisabledAt: p.DisabledAt, DisabledReason: p.DisabledReason, ActiveClients: p.ActiveClients}
	}
	return out
}

func serve(ctx context.Context, cfg config.Config, pool *pgxpool.Pool, logger *slog.Logger, tr *tracing.Tracing) error {
	if err := app.Migrate(ctx, pool); err != nil {
		return err
	}
	standbys, closeStandbys, err := pgpool.NewEach(ctx, cfg.DatabaseReadURLs, cfg.Database) // a standby down at start stays out of rotation
	if err != nil {
		return fmt.Errorf("DATABASE_READ_URLS: %w", err)
	}
	defer closeStandbys()
	opts := app.Options{Tracing: tr, ReplicaMaxLag: cfg.ReplicaMaxLag, Standbys: standbys}
	a, err := app.New(ctx, cfg, pool, logger, opts)
	if err != nil {
		return err
	}
	if cfg.KeyEncryption == "" { // said by serve only: CLI commands print nothing but their JSON
		logger.Warn("signing keys are stored unencrypted; set IDENTITY_KEY_ENCRYPTION_KEYS in production")
	}
	go a.RotateKeys(ctx, time.Minute, logger)
	go a.Idempotency.ExpireEvery(ctx, time.Minute)
	go a.ExpireEvents(ctx, 30*24*time.Hour, logger)
	go a.Changes.Run(ctx)
	go a.Replicas.Run(ctx)
	srv := &http.Server{
		Addr:              cfg.HTTPAddr,
		Handler:           a.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      45 * time.Second, // the change stream's long polls wait 30 s
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

// Package periodic runs a service's upkeep (expiring what it keeps for a time) in the background,
// on a period, instead of as any request's cost.
package periodic

import (
	"context"
	"log/slog"
	"time"
)

// Task is one round of upkeep; it reports how much it did (rows expired).
type Task func(ctx context.Context) (int64, error)

// Run runs task at once, then every period, until ctx ends. A failure is logged and the next
// round tries again; a round that did something logs how much, as what ("expired events").
func Run(ctx context.Context, every time.Duration, logger *slog.Logger, what string, task Task) {
	t := time.NewTicker(every)
	defer t.Stop()
	for ctx.Err() == nil { // a tick due as ctx ends starts no round
		n, err := task(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			logger.WarnContext(ctx, what+" failed", "error", err)
		case n > 0:
			logger.InfoContext(ctx, what, "count", n)
		}
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// Drain runs step, which handles at most batch rows, until a step handles fewer: a backlog larger
// than one batch (a busy day's events) is caught up in one round, each step a short statement.
func Drain(ctx context.Context, batch int64, step Task) (int64, error) {
	var total int64
	for {
		n, err := step(ctx)
		total += n
		if err != nil || n < batch || ctx.Err() != nil {
			return total, err
		}
	}
}

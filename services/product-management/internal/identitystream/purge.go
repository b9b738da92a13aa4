package identitystream

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/flowkiwi/platform/services/product-management/internal/postgres"
)

// PurgeArgs is the River job purging a deleted instance's catalog.
type PurgeArgs struct {
	Instance uuid.UUID `json:"instance"`
}

func (PurgeArgs) Kind() string { return "instance_purge" }

// Purger deletes an instance's rows (postgres.Store.PurgeInstance).
type Purger interface {
	PurgeInstance(ctx context.Context, instance uuid.UUID, until time.Time) (postgres.Purge, bool, error)
}

type purgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	store  Purger
	logger *slog.Logger
}

// purgeBudget is how long one run of the job deletes before it snoozes to run again at once: a
// short run, like an import's, keeps River's rescue of a killed one meaningful (a rescued job
// goes on where the killed one stopped).
const purgeBudget = 10 * time.Second

// Timeout leaves a run its budget and its last batch.
func (w *purgeWorker) Timeout(*river.Job[PurgeArgs]) time.Duration { return time.Minute }

func (w *purgeWorker) Work(ctx context.Context, job *river.Job[PurgeArgs]) error {
	p, done, err := w.store.PurgeInstance(ctx, job.Args.Instance, time.Now().Add(purgeBudget))
	if err != nil {
		return err
	}
	if !done {
		return river.JobSnooze(time.Millisecond)
	}
	var rows int64
	for _, n := range p.Rows {
		rows += n
	}
	w.logger.Info("purged a deleted instance's catalog", "instance", p.Instance, "rows", rows)
	return nil
}

// RegisterPurge adds the purge worker to River's workers.
func RegisterPurge(workers *river.Workers, store Purger, logger *slog.Logger) {
	river.AddWorker(workers, &purgeWorker{store: store, logger: logger})
}

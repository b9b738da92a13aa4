package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// jobStore answers Job with a delivery in a given status and counts recorded attempts.
type jobStore struct {
	DeliveryStore
	job      Job
	recorded atomic.Int32
}

func (s *jobStore) Job(context.Context, uuid.UUID, uuid.UUID) (Job, error) { return s.job, nil }

func (s *jobStore) RecordAttempt(context.Context, uuid.UUID, uuid.UUID, Attempt, Status, time.Duration) error {
	s.recorded.Add(1)
	return nil
}

// A job River runs again for a delivery that already succeeded or failed sends nothing and
// records nothing; a pending one is sent and recorded.
func TestWorkSendsOnlyPendingDeliveries(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		sent.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		status Status
		sends  int32
	}{{Succeeded, 0}, {Failed, 0}, {Pending, 1}} {
		sent.Store(0)
		store := &jobStore{job: Job{Delivery: Delivery{ID: uuid.New(), Status: c.status},
			Subscription: Subscription{URL: srv.URL, Active: true, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
			Event:        catalog.Event{ID: uuid.New(), Type: "product.created"}}}
		d := &Deliverer{cfg: DefaultConfig(), store: store, client: srv.Client(),
			payload:  func(e catalog.Event, _ uuid.UUID) any { return e.ID },
			outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t"}, []string{"outcome"})}
		job := &river.Job[Args]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 8}, Args: Args{Instance: uuid.New(), Delivery: store.job.Delivery.ID}}
		if err := (&worker{d: d}).Work(context.Background(), job); err != nil {
			t.Fatalf("%s: %v", c.status, err)
		}
		if sent.Load() != c.sends || store.recorded.Load() != c.sends {
			t.Errorf("a %s delivery: sent %d, recorded %d; want %d", c.status, sent.Load(), store.recorded.Load(), c.sends)
		}
	}
}

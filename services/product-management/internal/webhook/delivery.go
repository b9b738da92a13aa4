package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/flowkiwi/platform/pkg/periodic"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// DefaultSchedule is Standard Webhooks' recommended wait before each retry.
var DefaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// ParseSchedule reads a comma-separated list of durations (WEBHOOK_RETRY_SCHEDULE).
func ParseSchedule(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("webhook retry schedule %q: want positive durations such as 5s,5m,30m", s)
		}
		out = append(out, d)
	}
	return out, nil
}

// rescueMargin is how long past its JobTimeout a job must have run to be taken for abandoned.
const rescueMargin = 10 * time.Second

// RescueBound is how soon a delivery abandoned by a killed process is attempted again: River's
// leadership moves on within 15 s (its election interval and TTL padding), the leader's rescuer
// runs every 30 s, and a job is rescued once it has run JobTimeout plus rescueMargin (then it is
// retried at once, as a retryable attempt).
func RescueBound(cfg Config) time.Duration {
	return 15*time.Second + 30*time.Second + cfg.Timeout + 5*time.Second + rescueMargin
}

// Config says how deliveries are made.
type Config struct {
	Schedule     []time.Duration // waits before each retry; attempts are len+1
	Timeout      time.Duration   // for the receiver's answer
	DisableAfter time.Duration   // a subscription failing this long without a success is deactivated
	PollEvery    time.Duration   // how often the dispatcher looks for new events
	Workers      int
}

// DefaultConfig is the configuration without settings.
func DefaultConfig() Config {
	return Config{Schedule: DefaultSchedule, Timeout: 10 * time.Second, DisableAfter: 5 * 24 * time.Hour, PollEvery: 250 * time.Millisecond, Workers: 20}
}

// Job is what a delivery attempt needs.
type Job struct {
	Instance     uuid.UUID
	Delivery     Delivery
	Subscription Subscription
	Event        catalog.Event
}

// Payload renders an event as a delivery's body: the event as the feed shows it, without
// @context (the HTTP layer's rendering, so the two never differ).
type Payload func(e catalog.Event, instance uuid.UUID) any

// DeliveryStore is what the dispatcher and the worker store.
type DeliveryStore interface {
	// Dispatch turns up to limit events after its cursor into deliveries for the matching active
	// subscriptions, queues them and advances the cursor, in one transaction that one replica at
	// a time holds; it reports how many events it passed.
	Dispatch(ctx context.Context, limit int, enqueue Enqueue) (int, error)
	Job(ctx context.Context, instance, delivery uuid.UUID) (Job, error)
	// RecordAttempt stores an attempt and where the delivery and its subscription stand after it:
	// a success clears the subscription's failing run, a failure starts or continues it and
	// deactivates the subscription once it has lasted disableAfter.
	RecordAttempt(ctx context.Context, instance, delivery uuid.UUID, a Attempt, status Status, disableAfter time.Duration) error
	// Backlog is the number of pending deliveries and the age of the oldest event not yet
	// dispatched.
	Backlog(ctx context.Context) (pending int64, oldest time.Duration, err error)
}

// Args is a River job: deliver one delivery.
type Args struct {
	Instance uuid.UUID `json:"instance"`
	Delivery uuid.UUID `json:"delivery"`
}

// Kind names the job kind in River.
func (Args) Kind() string { return "webhook_delivery" }

// Deliverer runs deliveries: the dispatcher loop and River's workers.
type Deliverer struct {
	cfg     Config
	store   DeliveryStore
	targets *Targets
	client  *http.Client
	river   *river.Client[pgx.Tx]
	logger  *slog.Logger
	payload Payload

	outcomes *prometheus.CounterVec
}

// NewDeliverer wires River over pool (its tables come with product-management's migrations), with
// the delivery worker and the others of workers (the service's other background jobs run on the
// same River client: one set of tables, one leader).
func NewDeliverer(pool *pgxpool.Pool, store DeliveryStore, targets *Targets, payload Payload, cfg Config, logger *slog.Logger, reg prometheus.Registerer, workers *river.Workers) (*Deliverer, error) {
	def := DefaultConfig()
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = def.Schedule
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = def.Timeout
	}
	if cfg.PollEvery <= 0 {
		cfg.PollEvery = def.PollEvery
	}
	if cfg.Workers <= 0 {
		cfg.Workers = def.Workers
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = def.DisableAfter
	}
	d := &Deliverer{cfg: cfg, store: store, targets: targets, logger: logger, payload: payload,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "webhook_deliveries_total",
			Help: "Webhook delivery attempts by outcome (succeeded, retrying, failed, dropped)."}, []string{"outcome"})}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: targets.Control}
	d.client = &http.Client{
		Timeout:       cfg.Timeout,
		Transport:     &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 8, IdleConnTimeout: 60 * time.Second, TLSHandshakeTimeout: 5 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, // redirects are not followed
	}
	if workers == nil {
		workers = river.NewWorkers()
	}
	river.AddWorker(workers, &worker{d: d})
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:           workers,
		FetchPollInterval: 200 * time.Millisecond,
		Logger:            logger,
		JobTimeout:        cfg.Timeout + 5*time.Second,
		// A replica that died mid-attempt leaves its job running; the leader's rescuer (every 30 s)
		// hands it over once it has run this long. A live worker gives an attempt up after
		// JobTimeout, so 10 s more cannot take over a delivery still in flight; an abandoned one
		// is retried within RescueBound.
		RescueStuckJobsAfter: cfg.Timeout + 5*time.Second + rescueMargin,
	})
	if err != nil {
		return nil, err
	}
	d.river = rc
	if reg != nil {
		reg.MustRegister(d.outcomes, backlog{store})
	}
	return d, nil
}

// backlog reports the queue's two gauges from one Backlog query per scrape; a scrape during a
// database outage leaves them out rather than report zeros.
type backlog struct{ store DeliveryStore }

var (
	queueDepth = prometheus.NewDesc("webhook_queue_depth", "Webhook deliveries pending.", nil, nil)
	oldestAge  = prometheus.NewDesc("webhook_oldest_undispatched_event_age_seconds", "Age of the oldest event not yet turned into deliveries.", nil, nil)
)

func (b backlog) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepth; ch <- oldestAge }

func (b backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, age, err := b.store.Backlog(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(queueDepth, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(oldestAge, prometheus.GaugeValue, age.Seconds())
}

// Enqueue queues deliveries in tx (River's transactional insert).
func (d *Deliverer) Enqueue(ctx context.Context, tx pgx.Tx, ds []Queued) error {
	if len(ds) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(ds))
	for i, q := range ds {
		params[i] = river.InsertManyParams{Args: Args(q),
			InsertOpts: &river.InsertOpts{MaxAttempts: len(d.cfg.Schedule) + 1}}
	}
	_, err := d.river.InsertManyTx(ctx, tx, params)
	return err
}

// Insert queues a job of another worker in tx (River's transactional insert).
func (d *Deliverer) Insert(ctx context.Context, tx pgx.Tx, args river.JobArgs) error {
	_, err := d.river.InsertTx(ctx, tx, args, &river.InsertOpts{MaxAttempts: 25})
	return err
}

// Run works deliveries and dispatches events until ctx ends; several replicas may run it.
func (d *Deliverer) Run(ctx context.Context) error {
	if err := d.river.Start(ctx); err != nil {
		return err
	}
	defer func() {
		stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = d.river.Stop(stop)
	}()
	// Each round drains the outbox and reports no count: a busy outbox dispatches every round,
	// which is no news to log.
	const batch = 500
	dispatch := func(ctx context.Context) (int64, error) {
		n, err := d.store.Dispatch(ctx, batch, d.Enqueue)
		return int64(n), err
	}
	periodic.Run(ctx, d.cfg.PollEvery, d.logger, "webhook dispatch", func(ctx context.Context) (int64, error) {
		_, err := periodic.Drain(ctx, batch, dispatch)
		return 0, err
	})
	return nil
}

type worker struct {
	river.WorkerDefaults[Args]
	d *Deliverer
}

// NextRetry follows the schedule: the wait after attempt n is Schedule[n-1].
func (w *worker) NextRetry(job *river.Job[Args]) time.Time {
	return time.Now().Add(w.d.wait(job.Attempt))
}

func (d *Deliverer) wait(attempt int) time.Duration {
	i := min(max(attempt-1, 0), len(d.cfg.Schedule)-1)
	return d.cfg.Schedule[i]
}

func (w *worker) Work(ctx context.Context, job *river.Job[Args]) error {
	d := w.d
	j, err := d.store.Job(ctx, job.Args.Instance, job.Args.Delivery)
	if errors.Is(err, ErrGone) { // the subscription (and with it the delivery) was deleted
		d.outcomes.WithLabelValues("dropped").Inc()
		return nil
	}
	last := job.Attempt >= job.MaxAttempts
	if err != nil {
		return storeTrouble(err, last)
	}
	if j.Delivery.Status != Pending {
		// Settled already: River ran the job again (rescued after a crash, or its completion
		// was lost after RecordAttempt). Sending again would deliver twice.
		d.outcomes.WithLabelValues("dropped").Inc()
		return nil
	}
	a := Attempt{N: job.Attempt, At: time.Now()}
	if !j.Subscription.Active {
		msg := "the subscription is inactive"
		a.Error = &msg
		d.outcomes.WithLabelValues("failed").Inc()
		return d.store.RecordAttempt(ctx, job.Args.Instance, job.Args.Delivery, a, Failed, d.cfg.DisableAfter)
	}
	status, excerpt, sendErr := d.send(ctx, j)
	a.Duration = time.Since(a.At)
	if status != 0 {
		a.Status = &status
	}
	a.Excerpt = excerpt
	outcome := Succeeded
	if sendErr != nil {
		msg := sendErr.Error()
		a.Error = &msg
		outcome = Failed
		if !last {
			next := time.Now().Add(d.wait(job.Attempt))
			a.NextAttempt = &next
			outcome = Pending
		}
	}
	if err := d.store.RecordAttempt(ctx, job.Args.Instance, job.Args.Delivery, a, outcome, d.cfg.DisableAfter); err != nil {
		return storeTrouble(err, last)
	}
	switch outcome {
	case Succeeded:
		d.outcomes.WithLabelValues("succeeded").Inc()
		return nil
	case Failed:
		d.outcomes.WithLabelValues("failed").Inc()
		return nil // recorded as failed: River need not keep it
	}
	d.outcomes.WithLabelValues("retrying").Inc()
	return sendErr
}

// storeTrouble is what a job answers when the database failed it: an error (River retries on
// the schedule), except on the last attempt, where River would discard the job and leave the
// delivery pending for ever: that one is snoozed until the database is back.
func storeTrouble(err error, last bool) error {
	if last {
		return river.JobSnooze(time.Minute)
	}
	return err
}

// ErrGone is the Job of a delivery whose subscription was deleted.
var ErrGone = errors.New("webhook: the delivery's subscription is gone")

// send POSTs the signed payload; a 2xx within the timeout is a success.
func (d *Deliverer) send(ctx context.Context, j Job) (status int, excerpt *string, err error) {
	body, err := json.Marshal(d.payload(j.Event, j.Instance))
	if err != nil {
		return 0, nil, err
	}
	wh, err := standardwebhooks.NewWebhook(j.Subscription.Secret)
	if err != nil {
		return 0, nil, err
	}
	now := time.Now()
	msgID := j.Event.ID.String()
	sig, err := wh.Sign(msgID, now, body)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, j.Subscription.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Flowkiwi-Webhooks/1")
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := d.client.Do(req)
	if err != nil {
		if errors.Is(err, errInternalTarget) {
			return 0, nil, errInternalTarget
		}
		return 0, nil, errors.New(briefly(err))
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if len(head) > 0 {
		s := strings.ToValidUTF8(string(head), "")
		excerpt = &s
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, excerpt, fmt.Errorf("the receiver answered %d", resp.StatusCode)
	}
	return resp.StatusCode, excerpt, nil
}

// briefly is a transport error without the request's URL (it is the subscription's own).
func briefly(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			err = inner
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer within the timeout"
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// Package webhook pushes the events feed to partners' URLs: subscriptions (validated so the
// platform cannot be pointed at its own network), deliveries signed as Standard Webhooks, and
// their retries. The events themselves are the catalog's (recorded in each change's transaction);
// a dispatcher turns them into deliveries, and River works the deliveries: a job per delivery,
// inserted in the transaction that creates it, so nothing is lost to a crash or a restart.
package webhook

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// Subscription is a URL subscribed to event types of an instance.
type Subscription struct {
	ID             uuid.UUID
	URL            string
	Events         []string // event types, "kind.*" or "*"
	Description    *string
	Secret         string // whsec_...; shown once, at creation
	Active         bool
	DisabledReason *string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Status is where a delivery stands.
type Status string

const (
	Pending   Status = "pending"
	Succeeded Status = "succeeded"
	Failed    Status = "failed"
)

// Delivery is one event on its way to one subscription.
type Delivery struct {
	ID           uuid.UUID
	Subscription uuid.UUID
	Event        uuid.UUID
	Status       Status
	NextAttempt  *time.Time
	CreatedAt    time.Time
	Attempts     []Attempt
}

// Attempt is one try of a delivery.
type Attempt struct {
	N           int
	At          time.Time
	Duration    time.Duration
	Status      *int // the receiver's status; nil when no response came
	Error       *string
	Excerpt     *string
	NextAttempt *time.Time // when the next try is due; nil when this was the last
}

// Queued is a delivery the store created, for the queue to work.
type Queued struct {
	Instance, Delivery uuid.UUID
}

// Enqueue queues deliveries in the transaction that created them (River's InsertManyTx).
type Enqueue func(ctx context.Context, tx pgx.Tx, deliveries []Queued) error

// SubscriptionChanges is a merge patch of a subscription.
type SubscriptionChanges struct {
	URL         *string
	Events      *[]string
	Description mergepatch.Field[string]
	Active      *bool
}

// Store persists subscriptions and deliveries.
type Store interface {
	CreateSubscription(ctx context.Context, instance uuid.UUID, s Subscription) error
	Subscriptions(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Subscription, int, error)
	// Subscription reads one subscription, without its secret (only a delivery's Job reads that).
	Subscription(ctx context.Context, instance, id uuid.UUID) (Subscription, error)
	UpdateSubscription(ctx context.Context, instance uuid.UUID, s Subscription) error
	DeleteSubscription(ctx context.Context, instance, id uuid.UUID) error
	Deliveries(ctx context.Context, instance, subscription uuid.UUID, page, perPage int) ([]Delivery, int, error)
	Delivery(ctx context.Context, instance, id uuid.UUID) (Delivery, error)
	// Resend creates a delivery of event to subscription and queues it, in one transaction; not
	// found when the instance has no such event.
	Resend(ctx context.Context, instance, subscription, event uuid.UUID, enqueue Enqueue) (uuid.UUID, error)
}

// Service implements the subscription use cases.
type Service struct {
	store   Store
	targets *Targets
	enqueue Enqueue
	types   []string // the catalog's event types
	kinds   []string // the kinds they name
}

// NewService returns a Service over store; targets decides which URLs are allowed, enqueue queues
// resent deliveries.
func NewService(store Store, targets *Targets, enqueue Enqueue) *Service {
	types := catalog.EventTypes()
	var kinds []string
	for _, t := range types {
		if k, _, _ := strings.Cut(t, "."); !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return &Service{store: store, targets: targets, enqueue: enqueue, types: types, kinds: kinds}
}

// checkEvents validates event type patterns (a type, kind.* or *) against the known types; repeats
// are dropped.
func checkEvents(path string, in []string, types, kinds []string, vs *fault.Violations) []string {
	out := []string{}
	for i, e := range in {
		e = strings.TrimSpace(e)
		kind, op, _ := strings.Cut(e, ".")
		if e != "*" && !slices.Contains(types, e) && !(op == "*" && slices.Contains(kinds, kind)) {
			vs.Add(fmt.Sprintf("%s[%d]", path, i), "unknown_event_type",
				"an event type such as product.created, a resource's product.*, or * for all; resources: "+strings.Join(kinds, ", "))
			continue
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(in) == 0 {
		vs.Add(path, "required", "name at least one event type, or *")
	}
	return out
}

// newSecret is a Standard Webhooks secret: whsec_ and 32 random bytes in base64.
func newSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// Create validates and stores a subscription; the result carries its secret.
func (s *Service) Create(ctx context.Context, instance uuid.UUID, url string, events []string, description *string) (Subscription, error) {
	var vs fault.Violations
	u, err := s.targets.Check(ctx, url)
	if err != nil {
		vs.Add("url", "forbidden_target", err.Error())
	}
	sub := Subscription{ID: uuid.Must(uuid.NewV7()), URL: u, Events: checkEvents("events", events, s.types, s.kinds, &vs),
		Description: catalog.Text(description), Active: true}
	if err := vs.Err(); err != nil {
		return Subscription{}, err
	}
	if sub.Secret, err = newSecret(); err != nil {
		return Subscription{}, err
	}
	if err := s.store.CreateSubscription(ctx, instance, sub); err != nil {
		return Subscription{}, err
	}
	out, err := s.store.Subscription(ctx, instance, sub.ID)
	out.Secret = sub.Secret
	return out, err
}

// Subscriptions lists a page of the instance's subscriptions.
func (s *Service) Subscriptions(ctx context.Context, instance uuid.UUID, page, perPage int) ([]Subscription, int, error) {
	return s.store.Subscriptions(ctx, instance, page, perPage)
}

// Subscription reads one subscription (without its secret).
func (s *Service) Subscription(ctx context.Context, instance, id uuid.UUID) (Subscription, error) {
	return s.store.Subscription(ctx, instance, id)
}

// Update applies a merge patch; activating clears the reason the platform deactivated it for.
func (s *Service) Update(ctx context.Context, instance, id uuid.UUID, c SubscriptionChanges) (Subscription, error) {
	sub, err := s.store.Subscription(ctx, instance, id)
	if err != nil {
		return Subscription{}, err
	}
	var vs fault.Violations
	if c.URL != nil {
		u, err := s.targets.Check(ctx, *c.URL)
		if err != nil {
			vs.Add("url", "forbidden_target", err.Error())
		}
		sub.URL = u
	}
	if c.Events != nil {
		sub.Events = checkEvents("events", *c.Events, s.types, s.kinds, &vs)
	}
	if err := vs.Err(); err != nil {
		return Subscription{}, err
	}
	if c.Description.Present() {
		sub.Description = catalog.Text(c.Description.Apply(nil))
	}
	if c.Active != nil {
		sub.Active = *c.Active
		sub.DisabledReason = nil
	}
	if err := s.store.UpdateSubscription(ctx, instance, sub); err != nil {
		return Subscription{}, err
	}
	return s.Subscription(ctx, instance, id)
}

// Delete removes a subscription with its deliveries; queued ones find it gone and stop.
func (s *Service) Delete(ctx context.Context, instance, id uuid.UUID) error {
	return s.store.DeleteSubscription(ctx, instance, id)
}

// Deliveries lists a page of a subscription's deliveries, newest first.
func (s *Service) Deliveries(ctx context.Context, instance, subscription uuid.UUID, page, perPage int) ([]Delivery, int, error) {
	if _, err := s.store.Subscription(ctx, instance, subscription); err != nil {
		return nil, 0, err
	}
	return s.store.Deliveries(ctx, instance, subscription, page, perPage)
}

// Delivery reads one delivery with its attempts.
func (s *Service) Delivery(ctx context.Context, instance, id uuid.UUID) (Delivery, error) {
	return s.store.Delivery(ctx, instance, id)
}

// Resend delivers an event to a subscription again, as a new delivery (the same webhook-id).
func (s *Service) Resend(ctx context.Context, instance, subscription, event uuid.UUID) (Delivery, error) {
	if _, err := s.store.Subscription(ctx, instance, subscription); err != nil {
		return Delivery{}, err
	}
	id, err := s.store.Resend(ctx, instance, subscription, event, s.enqueue)
	if fault.Is(err, fault.KindNotFound) {
		return Delivery{}, fault.Invalid("event", "unknown_event", "no such event in this instance (events are kept for EVENT_RETENTION, 30 days by default)")
	}
	if err != nil {
		return Delivery{}, err
	}
	return s.store.Delivery(ctx, instance, id)
}

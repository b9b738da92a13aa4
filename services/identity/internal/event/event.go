// Package event is identity's history of organization changes: instances created, renamed,
// transferred and deleted, members added, changed and removed. The domain records an event in the
// transaction of its change (Recorder), so the feed holds exactly the changes that committed.
package event

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/eventfeed"
	"github.com/flowkiwi/platform/services/identity/internal/permission"
)

// The event types.
const (
	InstanceCreated     = "instance.created"
	InstanceRenamed     = "instance.renamed"
	InstanceTransferred = "instance.transferred"
	InstanceDeleted     = "instance.deleted"
	MemberAdded         = "member.added"
	MemberUpdated       = "member.updated"
	MemberRemoved       = "member.removed"
)

// New is an event as a change records it.
type New struct {
	Organization uuid.UUID // whose feed
	Type         string
	Subject      uuid.UUID // the instance, or the member partner
	Actor        uuid.UUID
	Resource     any // what Encode renders as data (nil: only the subject's id)
}

// Event is a recorded event.
type Event struct {
	ID           uuid.UUID
	Organization uuid.UUID
	Type         string
	Subject      uuid.UUID
	Actor        uuid.UUID
	Data         json.RawMessage
	At           time.Time
	Position     Position
}

// Position is an event's number in its organization's feed (eventfeed): the cursor.
type Position = eventfeed.Position

// Encoder renders a resource as an event's data (the HTTP layer's representation).
type Encoder func(resource any) (json.RawMessage, error)

// Store records events in a change's transaction and serves the feed.
type Store interface {
	// Atomically runs fn in one transaction that every store call with fn's ctx joins.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
	RecordEvents(ctx context.Context, events []Event) error
	// OrganizationEvents lists an organization's events numbered after a position, in order;
	// numbers are taken in commit order, so a later page never gains an event before it.
	OrganizationEvents(ctx context.Context, org uuid.UUID, after Position, limit int) ([]Event, error)
}

// Authorize checks a partner's permissions in an organization (organization.Service's, which
// records events itself: a function keeps the two packages apart).
type Authorize func(ctx context.Context, actor, orgID uuid.UUID, required ...permission.Permission) error

// Recorder is what domain services record their changes with.
type Recorder struct {
	store  Store
	encode Encoder
}

// NewRecorder returns a Recorder over store that renders data with encode.
func NewRecorder(store Store, encode Encoder) *Recorder {
	return &Recorder{store: store, encode: encode}
}

// Change runs write and records the events it returns in the same transaction.
func (r *Recorder) Change(ctx context.Context, write func(ctx context.Context) ([]New, error)) error {
	return r.store.Atomically(ctx, func(ctx context.Context) error {
		news, err := write(ctx)
		if err != nil || len(news) == 0 {
			return err
		}
		events := make([]Event, len(news))
		for i, n := range news {
			data := json.RawMessage(`{"id":"` + n.Subject.String() + `"}`)
			if n.Resource != nil {
				if data, err = r.encode(n.Resource); err != nil {
					return err
				}
			}
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			events[i] = Event{ID: id, Organization: n.Organization, Type: n.Type, Subject: n.Subject, Actor: n.Actor, Data: data}
		}
		return r.store.RecordEvents(ctx, events)
	})
}

// MaxPage bounds a page of the feed.
const MaxPage = 100

// Service serves the feed.
type Service struct {
	store Store
	auth  Authorize
}

// NewService returns a Service.
func NewService(store Store, auth Authorize) *Service { return &Service{store: store, auth: auth} }

// List returns a page of orgID's feed after a position; the actor needs identity:organizations.read.
func (s *Service) List(ctx context.Context, actor, orgID uuid.UUID, after Position, limit int) ([]Event, error) {
	if err := s.auth(ctx, actor, orgID, permission.OrganizationsRead); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxPage {
		limit = MaxPage
	}
	return s.store.OrganizationEvents(ctx, orgID, after, limit)
}

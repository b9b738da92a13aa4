package catalog

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/eventfeed"
)

// Kind names a resource in event types ("product" in product.created).
type Kind string

const (
	KindProduct     Kind = "product"
	KindVariant     Kind = "variant"
	KindOption      Kind = "option"
	KindOptionValue Kind = "optionValue"
	KindPrice       Kind = "price"
	KindMedia       Kind = "media"
	KindCollection  Kind = "collection"
	KindCategory    Kind = "category"
	KindAttribute   Kind = "attribute"
	KindChannel     Kind = "channel"
	KindMetafield   Kind = "metafield"
	KindMetaobject  Kind = "metaobject"
	KindDefinition  Kind = "metaobjectDefinition"
	KindLocale      Kind = "locale"
)

// Kinds lists every resource kind that has events.
func Kinds() []Kind {
	return []Kind{KindProduct, KindVariant, KindOption, KindOptionValue, KindPrice, KindMedia, KindCollection, KindCategory,
		KindAttribute, KindChannel, KindMetafield, KindMetaobject, KindDefinition, KindLocale}
}

// Op is what happened to a resource.
type Op string

const (
	Created Op = "created"
	Updated Op = "updated"
	Deleted Op = "deleted"
)

// EventTypes lists every event type: each kind with each op, and the ends of bulk imports.
func EventTypes() []string {
	var out []string
	for _, k := range Kinds() {
		for _, op := range []Op{Created, Updated, Deleted} {
			out = append(out, string(k)+"."+string(op))
		}
	}
	return append(out, ImportCompleted, ImportFailed)
}

// The events of an import's end (package bulk records them), with its counts.
const (
	ImportCompleted = "import.completed"
	ImportFailed    = "import.failed"
)

// Change is one resource a change touched, as the change's response shows it: Resource is the
// value the HTTP layer renders (a View for products, a VariantOf for variants, the resource itself
// otherwise), nil for a delete.
type Change struct {
	Kind     Kind
	Op       Op
	ID       string // the resource's id (a locale's code)
	Resource any
	Data     json.RawMessage // the event's data, once the change path has encoded it
}

// VariantOf is a variant with the product view it was read in, as a variant event shows it.
type VariantOf struct {
	View    View
	Variant Variant
}

// Encoder renders a change's resource as its event's data (the JSON-LD of a read; for deletes
// the resource's @id and @type). The HTTP layer provides it: the catalog speaks ids.
type Encoder func(c Change) (json.RawMessage, error)

// NewEvent is an event as the change path records it.
type NewEvent struct {
	ID       uuid.UUID
	Type     string
	Resource string
	Data     json.RawMessage
}

// Event is a recorded change, as the events feed lists it.
type Event struct {
	ID              uuid.UUID
	Type            string
	Resource        string
	ResourceVersion int64
	Data            json.RawMessage
	CreatedAt       time.Time
	Position        EventPosition
}

// EventPosition is an event's number in its instance's feed (eventfeed): the feed's cursor.
type EventPosition = eventfeed.Position

// EventQuery selects a page of the events feed.
type EventQuery struct {
	After        *EventPosition // the cursor: events after this one
	Types        []string       // any of these types (empty: all)
	CreatedAfter *time.Time
	Limit        int
}

// EventStore makes a change and its events one transaction, and serves the feed.
type EventStore interface {
	// Atomically runs fn in one transaction that every store call with fn's ctx joins.
	Atomically(ctx context.Context, fn func(ctx context.Context) error) error
	// RecordEvents stores events of instance in the transaction of ctx, as it commits.
	RecordEvents(ctx context.Context, instance uuid.UUID, events []NewEvent) error
	// Events lists the instance's events numbered after the cursor, in order; numbers are taken
	// in commit order, so a later page never gains an event before the cursor.
	Events(ctx context.Context, instance uuid.UUID, q EventQuery) ([]Event, error)
	// Event reads one event; not found when the instance has no such event.
	Event(ctx context.Context, instance, id uuid.UUID) (Event, error)
}

// MaxEventsPerPage bounds a page of the feed.
const MaxEventsPerPage = 100

// change runs write, which returns the resources it touched, and records their events in the
// same transaction: an event exists if and only if its change committed. It is the one place every
// catalog write goes through. It returns the changes recorded, each with its event's data.
func (s *Service) change(ctx context.Context, instance uuid.UUID, write func(ctx context.Context) ([]Change, error)) ([]Change, error) {
	var recorded []Change
	err := s.events.Atomically(ctx, func(ctx context.Context) error {
		ctx, rewritten := withRewrites(ctx)
		changes, err := write(ctx)
		if err != nil {
			return err
		}
		if changes, err = s.complete(ctx, instance, rewritten.products, changes); err != nil {
			return err
		}
		events := make([]NewEvent, 0, len(changes))
		for i, c := range changes {
			if changes[i].Data, err = s.encode(c); err != nil {
				return err
			}
			events = append(events, NewEvent{ID: newID(), Type: string(c.Kind) + "." + string(c.Op), Resource: c.ID, Data: changes[i].Data})
		}
		recorded = changes
		return s.events.RecordEvents(ctx, instance, events)
	})
	if err != nil {
		return nil, err
	}
	return recorded, nil
}

// withEncoding is v, a product's read after its update, with the data of the event recording that
// update: v rendered as the update's response shows it, which the HTTP layer then sends rather
// than render and encode v a second time. v is unchanged when no such event was recorded.
func withEncoding(v View, recorded []Change) View {
	if len(v.Products) != 1 {
		return v
	}
	p := v.Products[0]
	for _, c := range recorded {
		if c.Kind != KindProduct || c.Op != Updated || c.ID != p.ID.String() {
			continue
		}
		if rv, ok := c.Resource.(View); ok && len(rv.Products) == 1 && rv.Products[0].Version == p.Version && rv.Expand == v.Expand {
			v.Encoded = c.Data
		}
	}
	return v
}

// one is a change of one resource.
func one(kind Kind, op Op, id uuid.UUID, resource any) []Change {
	return []Change{{Kind: kind, Op: op, ID: id.String(), Resource: resource}}
}

// Events lists a page of the instance's events.
func (s *Service) Events(ctx context.Context, instance uuid.UUID, q EventQuery) ([]Event, error) {
	if q.Limit <= 0 || q.Limit > MaxEventsPerPage {
		q.Limit = MaxEventsPerPage
	}
	return s.events.Events(ctx, instance, q)
}

// save runs write, rewrites the documents it touches and reads the resource back (from them):
// one change of kind (op) with its event.
func save[T any](ctx context.Context, s *Service, instance uuid.UUID, kind Kind, op Op, id uuid.UUID, touch Touch,
	write func(ctx context.Context) error, read func(ctx context.Context) (T, error)) (T, error) {
	var out T
	recorded, err := s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		if err := write(ctx); err != nil {
			return nil, err
		}
		if !touch.empty() {
			if err := s.refresh(ctx, instance, touch); err != nil {
				return nil, err
			}
		}
		v, err := read(ctx)
		if err != nil {
			return nil, err
		}
		out = v
		return one(kind, op, id, v), nil
	})
	if v, ok := any(out).(View); ok && err == nil {
		out = any(withEncoding(v, recorded)).(T)
	}
	return out, err
}

// remove runs del, one deletion of kind with its event; the documents of the products touch leads
// to (resolved before del) are rewritten after it, and their versions moved on.
func (s *Service) remove(ctx context.Context, instance uuid.UUID, kind Kind, id string, touch Touch, del func(ctx context.Context) error) error {
	_, err := s.change(ctx, instance, func(ctx context.Context) ([]Change, error) {
		var resolved Touch
		if !touch.empty() {
			var err error
			if resolved, err = s.docs.ResolveTouch(ctx, instance, touch); err != nil {
				return nil, err
			}
		}
		if err := del(ctx); err != nil {
			return nil, err
		}
		if !resolved.empty() {
			resolved.MoveVersions = touch.MovesVersions()
			if err := s.refresh(ctx, instance, resolved); err != nil {
				return nil, err
			}
		}
		return []Change{{Kind: kind, Op: Deleted, ID: id}}, nil
	})
	return err
}

// Event reads one event of the instance.
func (s *Service) Event(ctx context.Context, instance, id uuid.UUID) (Event, error) {
	return s.events.Event(ctx, instance, id)
}

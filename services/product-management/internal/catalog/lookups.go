package catalog

import (
	"context"

	"github.com/google/uuid"
)

// lookups remembers, for one batch of writes in one transaction (an import's batch), what their
// validation looked up: the instance's channels, categories with their attribute sets, which
// collections exist. The batch's own writes change none of them, so each is asked once per batch,
// not once per line. Outside a batch (no lookups in the ctx) every call asks the store.
type lookups struct {
	channels    map[uuid.UUID]Channel
	categories  map[uuid.UUID]categoryLookup
	collections map[uuid.UUID]bool // id -> exists
}

type categoryLookup struct {
	set   []Attribute
	found bool
}

type lookupsKey struct{}

// withLookups is ctx with a batch's memory of lookups.
func withLookups(ctx context.Context) context.Context {
	return context.WithValue(ctx, lookupsKey{}, &lookups{categories: map[uuid.UUID]categoryLookup{}, collections: map[uuid.UUID]bool{}})
}

// lookupsOf is the batch's memory, nil outside a batch (its methods then remember nothing).
func lookupsOf(ctx context.Context) *lookups {
	l, _ := ctx.Value(lookupsKey{}).(*lookups)
	return l
}

func (l *lookups) channelMap() map[uuid.UUID]Channel {
	if l == nil {
		return nil
	}
	return l.channels
}

func (l *lookups) setChannels(m map[uuid.UUID]Channel) {
	if l != nil {
		l.channels = m
	}
}

func (l *lookups) category(id uuid.UUID) ([]Attribute, bool, bool) {
	if l == nil {
		return nil, false, false
	}
	c, seen := l.categories[id]
	return c.set, c.found, seen
}

func (l *lookups) setCategory(id uuid.UUID, set []Attribute, found bool) {
	if l != nil {
		l.categories[id] = categoryLookup{set: set, found: found}
	}
}

func (l *lookups) collection(id uuid.UUID) (found, seen bool) {
	if l == nil {
		return false, false
	}
	found, seen = l.collections[id]
	return found, seen
}

func (l *lookups) setCollections(asked []uuid.UUID, known map[uuid.UUID]bool) {
	if l == nil {
		return
	}
	for _, id := range asked {
		l.collections[id] = known[id]
	}
}

package postgres

import (
	"context"

	"github.com/google/uuid"
)

// PageTitleSearches sets how many matches a title search gathers before it walks instead, and
// above how many expected matches it walks from the start.
func (s *Store) PageTitleSearches(gather, walkAbove int) {
	s.gatherTitleMatches, s.walkSearchesAbove = gather, walkAbove
}

// ItemLookup is one item read's document lookup (channel uuid.Nil: no currency asked).
type ItemLookup struct {
	Instance, ID, Channel uuid.UUID
	Kept, Dec             int64
}

// ItemAnswer is what a lookup found.
type ItemAnswer struct {
	Found    bool
	Revision int64
	Doc      []byte
	Currency *string
	Err      error
}

// LookUpTogether makes lookups in one statement, as a worker does with the lookups of
// concurrent item reads queued while it was busy.
func (s *Store) LookUpTogether(lookups []ItemLookup) []ItemAnswer {
	batch := make([]*itemRead, len(lookups))
	for i, l := range lookups {
		batch[i] = &itemRead{ctx: context.Background(), instance: l.Instance, id: l.ID, channel: l.Channel, kept: l.Kept, dec: l.Dec, done: make(chan struct{})}
	}
	s.items[s.pool].run(batch, nil)
	out := make([]ItemAnswer, len(batch))
	for i, it := range batch {
		out[i] = ItemAnswer{Found: it.found, Revision: it.revision, Doc: it.doc, Currency: it.currency, Err: it.err}
	}
	return out
}

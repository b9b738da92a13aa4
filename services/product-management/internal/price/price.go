// Package price resolves which price applies to a variant in a channel and country at a moment,
// and the lowest price of the 30 days before the current one took effect (EU Omnibus directive,
// 98/6/EC art. 6a). It works on the full, never-rewritten history of price rows.
package price

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Row is one revision of a price, in force on [Start, End) (End zero: open).
type Row struct {
	ID        uuid.UUID // the price (stable across revisions)
	Revision  int64
	VariantID uuid.UUID
	ChannelID *uuid.UUID // nil: any channel
	Country   string     // "": any country
	Currency  string
	Amount    int64  // minor units
	CompareAt *int64 // minor units
	Dated     bool   // the price was given a validFrom
	Start     time.Time
	End       time.Time
	CreatedAt time.Time // when the price was set: its first revision was recorded (the same in every revision)
	UpdatedAt time.Time // when this revision was recorded, or last given an end
}

// Open reports whether the row has no end.
func (r Row) Open() bool { return r.End.IsZero() }

// Precision is the resolution of stored times (PostgreSQL's timestamptz: microseconds). Times made
// or taken in Go are cut to it before they are stored or returned, so a response to a write shows
// the value every later read returns.
const Precision = time.Microsecond

// Now is the current time in UTC at the stored precision.
func Now() time.Time { return time.Now().UTC().Truncate(Precision) }

// SameSlot reports whether resolution can tell a and b apart only by their amount: the same
// variant, channel (or none), country (or none), currency and datedness (resolution ranks rows by
// the specificity of their scope, then dated over undated, then by the lower amount).
func SameSlot(a, b Row) bool {
	return a.VariantID == b.VariantID && a.Currency == b.Currency && a.Country == b.Country && a.Dated == b.Dated &&
		(a.ChannelID == nil) == (b.ChannelID == nil) && (a.ChannelID == nil || *a.ChannelID == *b.ChannelID)
}

// Overlap reports whether the intervals [Start, End) of a and b share a moment (an empty interval
// shares none).
func Overlap(a, b Row) bool {
	before := func(t, end time.Time) bool { return end.IsZero() || t.Before(end) } // t < end, a zero end being +inf
	return before(a.Start, a.End) && before(b.Start, b.End) && before(a.Start, b.End) && before(b.Start, a.End)
}

// Duplicate reports whether two different prices are in the same slot over overlapping intervals:
// of those, only the lower amount would ever apply and the other never would, so a second such
// price is refused.
func Duplicate(a, b Row) bool { return a.ID != b.ID && SameSlot(a, b) && Overlap(a, b) }

func (r Row) inForce(t time.Time) bool {
	return !t.Before(r.Start) && (r.Open() || t.Before(r.End))
}

// Context is what a storefront asks for.
type Context struct {
	Channel  uuid.UUID
	Currency string // the channel's currency
	Country  string
	At       time.Time
}

func (c Context) candidate(r Row) bool {
	return r.Currency == c.Currency && (r.ChannelID == nil || *r.ChannelID == c.Channel) && (r.Country == "" || r.Country == c.Country)
}

// specificity ranks scopes: channel+country, channel, country, neither.
func specificity(r Row) int {
	s := 0
	if r.ChannelID != nil {
		s += 2
	}
	if r.Country != "" {
		s++
	}
	return s
}

// better reports whether a wins over b: more specific scope, then dated over undated, then the
// lower amount (and, for a total order, the lower id).
func better(a, b Row) bool {
	if sa, sb := specificity(a), specificity(b); sa != sb {
		return sa > sb
	}
	if a.Dated != b.Dated {
		return a.Dated
	}
	if a.Amount != b.Amount {
		return a.Amount < b.Amount
	}
	return a.ID.String() < b.ID.String()
}

// winner returns the row that applies at t among rows (all of one variant), if any.
func winner(rows []Row, c Context, t time.Time) (Row, bool) {
	var best Row
	found := false
	for _, r := range rows {
		if !c.candidate(r) || !r.inForce(t) {
			continue
		}
		if !found || better(r, best) {
			best, found = r, true
		}
	}
	return best, found
}

// Resolve returns the price of one variant (rows: its whole history) in context c.
func Resolve(rows []Row, c Context) (Row, bool) { return winner(rows, c, c.At) }

// Window is how far back the lowest price looks.
const Window = 30 * 24 * time.Hour

// LowestBefore returns the lowest amount that the resolution yielded at any moment in the Window
// before the current resolved price took effect, counting the price in force when that window
// opened and not counting the current price itself; false when no other price applied then.
func LowestBefore(rows []Row, c Context) (int64, bool) {
	current, ok := winner(rows, c, c.At)
	if !ok {
		return 0, false
	}
	points := c.changePoints(rows)
	slices.SortFunc(points, func(a, b time.Time) int { return a.Compare(b) })
	points = slices.CompactFunc(points, func(a, b time.Time) bool { return a.Equal(b) })

	// When did the current price take effect? The resolution is constant between change points, so
	// walk back over them while the current price still wins.
	since := c.At
	for i := len(points) - 1; i >= 0; i-- {
		p := points[i]
		if p.After(c.At) {
			continue
		}
		if w, ok := winner(rows, c, p); ok && w.ID == current.ID && w.Revision == current.Revision {
			since = p
			continue
		}
		break
	}
	from := since.Add(-Window)
	var lowest int64
	found := false
	consider := func(t time.Time) {
		if w, ok := winner(rows, c, t); ok && !(w.ID == current.ID && w.Revision == current.Revision) {
			if !found || w.Amount < lowest {
				lowest, found = w.Amount, true
			}
		}
	}
	consider(from) // the price in force when the window opened
	for _, p := range points {
		if p.After(from) && p.Before(since) {
			consider(p)
		}
	}
	return lowest, found
}

// Steady returns the span [from, until) around c.At in which no candidate row of rows starts or
// ends (zero: unbounded): Resolve and LowestBefore answer the same for every moment of it, since
// both depend only on which rows are in force at the change points up to the moment (the lowest
// price's window is anchored where the current price took effect, a change point, not at the
// moment itself). A copy of a priced read can be kept for that span.
func Steady(rows []Row, c Context) (from, until time.Time) {
	for _, p := range c.changePoints(rows) {
		switch {
		case !p.After(c.At):
			if from.IsZero() || p.After(from) {
				from = p
			}
		case until.IsZero() || p.Before(until):
			until = p
		}
	}
	return from, until
}

// changePoints are the moments where the resolution may change: every start and end of a
// candidate row (unsorted).
func (c Context) changePoints(rows []Row) []time.Time {
	var points []time.Time
	for _, r := range rows {
		if !c.candidate(r) {
			continue
		}
		points = append(points, r.Start)
		if !r.Open() {
			points = append(points, r.End)
		}
	}
	return points
}

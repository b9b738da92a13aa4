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
}

// Open reports whether the row has no end.
func (r Row) Open() bool { return r.End.IsZero() }

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
	// Moments where the resolution may change: every start and end of a candidate row.
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

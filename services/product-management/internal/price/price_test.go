package price_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

var (
	now     = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	web     = uuid.MustParse("00000000-0000-4000-8000-00000000000a")
	shop    = uuid.MustParse("00000000-0000-4000-8000-00000000000b")
	variant = uuid.MustParse("00000000-0000-4000-8000-0000000000ff")
)

func day(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }

// row builds a price row; from/until are day offsets (until 0: open). Each call is a new price.
func row(amount int64, channel *uuid.UUID, country string, dated bool, from, until int) price.Row {
	r := price.Row{ID: uuid.New(), Revision: 1, VariantID: variant, ChannelID: channel, Country: country, Currency: "EUR",
		Amount: amount, Dated: dated, Start: day(from)}
	if until != 0 {
		r.End = day(until)
	}
	return r
}

func ctx(at time.Time) price.Context {
	return price.Context{Channel: web, Currency: "EUR", Country: "DE", At: at}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	usd := row(500, &web, "DE", true, -10, 0)
	usd.Currency = "USD"
	for _, tc := range []struct {
		name string
		rows []price.Row
		at   time.Time
		want int64 // 0: no price
	}{
		{"nothing", nil, now, 0},
		{"neither scope", []price.Row{row(1000, nil, "", false, -10, 0)}, now, 1000},
		{"country beats neither", []price.Row{row(1000, nil, "", false, -10, 0), row(1200, nil, "DE", false, -10, 0)}, now, 1200},
		{"channel beats country", []price.Row{row(1200, nil, "DE", false, -10, 0), row(1300, &web, "", false, -10, 0)}, now, 1300},
		{"channel and country beat channel", []price.Row{row(1300, &web, "", false, -10, 0), row(1400, &web, "DE", false, -10, 0)}, now, 1400},
		{"another channel never applies", []price.Row{row(900, &shop, "DE", true, -10, 0)}, now, 0},
		{"another country never applies", []price.Row{row(900, &web, "FR", true, -10, 0)}, now, 0},
		{"another currency never applies", []price.Row{usd}, now, 0},
		{"dated beats undated in one scope", []price.Row{row(1000, &web, "", false, -10, 0), row(1100, &web, "", true, -10, 0)}, now, 1100},
		{"lower amount breaks ties", []price.Row{row(1000, &web, "", true, -10, 0), row(900, &web, "", true, -5, 0)}, now, 900},
		{"a scheduled price applies from its start", []price.Row{row(1000, &web, "", false, -10, 0), row(800, &web, "", true, 2, 5)}, day(3), 800},
		{"before its start it does not", []price.Row{row(1000, &web, "", false, -10, 0), row(800, &web, "", true, 2, 5)}, day(1), 1000},
		{"half-open: not at its end", []price.Row{row(1000, &web, "", false, -10, 0), row(800, &web, "", true, 2, 5)}, day(5), 1000},
		{"a deleted price stops at deletion", []price.Row{row(1000, &web, "", false, -10, -2)}, now, 0},
		{"but applied before", []price.Row{row(1000, &web, "", false, -10, -2)}, day(-3), 1000},
		{"past: the price in force then", []price.Row{row(1000, &web, "", false, -30, -5), row(1500, &web, "", false, -5, 0)}, day(-10), 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := price.Resolve(tc.rows, ctx(tc.at))
			if tc.want == 0 {
				if ok {
					t.Fatalf("resolved %d, want none", got.Amount)
				}
				return
			}
			if !ok || got.Amount != tc.want {
				t.Fatalf("resolved %v (%d), want %d", ok, got.Amount, tc.want)
			}
		})
	}
}

func TestLowestBefore(t *testing.T) {
	t.Parallel()
	// A price changed in place closes one revision and opens the next: same id, new revision.
	changed := func(amounts []int64, from []int) []price.Row {
		id := uuid.New()
		var rows []price.Row
		for i, a := range amounts {
			r := price.Row{ID: id, Revision: int64(i + 1), VariantID: variant, ChannelID: &web, Currency: "EUR", Amount: a, Start: day(from[i])}
			if i+1 < len(from) {
				r.End = day(from[i+1])
			}
			rows = append(rows, r)
		}
		return rows
	}
	for _, tc := range []struct {
		name string
		rows []price.Row
		at   time.Time
		want int64 // 0: null
	}{
		{"the issue's example: 100, 80, 90, 70 -> 80", changed([]int64{10000, 8000, 9000, 7000}, []int{-60, -20, -10, -1}), now, 8000},
		{"same as scheduled rows", []price.Row{row(10000, &web, "", true, -60, -20), row(8000, &web, "", true, -20, -10),
			row(9000, &web, "", true, -10, -1), row(7000, &web, "", true, -1, 0)}, now, 8000},
		{"counts the price in force when the window opened", changed([]int64{6000, 9000, 7000}, []int{-90, -40, -1}), now, 9000},
		{"a price before the window does not count", changed([]int64{5000, 9000, 7000}, []int{-90, -45, -1}), now, 9000},
		{"no other price in the window", []price.Row{row(7000, &web, "", false, -5, 0)}, now, 0},
		{"the current price itself does not count", changed([]int64{7000}, []int{-100}), now, 0},
		{"a gap with no price is skipped", []price.Row{row(6000, &web, "", true, -25, -20), row(7000, &web, "", true, -2, 0)}, now, 6000},
		{"an overriding scope counts while it applied", []price.Row{row(9000, &web, "", false, -100, 0), row(5000, &web, "DE", true, -15, -3),
			row(8000, &web, "", true, -2, 0)}, now, 5000},
		{"resumed price takes effect when it resumed", []price.Row{row(9000, &web, "", false, -100, 0), row(5000, &web, "DE", true, -50, -3)}, now, 5000},
		{"past moment", changed([]int64{10000, 8000, 9000, 7000}, []int{-60, -20, -10, -1}), day(-5), 8000},
		{"future moment sees scheduled prices", []price.Row{row(10000, &web, "", false, -60, 0), row(7000, &web, "", true, 3, 10)}, day(5), 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := price.LowestBefore(tc.rows, ctx(tc.at))
			if tc.want == 0 {
				if ok {
					t.Fatalf("lowest = %d, want null", got)
				}
				return
			}
			if !ok || got != tc.want {
				t.Fatalf("lowest = %v %d, want %d", ok, got, tc.want)
			}
		})
	}
}

// TestDuplicate: two prices are duplicates when resolution could only tell them apart by amount
// (same variant, channel, country, currency and datedness) over a shared moment.
func TestDuplicate(t *testing.T) {
	t.Parallel()
	base := row(1000, &web, "DE", false, -10, 0)
	with := func(r price.Row, f func(*price.Row)) price.Row { f(&r); r.ID = uuid.New(); return r }
	empty := row(1000, &web, "DE", true, 5, 0)
	empty.End = empty.Start // a scheduled price ended before it began
	for _, tc := range []struct {
		name string
		a, b price.Row
		want bool
	}{
		{"the same scope, both open", base, row(900, &web, "DE", false, 0, 0), true},
		{"undated and dated are ranked apart", base, row(900, &web, "DE", true, 0, 0), false},
		{"another channel", base, row(900, &shop, "DE", false, 0, 0), false},
		{"every channel and one channel", base, row(900, nil, "DE", false, 0, 0), false},
		{"another country", base, row(900, &web, "FR", false, 0, 0), false},
		{"every country and one country", base, row(900, &web, "", false, 0, 0), false},
		{"another currency", base, with(base, func(r *price.Row) { r.Currency = "USD" }), false},
		{"another variant", base, with(base, func(r *price.Row) { r.VariantID = uuid.New() }), false},
		{"every channel and country, both", row(1, nil, "", false, -1, 0), row(2, nil, "", false, 0, 0), true},
		{"dated, one after the other", row(1, &web, "DE", true, -10, 5), row(2, &web, "DE", true, 5, 9), false},
		{"dated, overlapping by a day", row(1, &web, "DE", true, -10, 5), row(2, &web, "DE", true, 4, 9), true},
		{"scheduled within an open one", row(1, &web, "DE", true, -10, 0), row(2, &web, "DE", true, 3, 6), true},
		{"an ended undated price and a new one", row(1, &web, "DE", false, -10, -1), row(2, &web, "DE", false, 0, 0), false},
		{"an empty interval overlaps nothing", empty, row(2, &web, "DE", true, 0, 10), false},
		{"a copy under another id", base, with(base, func(*price.Row) {}), true},
		{"one price (its own revisions) is no duplicate of itself", base, base, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := price.Duplicate(tc.a, tc.b); got != tc.want {
				t.Errorf("Duplicate(a, b) = %v, want %v", got, tc.want)
			}
			if got := price.Duplicate(tc.b, tc.a); got != tc.want {
				t.Errorf("Duplicate(b, a) = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestSteadyHoldsResolution: for random histories, every moment of the span Steady gives around a
// moment resolves, and finds the lowest price, as that moment does; the span's ends are change
// points (or unbounded), and a row of another currency, channel or country does not cut it.
func TestSteadyHoldsResolution(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	channels := []*uuid.UUID{nil, &web, &shop}
	countries := []string{"", "DE", "FR"}
	for n := range 2000 {
		var rows []price.Row
		for range 1 + rnd.IntN(6) {
			from := rnd.IntN(120) - 80
			until := 0
			if rnd.IntN(2) == 0 {
				until = from + 1 + rnd.IntN(60)
			}
			r := row(int64(100+rnd.IntN(900)), channels[rnd.IntN(3)], countries[rnd.IntN(3)], rnd.IntN(2) == 0, from, until)
			if rnd.IntN(8) == 0 {
				r.Currency = "USD"
			}
			rows = append(rows, r)
		}
		at := day(rnd.IntN(140) - 90).Add(time.Duration(rnd.IntN(24)) * time.Hour)
		c := ctx(at)
		from, until := price.Steady(rows, c)
		if (!from.IsZero() && from.After(at)) || (!until.IsZero() && !until.After(at)) {
			t.Fatalf("history %d: span [%v, %v) does not hold %v", n, from, until, at)
		}
		want, wantOK := price.Resolve(rows, c)
		wantLow, wantLowOK := price.LowestBefore(rows, c)
		lo, hi := from, until
		if lo.IsZero() {
			lo = day(-400)
		}
		if hi.IsZero() {
			hi = day(400)
		}
		for _, m := range []time.Time{lo, hi.Add(-time.Microsecond), lo.Add(hi.Sub(lo) / 2), lo.Add(time.Duration(rnd.Int64N(int64(hi.Sub(lo)))))} {
			c.At = m
			got, ok := price.Resolve(rows, c)
			low, lowOK := price.LowestBefore(rows, c)
			if ok != wantOK || got.ID != want.ID || lowOK != wantLowOK || low != wantLow {
				t.Fatalf("history %d: at %v resolves %v %v (lowest %v %v), at %v in its span [%v, %v) %v %v (lowest %v %v)",
					n, at, want.ID, wantOK, wantLow, wantLowOK, m, from, until, got.ID, ok, low, lowOK)
			}
		}
		// The span's ends are change points of candidates: past them the answer may change.
		for _, end := range []time.Time{from, until} {
			if end.IsZero() {
				continue
			}
			cut := false
			for _, r := range rows {
				if r.Currency == "EUR" && (r.ChannelID == nil || *r.ChannelID == web) && (r.Country == "" || r.Country == "DE") &&
					(r.Start.Equal(end) || r.End.Equal(end)) {
					cut = true
				}
			}
			if !cut {
				t.Fatalf("history %d: the span [%v, %v) ends at %v, where no candidate row starts or ends", n, from, until, end)
			}
		}
	}
}

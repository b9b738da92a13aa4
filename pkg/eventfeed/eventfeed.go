// Package eventfeed is what both services' event feeds share: a feed is a table of events
// ordered by the transaction that wrote each (tx_id xid8, default pg_current_xact_id()) then a
// sequence (seq), read only below the oldest running transaction (pg_snapshot_xmin), so an event
// that commits late never lands behind a position already handed out. A Position is a reader's
// place in it, and travels as an opaque cursor.
package eventfeed

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Position is an event's place in a feed: its transaction, then its sequence. The zero Position
// is before every event.
type Position struct {
	Tx  uint64
	Seq int64
}

// Cursor encodes p for a client (URL-safe, opaque).
func Cursor(p Position) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(p.Tx, 10) + "." + strconv.FormatInt(p.Seq, 10)))
}

// ParseCursor reads a Cursor back; ok is false for anything Cursor did not make.
func ParseCursor(s string) (p Position, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Position{}, false
	}
	tx, seq, found := strings.Cut(string(raw), ".")
	if !found {
		return Position{}, false
	}
	t, err1 := strconv.ParseUint(tx, 10, 63)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return Position{}, false
	}
	return Position{Tx: t, Seq: n}, true
}

// After is the condition of a feed's page after the position in parameters $n and $n+1 (Args),
// on the events that can no longer be joined by earlier ones; Order is the page's order.
func After(n int) string {
	return fmt.Sprintf("(tx_id, seq) > ($%d::xid8, $%d) and tx_id < pg_snapshot_xmin(pg_current_snapshot())", n, n+1)
}

// Order is a feed's order.
const Order = "tx_id, seq"

// Columns selects an event's position: scan it into an int64 and Seq (At).
const Columns = "tx_id::text::bigint, seq"

// At is the position scanned from Columns.
func At(tx, seq int64) Position { return Position{Tx: uint64(tx), Seq: seq} }

// Args are the parameters of After for p.
func Args(p Position) []any { return []any{strconv.FormatUint(p.Tx, 10), p.Seq} }

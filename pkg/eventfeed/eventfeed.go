// Package eventfeed is what both services' event feeds share. A feed (an instance's, an
// organization's) numbers its events 1, 2, 3, ... in commit order. A change takes its events'
// numbers at its very end (pgtx.Stage: just before COMMIT), by adding their count to its feed's
// row in a heads table, and holds that row's lock until it commits. So, within a feed:
//
//   - numbers are handed out in commit order: a change can take numbers only after the previous
//     taker committed (or rolled back, its numbers never seen), so a reader that sees number n
//     sees every number below it, and a change that commits later gets numbers above every one
//     already visible: a cursor never skips an event;
//   - nothing outside the feed holds it back: no server-wide transaction id or snapshot is read,
//     so a long writer in another database, a session idle in a transaction or an import in
//     another instance stalls no reader, and positions mean the same on any node that holds the
//     feed (a distributed PostgreSQL numbers transactions per node).
//
// The lock spans the last statement and the COMMIT of each change of one feed; writers of other
// feeds never meet. Logical decoding would give commit order too, but needs wal_level=logical,
// a replication slot per database that keeps WAL while its reader is down, and a reader that
// filters every instance's changes out of one stream; the per-feed lock cost the 6-variant create
// of `make bench-http` nothing measurable (the closing note of the issue gives the figures).
//
// Earlier feeds ordered events by (transaction id, sequence), read below the oldest running
// transaction; their cursors still work: Resolve finds where such a position stands in the numbers
// (the columns tx_id and seq stay for that, and for the previous version during a rollout).
package eventfeed

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Position is a reader's place in a feed: the number of the last event read (0: before the
// first). A Position parsed from a cursor of the earlier (transaction, sequence) order carries that
// instead until Resolve turns it into a number.
type Position struct {
	N      int64
	legacy *legacy
}

type legacy struct {
	tx  uint64
	seq int64
}

// At is the position of the event numbered n.
func At(n int64) Position { return Position{N: n} }

// Cursor encodes p for a client (URL-safe, opaque).
func Cursor(p Position) string {
	if p.legacy != nil { // echoed unresolved: it still works next time
		return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(p.legacy.tx, 10) + "." + strconv.FormatInt(p.legacy.seq, 10)))
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(p.N, 10)))
}

// ParseCursor reads a Cursor back, and cursors of the earlier order; ok is false for anything
// else.
func ParseCursor(s string) (p Position, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Position{}, false
	}
	tx, seq, dotted := strings.Cut(string(raw), ".")
	if !dotted {
		n, err := strconv.ParseInt(tx, 10, 64)
		if err != nil || n < 0 || strconv.FormatInt(n, 10) != tx {
			return Position{}, false
		}
		return Position{N: n}, true
	}
	t, err1 := strconv.ParseUint(tx, 10, 63)
	n, err2 := strconv.ParseInt(seq, 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return Position{}, false
	}
	return Position{legacy: &legacy{tx: t, seq: n}}, true
}

// Row is what Resolve reads with: a pool or a transaction.
type Row interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Resolve returns p's number in the feed of table whose partition column is feed: p's own, or,
// for a cursor of the earlier order, the number just below the first event after it in that order
// (the newest number when none is after it). Numbers follow commit order, transaction ids do not:
// during a rollout an event of a later transaction may have a lower number, so the reader may see
// an event again (it deduplicates on the id, as it must anyway), never miss one. It reads the
// feed's events after the cursor once.
func Resolve(ctx context.Context, db Row, table, partition string, feed any, p Position) (int64, error) {
	if p.legacy == nil {
		return p.N, nil
	}
	var n int64
	err := db.QueryRow(ctx, fmt.Sprintf(`select coalesce(
			(select min(position) - 1 from %[1]s where %[2]s = $1 and (tx_id, seq) > ($2::xid8, $3)),
			(select max(position) from %[1]s where %[2]s = $1), 0)`, table, partition),
		feed, strconv.FormatUint(p.legacy.tx, 10), p.legacy.seq).Scan(&n)
	return n, err
}

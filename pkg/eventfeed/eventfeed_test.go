package eventfeed

import "testing"

func TestCursorRoundTrips(t *testing.T) {
	t.Parallel()
	for _, p := range []Position{{}, {Tx: 1, Seq: 2}, {Tx: 1 << 62, Seq: 1 << 62}} {
		got, ok := ParseCursor(Cursor(p))
		if !ok || got != p {
			t.Errorf("ParseCursor(Cursor(%+v)) = %+v, %v", p, got, ok)
		}
	}
	for _, bad := range []string{"", "!", "MQ", Cursor(Position{}) + "x", "LTEuMQ" /* -1.1 */, "MS4tMQ" /* 1.-1 */} {
		if p, ok := ParseCursor(bad); ok {
			t.Errorf("ParseCursor(%q) = %+v, want refused", bad, p)
		}
	}
}

func TestAfterNumbersItsParameters(t *testing.T) {
	t.Parallel()
	want := "(tx_id, seq) > ($3::xid8, $4) and tx_id < pg_snapshot_xmin(pg_current_snapshot())"
	if got := After(3); got != want {
		t.Fatalf("After(3) = %s", got)
	}
	if args := Args(Position{Tx: 7, Seq: 9}); args[0] != "7" || args[1] != int64(9) {
		t.Fatalf("Args = %v", args)
	}
}

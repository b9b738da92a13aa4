package eventfeed

import "testing"

func TestCursorRoundTrips(t *testing.T) {
	t.Parallel()
	for _, p := range []Position{{}, {N: 1}, {N: 1 << 62}, {legacy: &legacy{tx: 1, seq: 2}}, {legacy: &legacy{tx: 1 << 62, seq: 1 << 62}}} {
		got, ok := ParseCursor(Cursor(p))
		if !ok || got.N != p.N || (got.legacy == nil) != (p.legacy == nil) || (p.legacy != nil && *got.legacy != *p.legacy) {
			t.Errorf("ParseCursor(Cursor(%+v)) = %+v, %v", p, got, ok)
		}
	}
	for _, bad := range []string{"", "!", Cursor(Position{}) + "x", "LTE" /* -1 */, "MDE" /* 01 */, "KzE" /* +1 */, "LTEuMQ" /* -1.1 */, "MS4tMQ" /* 1.-1 */} {
		if p, ok := ParseCursor(bad); ok {
			t.Errorf("ParseCursor(%q) = %+v, want refused", bad, p)
		}
	}
}

// A cursor handed out by the earlier (transaction, sequence) feed still parses, as a position
// Resolve has to look up.
func TestEarlierCursorsParse(t *testing.T) {
	t.Parallel()
	p, ok := ParseCursor("NzU4LjEy") // "758.12"
	if !ok || p.legacy == nil || p.legacy.tx != 758 || p.legacy.seq != 12 || p.N != 0 {
		t.Fatalf("ParseCursor(758.12) = %+v, %v", p, ok)
	}
}

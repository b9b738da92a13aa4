package envconfig

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Every setting read is listed once, in the order first read, with its default; PrintHelp
// prints them under the usage.
func TestVarsListWhatWasReadWithDefaults(t *testing.T) {
	t.Parallel()
	r := New(func(string) string { return "" })
	r.String("A_URL", "")
	r.Duration("A_TIMEOUT", 5*time.Second)
	r.Float("A_RATE", 50, 0, 100)
	r.String("A_URL", "other")
	want := []Var{{"A_URL", ""}, {"A_TIMEOUT", "5s"}, {"A_RATE", "50"}}
	got := r.Vars()
	if len(got) != len(want) {
		t.Fatalf("vars %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("vars %v, want %v", got, want)
		}
	}
	var b bytes.Buffer
	PrintHelp(&b, "usage: x", got)
	for _, line := range []string{"usage: x", "A_URL", "(none)", "A_TIMEOUT", "5s", "A_RATE"} {
		if !strings.Contains(b.String(), line) {
			t.Fatalf("help lacks %q:\n%s", line, b.String())
		}
	}
}

package metrics

import (
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// The live heap after the last collection is exported (the soak's leak reading): a positive
// value under its name.
func TestExportsTheLiveHeap(t *testing.T) {
	t.Parallel()
	runtime.GC() // the reading is as of the last collection
	rec := httptest.NewRecorder()
	New("test").Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if name, value, ok := strings.Cut(line, " "); ok && name == "go_gc_heap_live_bytes" && value != "0" {
			return
		}
	}
	t.Fatalf("no go_gc_heap_live_bytes above 0 in:\n%s", rec.Body.String())
}

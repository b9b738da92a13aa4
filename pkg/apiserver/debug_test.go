package apiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log sink safe for the server's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Debug serves the profiles on its own listener (logging the bound address), and stops when ctx
// ends; an empty address serves nothing.
func TestDebugServesProfilesUntilCtxEnds(t *testing.T) {
	t.Parallel()
	if err := Debug(context.Background(), "", slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("no address: %v", err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Debug(ctx, "127.0.0.1:0", slog.New(slog.NewJSONHandler(&logs, nil))) }()
	var addr string
	for deadline := time.Now().Add(5 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for line := range strings.SplitSeq(logs.String(), "\n") {
			var rec struct{ Msg, Addr, Listener string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" && rec.Listener == "debug" {
				addr = rec.Addr
			}
		}
	}
	if addr == "" {
		t.Fatalf("no debug listener logged: %s", logs.String())
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("cmdline: %d %q", resp.StatusCode, body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Debug ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Debug did not stop when ctx ended")
	}
}

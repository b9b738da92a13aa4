package idempotency

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/problem"
	"github.com/flowkiwi/platform/pkg/testdb"
)

func TestParseKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"abc", "abc", true},
		{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`, "8e03978e-40d5-43e8-bc93-6894a57f9324", true}, // an sf-string
		{`" spaced key "`, " spaced key ", true},
		{" trimmed ", "trimmed", true},
		{strings.Repeat("k", 255), strings.Repeat("k", 255), true},
		{strings.Repeat("k", 256), "", false},
		{`""`, "", false},
		{"caf\u00e9", "", false},
		{"tab\there", "", false},
	} {
		got, err := ParseKey(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseKey(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

// server is an Echo app whose one POST answers status (and counts its runs) behind the keys.
func server(t *testing.T, k *Keys, status *atomic.Int32, runs *atomic.Int32) string {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = problem.Writer{}.EchoErrorHandler
	e.Use(k.Middleware(func(echo.Context) (string, bool) { return "partner-1", true }))
	e.POST("/things", func(c echo.Context) error {
		runs.Add(1)
		c.Response().Header().Set("Location", "/things/1")
		c.Response().Header().Set("X-Request-Id", "per-answer")
		return c.JSON(int(status.Load()), map[string]int32{"run": runs.Load()})
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

func post(t *testing.T, url, key, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/things", strings.NewReader(body))
	req.Header.Set(Header, key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func keys(t *testing.T) *Keys {
	t.Helper()
	schema, err := os.ReadFile("../../db/identity/migrations/003_idempotency.sql")
	if err != nil {
		t.Fatal(err)
	}
	return New(testdb.New(t, fstest.MapFS{"001_idempotency.sql": {Data: schema}}), nil)
}

// Outcomes that are not the operation's (401, 429, 5xx) are not kept: a retry runs again. Kept
// outcomes replay the headers that belong to them, not those of each answer.
func TestWhatIsKept(t *testing.T) {
	t.Parallel()
	k := keys(t)
	var status, runs atomic.Int32
	url := server(t, k, &status, &runs)
	for _, code := range []int32{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInternalServerError} {
		status.Store(code)
		before := runs.Load()
		post(t, url, "k-"+string(rune('a'+code%26)), "{}")
		post(t, url, "k-"+string(rune('a'+code%26)), "{}")
		if runs.Load()-before != 2 {
			t.Errorf("a %d was kept: the retry did not run", code)
		}
	}
	status.Store(http.StatusCreated)
	first, body1 := post(t, url, "kept", `{"a":1}`)
	again, body2 := post(t, url, "kept", `{"a":1}`)
	if runs.Load() != 9 || body1 != body2 || again.StatusCode != 201 || again.Header.Get("Location") != "/things/1" ||
		again.Header.Get("X-Request-Id") != "" || again.Header.Get(Replayed) != "true" || first.Header.Get(Replayed) != "" {
		t.Fatalf("runs %d; first %d %s; again %d %s %v", runs.Load(), first.StatusCode, body1, again.StatusCode, body2, again.Header)
	}
}

// A first request that died while holding its key frees it when the lease ends; expired outcomes
// are deleted by Expire, and their key may run again.
func TestLeaseAndExpiry(t *testing.T) {
	t.Parallel()
	k := keys(t)
	ctx := context.Background()
	clock := time.Now()
	k.now = func() time.Time { return clock }
	if ok, err := k.claim(ctx, "p", "dead", []byte("fp")); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if ok, err := k.claim(ctx, "p", "dead", []byte("fp")); err != nil || ok {
		t.Fatalf("a running key was claimed twice (%v)", err)
	}
	clock = clock.Add(Lease + time.Second)
	if ok, err := k.claim(ctx, "p", "dead", []byte("other")); err != nil || ok {
		t.Fatalf("a dead request's key was taken over by another request (%v)", err)
	}
	if ok, err := k.claim(ctx, "p", "dead", []byte("fp")); err != nil || !ok {
		t.Fatalf("the retry of a dead request could not take its key over (%v)", err)
	}
	clock = clock.Add(TTL + time.Second)
	if n, err := k.Expire(ctx); err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want 1", n, err)
	}
	if ok, err := k.claim(ctx, "p", "dead", []byte("new")); err != nil || !ok {
		t.Fatalf("an expired key could not be used for a new request (%v)", err)
	}
}

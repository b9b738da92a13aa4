package idempotency

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgerr"
	"github.com/flowkiwi/platform/pkg/pgtx"
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
	return New(testdb.New(t, fstest.MapFS{"001_idempotency.sql": {Data: schema}}), slog.New(slog.NewTextHandler(io.Discard, nil)))
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

// effects is an Echo app whose POST /things writes a row in the request's transaction (pgtx) and
// then does what act says: block until release is closed, fail with a status, or answer 201.
type effects struct {
	url     string
	pool    *pgxpool.Pool
	act     atomic.Value // string: "201", "block", "409", "deadlock-once"
	release chan struct{}
	runs    atomic.Int32
	entered chan struct{}
}

func effectServer(t *testing.T) *effects {
	t.Helper()
	schema, err := os.ReadFile("../../db/identity/migrations/003_idempotency.sql")
	if err != nil {
		t.Fatal(err)
	}
	pool := testdb.New(t, fstest.MapFS{"001_idempotency.sql": {Data: schema}, "002_things.sql": {Data: []byte("create table things (run int);")}})
	x := &effects{pool: pool, release: make(chan struct{}), entered: make(chan struct{}, 16)}
	x.act.Store("201")
	k := New(pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := echo.New()
	e.HTTPErrorHandler = problem.Writer{}.EchoErrorHandler
	e.Use(middleware.Recover(), k.Middleware(func(echo.Context) (string, bool) { return "partner-1", true }))
	e.POST("/things", func(c echo.Context) error {
		ctx := c.Request().Context()
		sent, _ := io.ReadAll(c.Request().Body)
		run := x.runs.Add(1)
		if _, err := pgtx.DB(ctx, pool).Exec(ctx, `insert into things values ($1)`, run); err != nil {
			return pgerr.Wrap(err)
		}
		c.Response().Header().Add("Link", "</things>; rel=collection") // added: a second attempt must not send it twice
		switch x.act.Load() {
		case "block":
			x.entered <- struct{}{}
			<-x.release
			if err := ctx.Err(); err != nil {
				return err
			}
		case "409":
			return fault.Conflict("refused after writing")
		case "panic":
			panic("a bug after writing")
		case "deadlock-once":
			if run == 1 {
				return pgerr.Wrap(&pgconn.PgError{Code: "40P01", Message: "deadlock detected"})
			}
		}
		return c.JSON(http.StatusCreated, map[string]any{"run": run, "body": string(sent)})
	})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	x.url = srv.URL
	return x
}

func (x *effects) rows(t *testing.T) int {
	t.Helper()
	var n int
	if err := x.pool.QueryRow(context.Background(), `select count(*) from things`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A key held by a running request answers its retry 409 with Retry-After at once; when the
// request dies before its commit (its session ends), its effect and its key go with it: the retry
// runs at once, and makes the one effect.
func TestAKeyIsFreedWithTheRequestThatDied(t *testing.T) {
	t.Parallel()
	x := effectServer(t)
	x.act.Store("block")
	first := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, x.url+"/things", strings.NewReader("{}"))
		req.Header.Set(Header, "k")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-x.entered
	busy, _ := post(t, x.url, "k", "{}")
	if busy.StatusCode != http.StatusConflict || busy.Header.Get("Retry-After") == "" {
		t.Fatalf("a retry while the first runs: %d (Retry-After %q), want 409 with Retry-After", busy.StatusCode, busy.Header.Get("Retry-After"))
	}
	// The first request's session dies, as it does when its process is killed.
	if _, err := x.pool.Exec(context.Background(), `select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted
		and database = (select oid from pg_database where datname = current_database()) and pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	x.act.Store("201")
	close(x.release)
	if code := <-first; code == http.StatusCreated {
		t.Fatalf("the request whose session died answered %d", code)
	}
	if n := x.rows(t); n != 0 {
		t.Fatalf("%d effects of the request that died", n)
	}
	// pg_terminate_backend only signals: the session lets its locks go as it exits, a moment later.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var held bool
		if err := x.pool.QueryRow(context.Background(), `select exists (select 1 from pg_locks where locktype = 'advisory' and granted
			and database = (select oid from pg_database where datname = current_database()) and pid <> pg_backend_pid())`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if !held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the terminated session still holds the key's lock after 5 s")
		}
	}
	again, body := post(t, x.url, "k", "{}")
	if again.StatusCode != http.StatusCreated || again.Header.Get(Replayed) != "" || x.rows(t) != 1 {
		t.Fatalf("the retry: %d %s (replayed %q), %d effects; want it run, one effect", again.StatusCode, body, again.Header.Get(Replayed), x.rows(t))
	}
	replayed, body2 := post(t, x.url, "k", "{}")
	if replayed.StatusCode != http.StatusCreated || body2 != body || replayed.Header.Get(Replayed) != "true" || x.rows(t) != 1 {
		t.Fatalf("the next retry: %d %s, %d effects; want the same 201 replayed", replayed.StatusCode, body2, x.rows(t))
	}
}

// An answer of 400 or above undoes what its request wrote, and is kept; a deadlock runs the whole
// attempt again, whose answer alone is sent (its headers once) and kept with its one effect.
func TestRefusalsUndoTheirWritesAndDeadlocksRunAgain(t *testing.T) {
	t.Parallel()
	x := effectServer(t)
	x.act.Store("409")
	refused, body := post(t, x.url, "refused", "{}")
	again, body2 := post(t, x.url, "refused", "{}")
	if refused.StatusCode != http.StatusConflict || x.rows(t) != 0 || again.StatusCode != http.StatusConflict || body2 != body || again.Header.Get(Replayed) != "true" {
		t.Fatalf("refused %d, again %d (replayed %q), %d rows; want 409 kept, no rows", refused.StatusCode, again.StatusCode, again.Header.Get(Replayed), x.rows(t))
	}
	x.act.Store("deadlock-once")
	x.runs.Store(0)
	resp, body := post(t, x.url, "deadlocked", `{"a":1}`)
	if resp.StatusCode != http.StatusCreated || body != `{"body":"{\"a\":1}","run":2}`+"\n" || x.rows(t) != 1 || len(resp.Header.Values("Link")) != 1 {
		t.Fatalf("after a deadlock: %d %q, %d rows, Link %v; want the second attempt's 201 (with the body sent), one row, one Link", resp.StatusCode, body, x.rows(t), resp.Header.Values("Link"))
	}
}

// Expired outcomes are deleted by Expire, and their key may be used for a new request.
func TestExpiry(t *testing.T) {
	t.Parallel()
	x := effectServer(t)
	k := New(x.pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	first, _ := post(t, x.url, "old", `{"a":1}`)
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("first: %d", first.StatusCode)
	}
	k.now = func() time.Time { return time.Now().Add(TTL + time.Minute) }
	if n, err := k.Expire(context.Background()); err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want 1", n, err)
	}
	other, _ := post(t, x.url, "old", `{"a":2}`)
	if other.StatusCode != http.StatusCreated || x.rows(t) != 2 {
		t.Fatalf("an expired key for a new request: %d, %d rows", other.StatusCode, x.rows(t))
	}
}

// A handler that panics after writing leaves nothing: its transaction is rolled back, the panic
// is answered 500 on the real connection (not into the held answer), and the key is free.
func TestAPanicUndoesItsWritesAndFreesTheKey(t *testing.T) {
	t.Parallel()
	x := effectServer(t)
	x.act.Store("panic")
	resp, _ := post(t, x.url, "panicked", "{}")
	if resp.StatusCode != http.StatusInternalServerError || x.rows(t) != 0 {
		t.Fatalf("a panic: %d, %d rows; want 500 and no rows", resp.StatusCode, x.rows(t))
	}
	x.act.Store("201")
	again, _ := post(t, x.url, "panicked", "{}")
	if again.StatusCode != http.StatusCreated || again.Header.Get(Replayed) != "" || x.rows(t) != 1 {
		t.Fatalf("the retry: %d (replayed %q), %d rows; want it run", again.StatusCode, again.Header.Get(Replayed), x.rows(t))
	}
}

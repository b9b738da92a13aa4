package main_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	identitydb "github.com/flowkiwi/platform/db/identity"
	"github.com/flowkiwi/platform/pkg/testdb"
)

// TestGracefulShutdown runs load against two replicas behind a small load balancer (it polls
// /readyz every 100 ms, like Kubernetes endpoints, and retries a refused connection on the other
// replica), sends SIGTERM to one replica mid-load and counts failed requests: there must be none,
// and the stopped replica must exit cleanly.
func TestGracefulShutdown(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "identity")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dbURL := testdb.NewURL(t, identitydb.Migrations())
	issuer := "http://identity.test"
	env := func(addr string) []string {
		return append(os.Environ(), "DATABASE_URL="+dbURL, "HTTP_ADDR="+addr, "IDENTITY_ISSUER="+issuer, "LOG_LEVEL=error", "SHUTDOWN_TIMEOUT=10s", "DRAIN_DELAY=2s", "RATE_LIMIT_RPS=0")
	}
	start := func() (*exec.Cmd, string) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cmd := exec.Command(bin, "serve")
		cmd.Env = env(addr)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
		for i := 0; i < 200; i++ {
			if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
				resp.Body.Close()
				return cmd, "http://" + addr
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("replica did not start")
		return nil, ""
	}
	a, urlA := start()
	_, urlB := start()

	create := exec.Command(bin, "partner", "create", "--name", "Load")
	create.Env = env("127.0.0.1:0")
	out, err := create.Output()
	if err != nil {
		t.Fatal(err)
	}
	var creds struct{ ClientID, ClientSecret string }
	_ = json.Unmarshal([]byte(strings.NewReplacer(`"client_id"`, `"ClientID"`, `"client_secret"`, `"ClientSecret"`).Replace(string(out))), &creds)
	resp, err := http.PostForm(urlB+"/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {creds.ClientID}, "client_secret": {creds.ClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if tok.AccessToken == "" {
		t.Fatal("no token")
	}

	replicas := []string{urlA, urlB}
	var ready [2]atomic.Bool
	ready[0].Store(true)
	ready[1].Store(true)
	pollDone := make(chan struct{})
	defer close(pollDone)
	go func() {
		probe := &http.Client{Timeout: 500 * time.Millisecond}
		for {
			select {
			case <-pollDone:
				return
			case <-time.After(100 * time.Millisecond):
			}
			for i, r := range replicas {
				resp, err := probe.Get(r + "/readyz")
				ok := err == nil && resp.StatusCode == 200
				if resp != nil {
					resp.Body.Close()
				}
				ready[i].Store(ok)
			}
		}
	}()
	pick := func(i int) string {
		if !ready[i%2].Load() {
			return replicas[(i+1)%2]
		}
		return replicas[i%2]
	}
	// One connection per request: a request then either is refused (the listener is closed; retried
	// on the other replica, as a load balancer does) or was accepted and must be answered. Reused
	// keep-alive connections would add the idle-close race every HTTP/1.1 client handles by retrying,
	// which would also hide requests cut off mid-flight.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(base string) error {
		req, _ := http.NewRequest("GET", base+"/partners/me", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	var total, failed, retried atomic.Int64
	stop := time.Now().Add(4 * time.Second)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; time.Now().Before(stop); i++ {
				total.Add(1)
				target := pick(i)
				err := get(target)
				if errors.Is(err, syscall.ECONNREFUSED) {
					// What a load balancer does with a refused connection: the other replica. Only a
					// refusal is retried: a request cut off mid-flight counts as failed.
					retried.Add(1)
					other := replicas[0]
					if target == other {
						other = replicas[1]
					}
					err = get(other)
				}
				if err != nil {
					failed.Add(1)
					t.Log(err)
				}
			}
		})
	}
	time.Sleep(time.Second)
	if err := a.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- a.Wait() }()
	wg.Wait()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("the stopped replica did not exit cleanly: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the stopped replica did not exit")
	}
	t.Logf("%d requests, %d retried on the other replica, %d failed", total.Load(), retried.Load(), failed.Load())
	if failed.Load() != 0 || total.Load() < 100 {
		t.Fatalf("%d of %d requests failed", failed.Load(), total.Load())
	}
}

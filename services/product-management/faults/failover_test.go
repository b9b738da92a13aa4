package faults_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowkiwi/platform/pkg/api/common"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/pgcluster"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// acked is a keyed create product-management acknowledged with a 2xx.
type acked struct {
	key string
	id  uuid.UUID
	at  time.Time
}

// Failover loses no acknowledged write: product-management runs on a primary with a synchronous
// standby, its DATABASE_URL naming both hosts with target_session_attrs=read-write, under keyed
// writers that retry each key until it is acknowledged. Five times the primary's postmaster is
// killed (kill -9) and the standby promoted (pg_ctl promote: the fallback the issue allows where
// pg_auto_failover's formation is not run), and the old primary comes back as the new primary's
// standby. Each time writes are accepted again within 30 s, without a restart of the service; no
// answer is a 500; at the end every acknowledged product is on the final primary, once per key.
func TestFailoverLosesNoAcknowledgedWrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	ports := make([]int, 2)
	for i := range ports {
		port, err := pgcluster.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = port
	}
	node := func(i int) pgcluster.Options {
		return pgcluster.Options{Dir: filepath.Join(dir, fmt.Sprint("node", i)), Port: ports[i], Fast: true}
	}
	primary, err := pgcluster.New(node(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := primary.Start(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := pgxpool.New(ctx, primary.URL())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `create database flowkiwi`); err != nil {
		t.Fatal(err)
	}
	// Every node requires a synchronous standby: a commit is acknowledged only once a standby has
	// it. Set on the primary once its standby streams (before, a commit would wait for none), and
	// given to every standby made, so that it holds when one is promoted.
	const synchronous = "synchronous_standby_names = '*'"
	standby, err := primary.Standby(ctx, node(1), synchronous)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`alter system set ` + synchronous, `select pg_reload_conf()`} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	admin.Close()
	nodes := []*pgcluster.Cluster{primary, standby}
	t.Cleanup(func() {
		for _, n := range nodes {
			_ = n.Kill(context.Background())
		}
	})
	url := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/flowkiwi?sslmode=disable&target_session_attrs=read-write", ports[0], ports[1])

	id := testenv.StartIdentity(t)
	owner := id.Partner("Owner")
	org := owner.Org(t, "Failover")
	owner.Instance(t, org, "failover")
	proc := testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: url, Env: map[string]string{"DB_ACQUIRE_TIMEOUT": "2s"}})
	c := proc.Client(owner, "failover", org)

	var mu sync.Mutex
	var log []acked
	var bad []string
	writing, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for writing.Err() == nil {
				key := uuid.NewString()
				for writing.Err() == nil { // this key until it is acknowledged
					resp, err := c.CreateProductWithResponse(writing, &pm.CreateProductParams{IdempotencyKey: ptr(common.IdempotencyKey(key))}, pm.ProductCreate{Title: someTitle(key)})
					if err != nil {
						time.Sleep(50 * time.Millisecond)
						continue
					}
					switch resp.StatusCode() {
					case http.StatusCreated:
						mu.Lock()
						log = append(log, acked{key: key, id: resp.ApplicationldJSON201.Id, at: time.Now()})
						mu.Unlock()
					case http.StatusServiceUnavailable, http.StatusConflict:
						if resp.HTTPResponse.Header.Get("Retry-After") == "" {
							mu.Lock()
							bad = append(bad, fmt.Sprintf("%d without Retry-After", resp.StatusCode()))
							mu.Unlock()
						}
						time.Sleep(100 * time.Millisecond)
						continue
					default:
						mu.Lock()
						bad = append(bad, fmt.Sprintf("%d: %s", resp.StatusCode(), resp.Body))
						mu.Unlock()
					}
					break
				}
			}
		}()
	}
	ackedAfter := func(t0 time.Time) bool {
		mu.Lock()
		defer mu.Unlock()
		for i := len(log) - 1; i >= 0; i-- {
			if log[i].at.After(t0) {
				return true
			}
		}
		return false
	}
	current := 0 // which node is the primary
	for round := 1; round <= 5; round++ {
		time.Sleep(time.Second) // writes flow
		old, next := current, 1-current
		killed := time.Now()
		if err := nodes[old].Crash(ctx); err != nil {
			t.Fatal(err)
		}
		if err := nodes[next].Promote(ctx); err != nil {
			t.Fatal(err)
		}
		// The old primary returns as the new primary's standby (a fresh base backup).
		if err := nodes[old].Remove(); err != nil {
			t.Fatal(err)
		}
		if nodes[old], err = nodes[next].Standby(ctx, node(old), synchronous); err != nil {
			t.Fatal(err)
		}
		current = next
		for !ackedAfter(killed) {
			if time.Since(killed) > 30*time.Second {
				t.Fatalf("round %d: no write accepted in 30 s after the primary was killed:\n%s", round, proc.Log())
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Logf("round %d: writes accepted again %s after kill -9 of the primary", round, time.Since(killed).Round(10*time.Millisecond))
	}
	stop()
	wg.Wait()

	final, err := pgxpool.New(ctx, strings.Replace(nodes[current].URL(), "/postgres?", "/flowkiwi?", 1))
	if err != nil {
		t.Fatal(err)
	}
	defer final.Close()
	ids := make([]uuid.UUID, len(log))
	for i, a := range log {
		ids[i] = a.id
	}
	var found int
	if err := final.QueryRow(ctx, `select count(*) from products where id = any($1)`, ids).Scan(&found); err != nil {
		t.Fatal(err)
	}
	var duplicated int
	if err := final.QueryRow(ctx, `select count(*) from (select 1 from product_translations where locale = 'en' group by title having count(*) > 1) d`).Scan(&duplicated); err != nil {
		t.Fatal(err)
	}
	if found != len(log) || duplicated != 0 || len(bad) != 0 {
		t.Fatalf("%d of %d acknowledged products on the final primary, %d keys made twice, bad answers: %v", found, len(log), duplicated, bad)
	}
	t.Logf("%d acknowledged writes across 5 failovers, all on the final primary, none twice, no 500", len(log))
}

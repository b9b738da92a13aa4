package faults_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oapi-codegen/nullable"

	identitydb "github.com/flowkiwi/platform/db/identity"
	pmdb "github.com/flowkiwi/platform/db/product-management"
	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// keyedAnswer is what one key's requests were answered with.
type keyedAnswer struct {
	created [][]byte // the bodies of its 201s, first and replayed
	other   []string // statuses other than 201, 409 (busy) and 503, and what they said
}

// answer is what one request with a key got (err: none, the connection was refused or cut).
type answer struct {
	status     int
	body       []byte
	retryAfter string
	err        error
}

// everyKey sends each key's request (send) from clients goroutines, each retrying its request
// with its key until it gets a 201, across refused connections, 503s and 409s (the key busy), as
// a partner's client does; now and then it asks again after its 201 (a replay). It counts each
// key's first 201 in done and returns each key's answers.
func everyKey(ctx context.Context, keys []string, clients int, done *atomic.Int64, send func(ctx context.Context, key string) answer) map[string]*keyedAnswer {
	answers := make(map[string]*keyedAnswer, len(keys))
	for _, k := range keys {
		answers[k] = &keyedAnswer{}
	}
	var wg sync.WaitGroup
	for g := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(keys); i += clients {
				key := keys[i]
				a := answers[key]
				for ctx.Err() == nil {
					got := send(ctx, key)
					if got.err != nil { // refused or cut: the process is down
						time.Sleep(20 * time.Millisecond)
						continue
					}
					switch got.status {
					case http.StatusCreated:
						a.created = append(a.created, got.body)
						if len(a.created) == 1 {
							done.Add(1)
						}
						if len(a.created) == 1 && rand.IntN(4) == 0 {
							continue // a replay must equal the first answer
						}
					case http.StatusConflict, http.StatusServiceUnavailable:
						if got.retryAfter == "" {
							a.other = append(a.other, fmt.Sprintf("%d without Retry-After: %s", got.status, got.body))
						}
						time.Sleep(20 * time.Millisecond)
						continue
					default:
						a.other = append(a.other, fmt.Sprintf("%d: %s", got.status, got.body))
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	return answers
}

func answered(status int, body []byte, h http.Header, err error) answer {
	if err != nil {
		return answer{err: err}
	}
	return answer{status: status, body: body, retryAfter: h.Get("Retry-After")}
}

// crashPoints are where a keyed request is killed: its effect and outcome written but not
// committed; committed but not answered; answered; and anywhere (a kill from outside).
var crashPoints = []string{"idempotency/before-commit", "idempotency/after-commit", "idempotency/after-response", "random"}

// killDuring runs burst over keys keys while proc dies at point (armed by the caller; "random":
// killed from here once between a tenth and a half of the keys have their 201, so that a fast
// machine cannot finish the burst first), restarts proc with restart once it has died, and returns
// the burst's answers.
func killDuring(t *testing.T, point string, keys int, proc *testenv.Process, restart func(), burst func(progress *atomic.Int64) map[string]*keyedAnswer) map[string]*keyedAnswer {
	t.Helper()
	var answeredKeys atomic.Int64
	done := make(chan map[string]*keyedAnswer, 1)
	go func() { done <- burst(&answeredKeys) }()
	if point == "random" {
		at := int64(keys/10 + rand.IntN(keys*2/5))
		for answeredKeys.Load() < at && len(done) == 0 {
			time.Sleep(time.Millisecond)
		}
		if len(done) > 0 {
			t.Fatalf("the burst ended before %d of its keys were answered", at)
		}
		proc.Kill()
	}
	select {
	case <-proc.Exited():
		if !proc.Killed() {
			t.Fatalf("%s exited, not killed:\n%s", proc.Name, proc.Log())
		}
		restart()
		return <-done
	case <-done:
		t.Fatalf("the burst ended and %s never killed %s", point, proc.Name)
		return nil
	}
}

// failpointAt arms point for a hit between the 20th and the 60th ("random" arms nothing).
func failpointAt(point string) map[string]string {
	if point == "random" {
		return map[string]string{}
	}
	return map[string]string{"FLOWKIWI_FAILPOINTS": point + "=" + fmt.Sprint(20+rand.IntN(40))}
}

// A kill -9 of product-management at each crash point of a keyed request, and at a random moment,
// during a burst of keyed creates from 8 clients that retry until they get a 201, leaves exactly
// one product per key (no SKU: a second create would succeed), one product.created per product,
// and every key's answers the same 201 (the first and its replays).
func TestKilledMidBurstOneEffectPerKey(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	owner := id.Partner("Owner")
	org := owner.Org(t, "Crash")
	owner.Instance(t, org, "crash")
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			db := testdb.NewURL(t, pmdb.Migrations())
			proc := testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: db, Failpoints: true, Env: failpointAt(point)})
			c := proc.Client(owner, "crash", org)
			keys := newKeys(400)
			answers := killDuring(t, point, len(keys), proc.Process, func() { proc.Set("FLOWKIWI_FAILPOINTS", ""); proc.Start() }, func(progress *atomic.Int64) map[string]*keyedAnswer {
				return everyKey(ctx, keys, 8, progress, func(ctx context.Context, key string) answer {
					resp, err := c.CreateProductWithResponse(ctx, &pm.CreateProductParams{IdempotencyKey: ptr(common.IdempotencyKey(key))}, pm.ProductCreate{Title: someTitle(key)})
					if err != nil {
						return answer{err: err}
					}
					return answered(resp.StatusCode(), resp.Body, resp.HTTPResponse.Header, nil)
				})
			})
			if ctx.Err() != nil {
				t.Fatal("the burst did not finish within 2 minutes")
			}
			checkAnswers(t, keys, answers)
			checkOneProductPerKey(t, db, keys)
		})
	}
}

// The same in identity: a kill -9 at each crash point during a burst of keyed instance creates
// leaves one instance per key (its name the key), one instance.created per instance, and every
// key's answers the same 201.
func TestIdentityKilledMidBurstOneEffectPerKey(t *testing.T) {
	t.Parallel()
	for _, point := range crashPoints {
		t.Run(point, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			db := testdb.NewURL(t, identitydb.Migrations())
			id := testenv.StartIdentityWith(t, testenv.IdentityOptions{DatabaseURL: db, Failpoints: true})
			owner := id.Partner("Owner")
			org := owner.Org(t, "Crash")
			id.Stop()
			id.SetEnv(failpointAt(point))
			id.Start()
			keys := newKeys(120)
			answers := killDuring(t, point, len(keys), id.Process(), func() { id.SetEnv(nil); id.Start() }, func(progress *atomic.Int64) map[string]*keyedAnswer {
				return everyKey(ctx, keys, 8, progress, func(ctx context.Context, key string) answer {
					resp, err := owner.Identity.CreateInstanceWithResponse(ctx, org, &identity.CreateInstanceParams{IdempotencyKey: ptr(common.IdempotencyKey(key))},
						identity.InstanceCreate{Name: key, Handle: handleOf(key)})
					if err != nil {
						return answer{err: err}
					}
					return answered(resp.StatusCode(), resp.Body, resp.HTTPResponse.Header, nil)
				})
			})
			if ctx.Err() != nil {
				t.Fatal("the burst did not finish within 2 minutes")
			}
			checkAnswers(t, keys, answers)
			pool, err := pgxpool.New(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			perName := countBy(t, pool, `select name from instances where organization_id = $1`, org)
			for _, k := range keys {
				if perName[k] != 1 {
					t.Errorf("key %s made %d instances", k, perName[k])
				}
			}
			var created, subjects int
			if err := pool.QueryRow(context.Background(), `select count(*), count(distinct subject_id) from organization_events
				where organization_id = $1 and type = 'instance.created'`, org).Scan(&created, &subjects); err != nil {
				t.Fatal(err)
			}
			if created != len(keys) || subjects != len(keys) {
				t.Errorf("%d instance.created events for %d instances; want %d each", created, subjects, len(keys))
			}
		})
	}
}

// handleOf spells a key's first 24 hex digits in letters (a handle is letters and hyphens).
func handleOf(key string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return 'a' + r - '0'
		case r >= 'a' && r <= 'f':
			return 'k' + r - 'a'
		}
		return -1
	}, key)[:24]
}

func newKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = uuid.NewString()
	}
	return keys
}

// checkAnswers asserts every key's answers were one 201, repeated identically by its replays.
func checkAnswers(t *testing.T, keys []string, answers map[string]*keyedAnswer) {
	t.Helper()
	replays := 0
	for _, k := range keys {
		a := answers[k]
		if len(a.other) > 0 {
			t.Errorf("key %s was answered %v", k, a.other)
		}
		if len(a.created) == 0 {
			t.Errorf("key %s never got its 201", k)
			continue
		}
		for _, b := range a.created[1:] {
			replays++
			if string(b) != string(a.created[0]) {
				t.Errorf("key %s: a replay differs from the first 201:\n%s\n%s", k, a.created[0], b)
			}
		}
	}
	t.Logf("%d keys, %d replays compared", len(keys), replays)
}

// checkOneProductPerKey asserts the database holds one product and one product.created event per
// key (its title), and nothing else.
func checkOneProductPerKey(t *testing.T, db string, keys []string) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	perTitle := countBy(t, pool, `select title from product_translations`)
	for _, k := range keys {
		if perTitle[k] != 1 {
			t.Errorf("key %s made %d products", k, perTitle[k])
		}
	}
	var products, created, resources int
	if err := pool.QueryRow(context.Background(), `select (select count(*) from products),
		(select count(*) from events where type = 'product.created'), (select count(distinct resource) from events where type = 'product.created')`).
		Scan(&products, &created, &resources); err != nil {
		t.Fatal(err)
	}
	if products != len(keys) || created != len(keys) || resources != len(keys) {
		t.Errorf("%d products, %d product.created events for %d resources; want %d each", products, created, resources, len(keys))
	}
}

func ptr[T any](v T) *T { return &v }

func someTitle(s string) nullable.Nullable[string] { return nullable.NewNullableWithValue(s) }

// countBy counts the rows of a one-column text query by their value.
func countBy(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) map[string]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out[v]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

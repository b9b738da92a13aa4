package faults_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// sample is one reading of a service's resources.
type sample struct {
	at     time.Time
	values map[string]float64 // goroutines, heap in use, RSS, open files, database connections
}

// resources are readings of both services' goroutines, heap, RSS and open files (their /metrics)
// and database connections (pg_stat_activity), for the soak's flat-line check.
type resources struct {
	mu      sync.Mutex
	samples map[string][]sample // by service
}

var metricNames = map[string]string{
	"go_goroutines":                 "goroutines",
	"go_gc_heap_live_bytes":         "live heap bytes",
	"process_resident_memory_bytes": "RSS bytes",
	"process_open_fds":              "open files",
}

// sampleResources reads both services' resources once (between faults, with the services
// healthy, so readings compare like with like).
func (s *stack) sampleResources(ctx context.Context, r *resources) {
	s.saveHeapProfile(ctx)
	pool, err := pgxpool.New(ctx, s.pg.URL())
	if err != nil {
		s.t.Fatal(err)
	}
	defer pool.Close()
	for name, svc := range map[string]struct{ url, db string }{"identity": {s.id.URL, s.idDB}, "product-management": {s.pm.URL, s.pmDB}} {
		v := scrape(ctx, svc.url)
		if v == nil {
			continue // down right now: no reading
		}
		var conns float64
		if err := pool.QueryRow(ctx, `select count(*) from pg_stat_activity where datname = $1`, dbName(svc.db)).Scan(&conns); err == nil {
			v["database connections"] = conns
		}
		r.mu.Lock()
		r.samples[name] = append(r.samples[name], sample{at: time.Now(), values: v})
		r.mu.Unlock()
	}
}

func scrape(ctx context.Context, base string) map[string]float64 {
	series := metricsOf(ctx, base)
	if series == nil {
		return nil
	}
	out := map[string]float64{}
	for name, label := range metricNames {
		if v, ok := series[name]; ok {
			out[label] = v
		}
	}
	return out
}

// metricsOf reads a process's /metrics: each series' value by the series as written (a metric's
// name with its labels, `db_reads_total{server="primary"}`); nil when the process does not answer.
func metricsOf(ctx context.Context, base string) map[string]float64 {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		at := strings.LastIndexByte(line, ' ')
		if at < 0 {
			continue
		}
		if f, err := strconv.ParseFloat(line[at+1:], 64); err == nil {
			out[line[:at]] = f
		}
	}
	return out
}

// slack is what a reading may grow by beyond 20% (small counts move by a few).
var slack = map[string]float64{"goroutines": 10, "open files": 5, "database connections": 2}

// checkFlat asserts each reading at the end is within 20% (plus a little for small counts) of its
// reading at mark (after the warm-up), and logs both.
func (r *resources) checkFlat(t *testing.T, mark time.Time) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for svc, samples := range r.samples {
		var at *sample
		after := 0
		for i := range samples {
			if !samples[i].at.Before(mark) {
				if at == nil {
					at = &samples[i]
				}
				after++
			}
		}
		if after < 2 {
			t.Errorf("flat: %d readings of %s after the warm-up, want at least two to compare", after, svc)
			continue
		}
		end := samples[len(samples)-1]
		for name, v := range at.values {
			e, ok := end.values[name]
			if !ok {
				continue
			}
			flat := e <= v*1.2+slack[name]
			t.Logf("flat: %s %s: %.0f at the warm-up mark, %.0f at the end (%d readings)%s", svc, name, v, e, len(samples), map[bool]string{false: " GREW"}[flat])
			if !flat {
				t.Errorf("flat: %s %s grew from %.0f to %.0f", svc, name, v, e)
			}
		}
	}
}

// saveHeapProfile keeps product-management's heap profile (after a collection) as
// SOAK_PROFILES/pm-heap-NNN.pb.gz, when the soak was asked to; compare two with
// go tool pprof -top -inuse_space -base FIRST LAST.
func (s *stack) saveHeapProfile(ctx context.Context) {
	if s.profiles == "" {
		return
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.pmDebug+"/debug/pprof/heap?gc=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return // down right now
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return
	}
	s.profiled++
	name := filepath.Join(s.profiles, fmt.Sprintf("pm-heap-%03d-%s.pb.gz", s.profiled, time.Now().Format("150405")))
	if err := os.WriteFile(name, body, 0o644); err != nil {
		s.t.Logf("profile: %v", err)
	}
}

// warmCaches reads every acknowledged product, twice the kept renderings' default count at most
// (8 readers), and a page of the list: what a long run's reads reach of the caches anyway.
func (s *stack) warmCaches(l *load) {
	l.mu.Lock()
	ids := make([]string, 0, len(l.acked))
	for _, id := range l.acked {
		ids = append(ids, id)
		if len(ids) == 2*2048 {
			break
		}
	}
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(ids) && ctx.Err() == nil; i += 8 {
				_, _ = s.c.GetProductWithResponse(ctx, idOf(ids[i]), nil)
			}
		}()
	}
	wg.Wait()
	_, _ = s.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{})
}

package faults_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	pmdb "github.com/flowkiwi/platform/db/product-management"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/testdb"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// TestImportKilledMidwayResumes: product-management killed with -9 in the middle of an import
// finishes it after a restart, every line applied exactly once: each line one result in order,
// every key one product and one product.created, nothing counted unchanged (a line applied
// twice would be) and nothing rejected.
func TestImportKilledMidwayResumes(t *testing.T) {
	t.Parallel()
	id := testenv.StartIdentity(t)
	owner := id.Partner("Owner")
	org := owner.Org(t, "Resume")
	owner.Instance(t, org, "resume")
	db := testdb.NewURL(t, pmdb.Migrations())
	// A short webhook timeout makes River take the killed batch's job back sooner (RescueBound).
	proc := testenv.StartPMProcess(t, id, testenv.PMProcessOptions{DatabaseURL: db, Env: map[string]string{"WEBHOOK_TIMEOUT": "2s"}})
	c := proc.Client(owner, "resume", org)
	ctx := context.Background()
	const lines = 3000
	var file strings.Builder
	for i := range lines {
		fmt.Fprintf(&file, `{"key":"R-%d","title":"Resumed %d","options":[{"name":"Size","values":["A","B"]}],`+
			`"variants":[{"sku":"R-%d-A","optionValues":[{"option":"Size","value":"A"}]},{"sku":"R-%d-B","optionValues":[{"option":"Size","value":"B"}]}]}`+"\n", i, i, i, i)
	}
	resp, err := c.CreateImportWithBodyWithResponse(ctx, nil, "application/x-ndjson", strings.NewReader(file.String()))
	if err != nil || resp.StatusCode() != 202 {
		t.Fatalf("import: %v %s", err, resp.Body)
	}
	im := *resp.ApplicationldJSON202
	for im.Processed < 400 {
		time.Sleep(10 * time.Millisecond)
		got, err := c.GetImportWithResponse(ctx, im.Id, nil)
		if err != nil || got.StatusCode() != 200 {
			t.Fatalf("read: %v", err)
		}
		im = *got.ApplicationldJSON200
	}
	proc.Kill()
	<-proc.Exited()
	killedAt := im.Processed
	proc.Start()
	restarted := time.Now()
	deadline := restarted.Add(3 * time.Minute)
	for im.Status != pm.ImportCompleted {
		if time.Now().After(deadline) || im.Status == pm.ImportFailed {
			t.Fatalf("the import did not finish after the restart: %+v", im)
		}
		time.Sleep(100 * time.Millisecond)
		got, err := c.GetImportWithResponse(ctx, im.Id, nil)
		if err != nil || got.StatusCode() != 200 {
			continue
		}
		im = *got.ApplicationldJSON200
	}
	if im.Processed != lines || im.Created != lines || im.Unchanged != 0 || im.Updated != 0 || im.Rejected != 0 {
		t.Fatalf("after the kill at %d lines: %+v", killedAt, im)
	}
	results, err := c.GetImportResults(ctx, im.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer results.Body.Close()
	sc := bufio.NewScanner(results.Body)
	n := 0
	for sc.Scan() {
		var r struct {
			Line   int    `json:"line"`
			Key    string `json:"key"`
			Status int    `json:"status"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		if r.Line != n+1 || r.Status != 201 || r.Key != fmt.Sprint("R-", n) {
			t.Fatalf("result %d: %s", n+1, sc.Bytes())
		}
		n++
	}
	if n != lines {
		t.Fatalf("%d results for %d lines", n, lines)
	}
	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var products, created, resources, variants int
	if err := pool.QueryRow(ctx, `select (select count(*) from products), (select count(*) from events where type = 'product.created'),
		(select count(distinct resource) from events where type = 'product.created'), (select count(*) from variants)`).
		Scan(&products, &created, &resources, &variants); err != nil {
		t.Fatal(err)
	}
	if products != lines || created != lines || resources != lines || variants != 2*lines {
		t.Fatalf("%d products, %d product.created for %d resources, %d variants; want %d, %d, %d, %d", products, created, resources, variants, lines, lines, lines, 2*lines)
	}
	t.Logf("killed at %d of %d lines; finished %s after the restart", killedAt, lines, time.Since(restarted).Round(time.Second))
}

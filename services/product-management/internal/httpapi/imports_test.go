package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flowkiwi/platform/pkg/api/common"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// importResult is one line of an import's results.
type importResult struct {
	Line       int                `json:"line"`
	Key        *string            `json:"key"`
	Status     int                `json:"status"`
	Unchanged  bool               `json:"unchanged"`
	ID         *string            `json:"@id"`
	Detail     string             `json:"detail"`
	Violations []common.Violation `json:"violations"`
}

// imported posts file as an import of c's instance, waits until it finishes and returns it with
// its results.
func imported(t *testing.T, c *pm.ClientWithResponses, file string, params *pm.CreateImportParams) (pm.Import, []importResult) {
	t.Helper()
	resp, err := c.CreateImportWithBodyWithResponse(context.Background(), params, "application/x-ndjson", strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 202)
	im := *resp.ApplicationldJSON202
	if resp.HTTPResponse.Header.Get("Location") != im.LdID {
		t.Fatalf("Location %q for %s", resp.HTTPResponse.Header.Get("Location"), im.LdID)
	}
	return waitImport(t, c, im)
}

func waitImport(t *testing.T, c *pm.ClientWithResponses, im pm.Import) (pm.Import, []importResult) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for im.Status == pm.ImportQueued || im.Status == pm.ImportRunning {
		if time.Now().After(deadline) {
			t.Fatalf("import still %s: %+v", im.Status, im)
		}
		time.Sleep(50 * time.Millisecond)
		got, err := c.GetImportWithResponse(ctx, im.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, got, 200)
		im = *got.ApplicationldJSON200
	}
	return im, importResults(t, c, im)
}

func importResults(t *testing.T, c *pm.ClientWithResponses, im pm.Import) []importResult {
	t.Helper()
	resp, err := c.GetImportResults(context.Background(), im.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("results: %d %s", resp.StatusCode, b)
	}
	var out []importResult
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		var r importResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("result line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// TestImportAppliesLinesByKey imports a file whose lines create, set, leave unchanged and repeat
// products, and lines that are refused each for its own reason: every line has its result in
// order, refused lines change nothing, the counts add up, and import.completed carries them.
func TestImportAppliesLinesByKey(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	w.channel(t, "web", "EUR")
	if r, err := w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "shirts", Key: some("shirts")}); err != nil || r.StatusCode() != 201 {
		t.Fatalf("category: %v", err)
	}
	if r, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "summer", Key: some("summer")}); err != nil || r.StatusCode() != 201 {
		t.Fatalf("collection: %v", err)
	}
	kept := shirtState("Kept", []string{"S"}, map[string]string{"S": "9.99"})
	if r, err := w.c.SetProductByKeyWithBodyWithResponse(ctx, "KEPT", nil, "application/json", strings.NewReader(kept)); err != nil || r.StatusCode() != 201 {
		t.Fatalf("KEPT: %v", err)
	}
	if r, err := w.c.SetProductByKeyWithBodyWithResponse(ctx, "OLD", nil, "application/json", strings.NewReader(`{"title":"Old"}`)); err != nil || r.StatusCode() != 201 {
		t.Fatalf("OLD: %v", err)
	}
	w.create(t, w.c, pm.ProductCreate{Variants: &[]pm.VariantCreate{{Sku: "TAKEN"}}})
	withKey := func(key, state string) string { return `{"key":"` + key + `",` + state[1:] }
	file := strings.Join([]string{
		withKey("NEW-1", strings.ReplaceAll(shirtState("New one", []string{"S", "M"}, map[string]string{"S": "19.99"}), "SHIRT-", "NEW1-")), // 1: 201
		withKey("OLD", `{"title":"Renewed"}`), // 2: 200 updated
		withKey("KEPT", kept),                 // 3: 200 unchanged
		`{"key":"BAD","variants":[{"sku":"B","prices":[{"currency":"EUR","amount":"x"}]}]}`, // 4: 422
		`[{"key":"ARRAY"}]`,                                          // 5: 400
		`{"key":"CLASH","variants":[{"sku":"TAKEN"}]}`,               // 6: 409
		`{"key":"TWICE","title":"first"}`,                            // 7: 201
		`{"key":"TWICE","title":"second"}`,                           // 8: 200, in line order
		`{"key":"a/b","title":"slash"}`,                              // 9: 422 at key
		`{"key":"EXTRA","colour":"red"}`,                             // 10: 422 unknown field
		`{"title":"no key"}`,                                         // 11: 422 key required
		`{"key":"NOCAT","category":"/rest/api/categories/key=none"}`, // 12: 422 at category
		"{\"key\":\"BYTES\",\"title\":\"\xff\"}",                     // 13: 400 not UTF-8
	}, "\n") + "\n"
	_, cursor := feed(t, w.c, pm.ListEventsParams{})
	im, results := imported(t, w.c, file, nil)
	if im.Status != pm.ImportCompleted || im.Lines != 13 || im.Processed != 13 {
		t.Fatalf("import: %+v", im)
	}
	if im.Created != 2 || im.Updated != 2 || im.Unchanged != 1 || im.Rejected != 8 {
		t.Fatalf("counts: created %d updated %d unchanged %d rejected %d; results %+v", im.Created, im.Updated, im.Unchanged, im.Rejected, results)
	}
	want := []struct {
		status int
		path   string
	}{{201, ""}, {200, ""}, {200, ""}, {422, "variants[0].prices[0].amount"}, {400, ""}, {409, ""}, {201, ""}, {200, ""},
		{422, "key"}, {422, "colour"}, {422, "key"}, {422, "category"}, {400, ""}}
	if len(results) != len(want) {
		t.Fatalf("%d results for 13 lines: %+v", len(results), results)
	}
	for i, r := range results {
		if r.Line != i+1 || r.Status != want[i].status {
			t.Errorf("line %d: %+v, want status %d", i+1, r, want[i].status)
			continue
		}
		if want[i].path != "" && (len(r.Violations) == 0 || r.Violations[0].PropertyPath != want[i].path) {
			t.Errorf("line %d: violations %+v, want one at %s", i+1, r.Violations, want[i].path)
		}
		if r.Unchanged != (i == 2) {
			t.Errorf("line %d: unchanged %v", i+1, r.Unchanged)
		}
		if (r.Status == 201 || r.Status == 200) && (r.ID == nil || r.Key == nil) {
			t.Errorf("line %d: %+v has no @id or key", i+1, r)
		}
		if r.Status >= 400 && r.Detail == "" && len(r.Violations) == 0 {
			t.Errorf("line %d: a rejection without a reason: %+v", i+1, r)
		}
	}
	twice, err := w.c.GetProductByKeyWithResponse(ctx, "TWICE", nil)
	if err != nil || twice.StatusCode() != 200 || twice.ApplicationldJSON200.Title.MustGet() != "second" {
		t.Fatalf("TWICE: %v %s", err, body(twice))
	}
	for _, key := range []string{"BAD", "CLASH", "NOCAT", "EXTRA"} {
		r, err := w.c.GetProductByKeyWithResponse(ctx, key, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, r, 404, "")
	}
	events, _ := feed(t, w.c, pm.ListEventsParams{Cursor: cursor})
	last := events[len(events)-1]
	if last.Type != "import.completed" || last.Data["created"] != float64(2) || last.Data["rejected"] != float64(8) || last.Resource != im.LdID {
		t.Fatalf("the import's event: %+v", last)
	}
	for _, e := range events {
		if e.Data["key"] == "KEPT" {
			t.Fatalf("the unchanged line recorded %s", e.Type)
		}
	}
	createdWithPrices(t, w, events, "NEW-1", 1)
	list, err := w.c.ListImportsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, list, 200)
	if list.ApplicationldJSON200.TotalItems != 1 || list.ApplicationldJSON200.Member[0].Id != im.Id {
		t.Fatalf("imports: %s", body(list))
	}
}

// TestReimportRecognisesOnlyWhatNothingChanged re-imports a file: a line whose product nothing
// wrote since is recognised unchanged by its fingerprint; a line whose product was patched, or
// whose key reference now names another resource, is applied again and sets its state.
func TestReimportRecognisesOnlyWhatNothingChanged(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	cat, err := w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "shirts", Key: some("shirts")})
	if err != nil || cat.StatusCode() != 201 {
		t.Fatalf("category: %v", err)
	}
	file := `{"key":"F1","title":"One","category":"/rest/api/categories/key=shirts"}
{"key":"F2","title":"Two"}
{"key":"F3","title":"Three","variants":[{"sku":"F3-S","prices":[{"currency":"EUR","amount":"9.99"}]}]}
`
	if im, _ := imported(t, w.c, file, nil); im.Created != 3 {
		t.Fatalf("first import: %+v", im)
	}
	all, _ := feed(t, w.c, pm.ListEventsParams{})
	createdWithPrices(t, w, all, "F3", 1)
	var fingerprints int
	if err := w.pm.Pool.QueryRow(ctx, `select count(*) from product_import_fingerprints f
		join product_documents d using (instance_id, product_id) where d.revision = f.revision`).Scan(&fingerprints); err != nil || fingerprints != 3 {
		t.Fatalf("fingerprints holding: %d, %v", fingerprints, err)
	}
	// Another write to F2, and the key shirts moved to another category.
	f2, err := w.c.GetProductByKeyWithResponse(ctx, "F2", nil)
	if err != nil || f2.StatusCode() != 200 {
		t.Fatalf("F2: %v", err)
	}
	if r, err := w.c.UpdateProductWithBodyWithResponse(ctx, f2.ApplicationldJSON200.Id, nil, "application/merge-patch+json", strings.NewReader(`{"title":"Patched"}`)); err != nil || r.StatusCode() != 200 {
		t.Fatalf("patch F2: %v %s", err, body(r))
	}
	if r, err := w.c.UpdateCategoryWithBodyWithResponse(ctx, cat.ApplicationldJSON201.Id, nil, "application/merge-patch+json", strings.NewReader(`{"key":"old-shirts"}`)); err != nil || r.StatusCode() != 200 {
		t.Fatalf("rekey: %v %s", err, body(r))
	}
	moved, err := w.c.CreateCategoryWithResponse(ctx, nil, pm.CategoryCreate{Handle: "new-shirts", Key: some("shirts")})
	if err != nil || moved.StatusCode() != 201 {
		t.Fatalf("category: %v", err)
	}

	im, results := imported(t, w.c, file, nil)
	if im.Updated != 2 || im.Unchanged != 1 || im.Rejected != 0 {
		t.Fatalf("re-import: %+v %+v", im, results)
	}
	for i, want := range []bool{false, false, true} {
		if r := results[i]; r.Status != 200 || r.Unchanged != want || r.ID == nil || r.Key == nil {
			t.Errorf("line %d: %+v, want 200 unchanged %v with @id and key", i+1, r, want)
		}
	}
	f1, err := w.c.GetProductByKeyWithResponse(ctx, "F1", nil)
	if err != nil || f1.StatusCode() != 200 {
		t.Fatalf("F1: %v", err)
	}
	if c, _ := f1.ApplicationldJSON200.Category.AsNullableIri(); c != moved.ApplicationldJSON201.LdID {
		t.Fatalf("F1 after re-import: %v %s", err, body(f1))
	}
	f2, err = w.c.GetProductByKeyWithResponse(ctx, "F2", nil)
	if err != nil || f2.StatusCode() != 200 || f2.ApplicationldJSON200.Title.MustGet() != "Two" {
		t.Fatalf("F2 after re-import: %v %s", err, body(f2))
	}

	// Again: every line as the last import left it, and nothing recorded.
	_, cursor := feed(t, w.c, pm.ListEventsParams{})
	im, results = imported(t, w.c, file, nil)
	if im.Unchanged != 3 || im.Updated != 0 {
		t.Fatalf("third import: %+v %+v", im, results)
	}
	events, _ := feed(t, w.c, pm.ListEventsParams{Cursor: cursor})
	if len(events) != 1 || events[0].Type != "import.completed" {
		t.Fatalf("an unchanged re-import recorded %+v", events)
	}
	// In another locale the same line sets other texts: not the line the fingerprint holds.
	if r, err := w.c.CreateLocaleWithResponse(ctx, nil, pm.LocaleCreate{Code: "de"}); err != nil || r.StatusCode() != 201 {
		t.Fatalf("locale: %v", err)
	}
	de := pm.LocaleHeader("de")
	im, _ = imported(t, w.c, file, &pm.CreateImportParams{XFlowkiwiLocale: &de})
	if im.Updated != 3 {
		t.Fatalf("import in de: %+v", im)
	}
}

// createdWithPrices checks that key's product.created among events holds n prices, each as a
// read of it shows it.
func createdWithPrices(t *testing.T, w *world, events []pm.Event, key string, n int) {
	t.Helper()
	embedded := 0
	for _, e := range events {
		if e.Type != "product.created" || e.Data["key"] != key {
			continue
		}
		for _, v := range asList(e.Data["variants"]) {
			for _, x := range asList(v.(map[string]any)["prices"]) {
				pr := x.(map[string]any)
				resp, err := w.c.GetPrice(context.Background(), idOf(pr["@id"].(string)), nil)
				if err != nil {
					t.Fatal(err)
				}
				var read any
				_ = json.NewDecoder(resp.Body).Decode(&read)
				resp.Body.Close()
				if !reflect.DeepEqual(asRead(read, 0), asRead(pr, 0)) {
					t.Errorf("%s's product.created holds the price\n%v\nwhich reads\n%v", key, pr, read)
				}
				embedded++
			}
		}
	}
	if embedded != n {
		t.Errorf("%s's product.created holds %d prices, want %d", key, embedded, n)
	}
}

// TestImportRefusesWhatIsNotAnImport: a body of another type, not NDJSON, empty or over the line
// limit is refused at once and stores nothing; over the byte limit likewise.
func TestImportRefusesWhatIsNotAnImport(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	post := func(contentType string, body io.Reader) *pm.CreateImportResponse {
		t.Helper()
		resp, err := w.c.CreateImportWithBodyWithResponse(ctx, nil, contentType, body)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	expectProblem(t, post("application/json", strings.NewReader(`{"key":"A"}`)), 415, "")
	expectProblem(t, post("application/x-ndjson", strings.NewReader("key,title\nA,B\n")), 400, "")
	expectProblem(t, post("application/x-ndjson", strings.NewReader("")), 400, "")
	lines := strings.Repeat(`{"key":"K"}`+"\n", 100_001)
	expectProblem(t, post("application/x-ndjson", strings.NewReader(lines)), 413, "")
	// A declared length over the limit is refused before a byte is read.
	tooBig, err := w.c.CreateImportWithBodyWithResponse(ctx, nil, "application/x-ndjson", io.LimitReader(zeros{}, 100<<20+1), func(_ context.Context, r *http.Request) error {
		r.ContentLength = 100<<20 + 1
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, tooBig, 413, "")
	list, err := w.c.ListImportsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if list.ApplicationldJSON200.TotalItems != 0 {
		t.Fatalf("refused imports were stored: %s", body(list))
	}
	// A line over 1 MiB is refused alone.
	long := `{"key":"LONG","title":"` + strings.Repeat("x", 1<<20) + `"}`
	im, results := imported(t, w.c, `{"key":"SHORT"}`+"\n"+long+"\n", nil)
	if im.Created != 1 || im.Rejected != 1 || results[1].Status != 400 || !strings.Contains(results[1].Detail, "longer") {
		t.Fatalf("a long line: %+v %+v", im, results)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

// TestImportRetriedWithItsKeyRunsOnce: a POST sent again with its Idempotency-Key answers the
// first import again, and only one import runs.
func TestImportRetriedWithItsKeyRunsOnce(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	var file bytes.Buffer
	for i := range 3000 { // more than the in-memory body: the retry reads it back from its spool
		fmt.Fprintf(&file, `{"key":"K-%d","description":"%s"}`+"\n", i, strings.Repeat("d", 400))
	}
	key := common.IdempotencyKey("import-1")
	first, err := w.c.CreateImportWithBodyWithResponse(ctx, &pm.CreateImportParams{IdempotencyKey: &key}, "application/x-ndjson", bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, first, 202)
	again, err := w.c.CreateImportWithBodyWithResponse(ctx, &pm.CreateImportParams{IdempotencyKey: &key}, "application/x-ndjson", bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, again, 202)
	if again.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" || again.ApplicationldJSON202.Id != first.ApplicationldJSON202.Id {
		t.Fatalf("the retry: %s", body(again))
	}
	im, results := waitImport(t, w.c, *first.ApplicationldJSON202)
	if im.Created != 3000 || len(results) != 3000 {
		t.Fatalf("import: %+v, %d results", im, len(results))
	}
	list, err := w.c.ListImportsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if list.ApplicationldJSON200.TotalItems != 1 {
		t.Fatalf("%d imports for one key", list.ApplicationldJSON200.TotalItems)
	}
}

// TestImportCancelAndLimits: a third import of an instance waits while two run; a canceled
// import stops at a batch's end with the results of what it applied; a finished one cannot be
// canceled.
func TestImportCancelAndLimits(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	file := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"key":"%s-%d","title":"t"}`+"\n", prefix, i)
		}
		return b.String()
	}
	var started []pm.Import
	for _, p := range []string{"A", "B", "C"} {
		resp, err := w.c.CreateImportWithBodyWithResponse(ctx, nil, "application/x-ndjson", strings.NewReader(file(p, 1500)))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 202)
		started = append(started, *resp.ApplicationldJSON202)
	}
	maxRunning := 0
	for done := false; !done; {
		list, err := w.c.ListImportsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		running, finished := 0, 0
		for _, m := range list.ApplicationldJSON200.Member {
			switch m.Status {
			case pm.ImportRunning:
				running++
			case pm.ImportCompleted:
				finished++
			}
		}
		maxRunning = max(maxRunning, running)
		done = finished == 3
		time.Sleep(20 * time.Millisecond)
	}
	if maxRunning > 2 || maxRunning == 0 {
		t.Fatalf("%d imports of the instance ran at once", maxRunning)
	}
	done, err := w.c.CancelImportWithResponse(ctx, started[0].Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, done, 409, "")

	resp, err := w.c.CreateImportWithBodyWithResponse(ctx, nil, "application/x-ndjson", strings.NewReader(file("D", 5000)))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 202)
	for {
		got, err := w.c.GetImportWithResponse(ctx, resp.ApplicationldJSON202.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got.ApplicationldJSON200.Processed > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	canceled, err := w.c.CancelImportWithResponse(ctx, resp.ApplicationldJSON202.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, canceled, 202)
	im, results := waitImport(t, w.c, pm.Import(*canceled.ApplicationldJSON202))
	if im.Status != pm.ImportCanceled || im.Processed >= 5000 || len(results) != im.Processed || im.FinishedAt.IsNull() {
		t.Fatalf("canceled import: %+v, %d results", im, len(results))
	}
}

package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowkiwi/platform/pkg/apitest"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// exported runs an export of c's instance with filters and returns its finished resource and file.
func exported(t *testing.T, c *pm.ClientWithResponses, filters string) (pm.Export, []byte) {
	t.Helper()
	ctx := context.Background()
	resp, err := c.CreateExportWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(filters))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 202)
	e := *resp.ApplicationldJSON202
	if resp.HTTPResponse.Header.Get("Location") != e.LdID {
		t.Fatalf("Location %q, export %s", resp.HTTPResponse.Header.Get("Location"), e.LdID)
	}
	deadline := time.Now().Add(60 * time.Second)
	for e.Status != pm.ExportCompleted {
		if e.Status == pm.ExportFailed || time.Now().After(deadline) {
			t.Fatalf("export: %+v", e)
		}
		time.Sleep(50 * time.Millisecond)
		got, err := c.GetExportWithResponse(ctx, e.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, got, 200)
		e = *got.ApplicationldJSON200
	}
	if e.Download.MustGet() != e.LdID+"/download" || e.EventsCursor.IsNull() {
		t.Fatalf("completed export: %+v", e)
	}
	file, err := c.DownloadExport(ctx, e.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Body.Close()
	body, err := io.ReadAll(file.Body)
	if err != nil || file.StatusCode != 200 || file.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("download: %d %s %v", file.StatusCode, file.Header.Get("Content-Type"), err)
	}
	if n := bytes.Count(body, []byte("\n")); n != e.Products {
		t.Fatalf("the file has %d lines, the export says %d products", n, e.Products)
	}
	return e, body
}

// lines splits a file into its JSON objects.
func lines(t *testing.T, file []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(file))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, m)
	}
	return out
}

// TestExportHandsOffToTheFeed exports while writers create products and retitle others (each
// title one more than the last): every product is in the file or created after the export's
// cursor, never both, and each product's titles after the cursor continue the file's without a
// gap, up to the title it has at the end.
func TestExportHandsOffToTheFeed(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	const seeded, writers = 40, 4
	for i := range seeded {
		w.create(t, w.c, pm.ProductCreate{Key: some(fmt.Sprint("SEED-", i)), Title: some("t-0")})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var created sync.Map // key -> true
	for wr := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("W%d-%d", wr, n)
				if r, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Key: some(key), Title: some("t-0")}); err == nil && r.StatusCode() == 201 {
					created.Store(key, true)
				}
				seed := fmt.Sprint("SEED-", (wr+writers*n)%seeded)
				// Retitle by key: the title is the last one read plus one.
				got, err := w.c.GetProductByKeyWithResponse(ctx, seed, nil)
				if err != nil || got.StatusCode() != 200 {
					continue
				}
				k, _ := strconv.Atoi(strings.TrimPrefix(got.ApplicationldJSON200.Title.MustGet(), "t-"))
				etag := got.HTTPResponse.Header.Get("ETag")
				_, _ = w.c.UpdateProductByKeyWithBodyWithResponse(ctx, seed, &pm.UpdateProductByKeyParams{IfMatch: &etag}, "application/merge-patch+json",
					strings.NewReader(fmt.Sprintf(`{"title":"t-%d"}`, k+1)))
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	e, file := exported(t, w.c, `{}`)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()

	inFile := map[string]string{} // key -> title
	for _, l := range lines(t, file) {
		inFile[l["key"].(string)] = l["title"].(string)
	}
	cursor := e.EventsCursor.MustGet()
	after, _ := feed(t, w.c, pm.ListEventsParams{Cursor: &cursor})
	createdAfter := map[string]bool{}
	titlesAfter := map[string][]string{}
	for _, ev := range after {
		key, _ := ev.Data["key"].(string)
		title, _ := ev.Data["title"].(string)
		switch ev.Type {
		case "product.created":
			createdAfter[key] = true
		case "product.updated":
			titlesAfter[key] = append(titlesAfter[key], title)
		}
	}
	n := 0
	created.Range(func(k, _ any) bool {
		key := k.(string)
		_, in := inFile[key]
		if in == createdAfter[key] {
			t.Errorf("%s: in the file %v, created after the cursor %v", key, in, createdAfter[key])
		}
		n++
		return true
	})
	if n == 0 || len(createdAfter) == 0 || len(after) == 0 {
		t.Fatalf("the writers did not write around the export: %d creates, %d after the cursor", n, len(createdAfter))
	}
	for i := range seeded {
		key := fmt.Sprint("SEED-", i)
		title, ok := inFile[key]
		if !ok {
			t.Fatalf("%s is not in the file", key)
		}
		k, _ := strconv.Atoi(strings.TrimPrefix(title, "t-"))
		for _, next := range titlesAfter[key] {
			k++
			if next != fmt.Sprint("t-", k) {
				t.Fatalf("%s: the file has %s, then the feed %v: a gap or an overlap", key, title, titlesAfter[key])
			}
		}
		final, err := w.c.GetProductByKeyWithResponse(ctx, key, nil)
		if err != nil || final.StatusCode() != 200 || final.ApplicationldJSON200.Title.MustGet() != fmt.Sprint("t-", k) {
			t.Fatalf("%s ends at %s, the file and feed at t-%d", key, body(final), k)
		}
	}
	t.Logf("%d products in the file, %d events after its cursor, %d creates during the export", e.Products, len(after), n)
}

// TestExportRoundTrips: a catalog exported from one instance and set line by line (PUT by key)
// into another exports the same file, line for line: the lines name everything by key, and
// setting the same state again changes nothing.
func TestExportRoundTrips(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	w.owner.Instance(t, w.org, "acme-copy")
	b := w.pm.Client(w.owner, "acme-copy", w.org)
	for _, c := range []*pm.ClientWithResponses{w.c, b} {
		for _, call := range []func() (apitest.Response, error){
			func() (apitest.Response, error) {
				return c.CreateChannelWithResponse(ctx, nil, pm.ChannelCreate{Code: "web", Name: "Web", Currency: "EUR"})
			},
			func() (apitest.Response, error) {
				return c.CreateAttributeWithResponse(ctx, nil, pm.AttributeCreate{Code: "material", Type: pm.AttributeTypeText, Key: some("material")})
			},
			func() (apitest.Response, error) {
				return c.CreateCategoryWithBodyWithResponse(ctx, nil, "application/json",
					strings.NewReader(`{"handle":"shirts","key":"shirts","attributes":["/rest/api/attributes/key=material"]}`))
			},
			func() (apitest.Response, error) {
				return c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "summer", Key: some("summer")})
			},
		} {
			if r, err := call(); err != nil || r.StatusCode() != 201 {
				t.Fatalf("setup: %v %s", err, r.GetBody())
			}
		}
	}
	for i := range 12 {
		sizes := []string{"S", "M", "L"}[:1+i%3]
		state := shirtState(fmt.Sprint("Shirt ", i), sizes, map[string]string{"S": "19.99", "M": "21.50"}, fmt.Sprintf("https://cdn.example.com/%d.jpg", i))
		state = strings.Replace(state, `"title"`, `"attributeValues":[{"attribute":"/rest/api/attributes/key=material","value":"linen"}],"vendor":"Acme","tags":"a,b","title"`, 1)
		state = strings.ReplaceAll(state, "SHIRT-", fmt.Sprintf("SHIRT%d-", i))
		resp, err := w.c.SetProductByKeyWithBodyWithResponse(ctx, fmt.Sprint("SHIRT-", i), nil, "application/json", strings.NewReader(state))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
	}
	_, fileA := exported(t, w.c, `{}`)
	for i, l := range bytes.Split(bytes.TrimSuffix(fileA, []byte("\n")), []byte("\n")) {
		var line struct{ Key string }
		if err := json.Unmarshal(l, &line); err != nil || line.Key == "" {
			t.Fatalf("line %d has no key: %s", i+1, l)
		}
		if uuidText.Match(l) {
			t.Fatalf("line %d names something by id: %s", i+1, l)
		}
		resp, err := b.SetProductByKeyWithBodyWithResponse(ctx, line.Key, nil, "application/json", bytes.NewReader(l))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
	}
	_, fileB := exported(t, b, `{}`)
	if !bytes.Equal(fileA, fileB) {
		t.Fatalf("the copy exports differently:\nA: %s\nB: %s", fileA, fileB)
	}
	// Setting the first instance's lines again changes nothing there.
	_, cursor := feed(t, w.c, pm.ListEventsParams{})
	for _, l := range bytes.Split(bytes.TrimSuffix(fileA, []byte("\n")), []byte("\n")) {
		var line struct{ Key string }
		_ = json.Unmarshal(l, &line)
		resp, err := w.c.SetProductByKeyWithBodyWithResponse(ctx, line.Key, nil, "application/json", bytes.NewReader(l))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
	}
	if events, _ := feed(t, w.c, pm.ListEventsParams{Cursor: cursor}); len(events) != 0 {
		t.Fatalf("setting the exported state again recorded %v", types(events))
	}
}

// TestExportFilters: an export takes the list's filters (a collection by key) and refuses
// references that name nothing; another instance's exports are invisible.
func TestExportFilters(t *testing.T) {
	t.Parallel()
	w := newJobsWorld(t)
	ctx := context.Background()
	if r, err := w.c.CreateCollectionWithResponse(ctx, nil, pm.CollectionCreate{Handle: "summer", Key: some("summer")}); err != nil || r.StatusCode() != 201 {
		t.Fatalf("collection: %v", err)
	}
	w.create(t, w.c, pm.ProductCreate{Key: some("IN"), Collections: &[]pm.CollectionAssignment{{Collection: "/rest/api/collections/key=summer"}}})
	w.create(t, w.c, pm.ProductCreate{Key: some("OUT")})
	e, file := exported(t, w.c, `{"collection":"/rest/api/collections/key=summer"}`)
	if e.Products != 1 || !bytes.Contains(file, []byte(`"key":"IN"`)) {
		t.Fatalf("filtered export: %+v %s", e, file)
	}
	resp, err := w.c.CreateExportWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"collection":"/rest/api/collections/key=winter"}`))
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 422, "collection")
	w.owner.Instance(t, w.org, "acme-other")
	other := w.pm.Client(w.owner, "acme-other", w.org)
	got, err := other.GetExportWithResponse(ctx, e.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, got, 404, "")
	dl, err := other.DownloadExportWithResponse(ctx, e.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, dl, 404, "")
}

var uuidText = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

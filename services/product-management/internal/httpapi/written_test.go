package httpapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// An update's response is its event's data, byte for byte (rendered and encoded once, in the
// write's transaction), and the document a read then gives.
func TestUpdateAnswersWithItsEventsDocument(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("ONCE", 2))
	for _, doc := range []string{`{"title":"Renamed"}`, `{"seoTitle":"Renamed | Acme","tags":"a"}`} {
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(doc))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		events, _ := feed(t, w.c, pm.ListEventsParams{Type: ptr("product.updated")})
		last := events[len(events)-1]
		data, err := json.Marshal(last.Data)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, resp.Body, data) {
			t.Fatalf("the response differs from its event's data:\n%s\n%s", resp.Body, data)
		}
		read, err := w.c.GetProductWithResponse(ctx, p.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(read.Body) != string(resp.Body) || read.HTTPResponse.Header.Get("ETag") != resp.HTTPResponse.Header.Get("ETag") {
			t.Fatalf("a read after the update differs from its response:\n%s\n%s", read.Body, resp.Body)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

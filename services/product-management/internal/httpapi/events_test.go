package httpapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
	"time"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// feed reads every event after cursor (nil: from the start), and the cursor to ask again with.
func feed(t *testing.T, c *pm.ClientWithResponses, params pm.ListEventsParams) ([]pm.Event, *string) {
	t.Helper()
	var out []pm.Event
	for range 100 {
		resp, err := c.ListEventsWithResponse(context.Background(), &params)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		page := resp.ApplicationldJSON200
		out = append(out, page.Member...)
		if page.View.Next == nil {
			t.Fatal("the feed's view has no next: a consumer could not ask again")
		}
		u, err := url.Parse(*page.View.Next)
		if err != nil {
			t.Fatal(err)
		}
		next := u.Query().Get("cursor")
		if len(page.Member) == 0 {
			if next == "" {
				return out, params.Cursor
			}
			return out, &next
		}
		params.Cursor = &next
	}
	t.Fatal("the feed does not end")
	return nil, nil
}

// feedAtLeast reads the feed until it holds n events (or 15 s have passed).
func feedAtLeast(t *testing.T, c *pm.ClientWithResponses, params pm.ListEventsParams, n int) ([]pm.Event, *string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		list, next := feed(t, c, params)
		if len(list) >= n || time.Now().After(deadline) {
			return list, next
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func types(events []pm.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// Every change records its event in order, with the resource as the change's response showed
// it, per-resource versions, and IRIs for deletes; a consumer resuming from its cursor sees only
// what happened since; a refused write records nothing.
func TestEventsFeedRecordsEveryChangeInOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	ch, err := w.c.CreateChannelWithResponse(ctx, nil, pm.ChannelCreate{Code: "web", Name: "Web", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, ch, 201)
	dup, err := w.c.CreateChannelWithResponse(ctx, nil, pm.ChannelCreate{Code: "web", Name: "Web again", Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, dup, 409)
	created, err := w.c.CreateProductWithResponse(ctx, nil, tshirt("EV", 2))
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, created, 201)
	p := created.ApplicationldJSON201
	upd, err := w.c.UpdateProductWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, p.Id, nil, pm.ProductPatch{Vendor: some("Other")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, upd, 200)
	variant, _ := p.Variants[1].AsIri()
	vid := idOf(variant)
	del, err := w.c.DeleteVariantWithResponse(ctx, vid, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, del, 204)

	// The variant's delete changes its product too (its variants and updatedAt).
	want := []string{"channel.created", "product.created", "product.updated", "variant.deleted", "product.updated"}
	events, cursor := feedAtLeast(t, w.c, pm.ListEventsParams{}, len(want))
	if got := types(events); !reflect.DeepEqual(got, want) {
		t.Fatalf("event types %v, want %v (the refused duplicate must record nothing)", got, want)
	}
	// The data is the response's document, with the product's options, values and variants
	// embedded.
	var gotDoc, wantDoc any
	_ = json.Unmarshal(created.Body, &wantDoc)
	_ = json.Unmarshal(mustJSON(t, events[1].Data), &gotDoc)
	if vs := asList(events[1].Data["variants"]); len(vs) != 2 || reflect.TypeOf(vs[0]) != reflect.TypeOf(map[string]any{}) {
		t.Errorf("product.created embeds its variants: %v", events[1].Data["variants"])
	}
	if !reflect.DeepEqual(asRead(gotDoc, 0), asRead(wantDoc, 0)) {
		t.Errorf("product.created data is not the create's response:\n%s\n%s", mustJSON(t, events[1].Data), created.Body)
	}
	updated, deleted := events[2], events[3]
	if events[1].Resource != p.LdID || events[1].ResourceVersion != 1 || updated.Resource != p.LdID || updated.ResourceVersion != 2 {
		t.Errorf("product events: %s v%d, %s v%d; want %s v1, v2", events[1].Resource, events[1].ResourceVersion, updated.Resource, updated.ResourceVersion, p.LdID)
	}
	if updated.Data["vendor"] != "Other" {
		t.Errorf("product.updated data vendor %v, want Other", updated.Data["vendor"])
	}
	if deleted.Resource != variant || deleted.Data["@id"] != variant || deleted.Data["@type"] != "Variant" || len(deleted.Data) != 2 {
		t.Errorf("variant.deleted: resource %s, data %v; want only the @id %s and @type", deleted.Resource, deleted.Data, variant)
	}
	if events[0].Instance != events[1].Instance || events[0].LdID == "" {
		t.Errorf("events without their instance or IRI: %+v", events[0])
	}
	// One event by its IRI.
	one, err := w.c.GetEventWithResponse(ctx, events[1].Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, one, 200)
	if one.ApplicationldJSON200.Type != "product.created" {
		t.Errorf("GET event: %s", one.Body)
	}

	// Resuming: nothing new, then exactly what happened since.
	again, _ := feed(t, w.c, pm.ListEventsParams{Cursor: cursor})
	if len(again) != 0 {
		t.Fatalf("resuming from the end returned %v", types(again))
	}
	upd, err = w.c.UpdateProductWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, p.Id, nil, pm.ProductPatch{Vendor: some("Third")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, upd, 200)
	since, _ := feedAtLeast(t, w.c, pm.ListEventsParams{Cursor: cursor}, 1)
	if got := types(since); !reflect.DeepEqual(got, []string{"product.updated"}) || since[0].ResourceVersion != 4 {
		t.Fatalf("since the cursor: %v, want one product.updated (version 4)", got)
	}

	// Filters: by type, and paging one at a time walks the same order.
	typ := "product.updated"
	only, _ := feedAtLeast(t, w.c, pm.ListEventsParams{Type: &typ}, 3)
	if len(only) != 3 || only[0].Type != typ || only[2].Type != typ {
		t.Errorf("type=%s: %v", typ, types(only))
	}
	one1 := 1
	paged, _ := feedAtLeast(t, w.c, pm.ListEventsParams{ItemsPerPage: &one1}, 5)
	if got := types(paged); !reflect.DeepEqual(got, append(want, "product.updated")) {
		t.Errorf("one per page: %v", got)
	}
	// createdAt[after] the first event's time leaves it out.
	after := events[0].Timestamp
	later, _ := feedAtLeast(t, w.c, pm.ListEventsParams{CreatedAtAfter: &after}, len(want))
	if len(later) != len(want) {
		t.Errorf("createdAt[after] the first event: %v, want the %d later ones", types(later), len(want))
	}
	for _, e := range later {
		if !e.Timestamp.After(after) || e.Id == events[0].Id {
			t.Errorf("createdAt[after]=%s listed %s at %s", after, e.Type, e.Timestamp)
		}
	}
	bad := "product.exploded"
	resp, err := w.c.ListEventsWithResponse(ctx, &pm.ListEventsParams{Type: &bad})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 400, "query.type")
	badCursor := "not-a-cursor"
	resp, err = w.c.ListEventsWithResponse(ctx, &pm.ListEventsParams{Cursor: &badCursor})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 400, "query.cursor")

	// Another tenant sees none of it.
	other := w.id.Partner("Other")
	org := other.Org(t, "Other")
	other.Instance(t, org, "other-events")
	oc := w.pm.Client(other, "other-events", org)
	if theirs, _ := feed(t, oc, pm.ListEventsParams{}); len(theirs) != 0 {
		t.Errorf("another tenant's feed shows %v", types(theirs))
	}
	gone, err := oc.GetEventWithResponse(ctx, events[1].Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, gone, 404, "")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package httpapi_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

// orgEvents reads an organization's feed from after (nil: the start) to its end.
func orgEvents(t *testing.T, c *caller, org uuid.UUID, after *string) ([]identity.OrganizationEvent, string) {
	t.Helper()
	var out []identity.OrganizationEvent
	one := 1
	for range 100 {
		resp, err := c.ListOrganizationEventsWithResponse(context.Background(), org, &identity.ListOrganizationEventsParams{After: after, PageSize: &one})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		next := resp.JSON200.NextCursor
		if len(resp.JSON200.Items) == 0 {
			return out, next
		}
		out = append(out, resp.JSON200.Items...)
		after = &next
	}
	t.Fatal("the feed does not end")
	return nil, ""
}

// orgEventsAtLeast reads the feed from after until it holds n events (or 15 s have passed).
func orgEventsAtLeast(t *testing.T, c *caller, org uuid.UUID, after *string, n int) ([]identity.OrganizationEvent, string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		list, next := orgEvents(t, c, org, after)
		if len(list) >= n || time.Now().After(deadline) {
			return list, next
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func eventTypes(list []identity.OrganizationEvent) []string {
	out := make([]string, len(list))
	for i, e := range list {
		out[i] = string(e.Type)
	}
	return out
}

// Instance and member changes record their events in order, a transfer in both organizations'
// feeds; a refused change records nothing; a consumer resumes from its cursor; outsiders see
// nothing and a member needs identity:organizations.read.
func TestOrganizationEventsRecordChangesInOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	p := e.partner("Acme")
	helper := e.partner("Helper")
	org := p.org(t, "Acme")
	target := p.org(t, "Acme Target")
	in := p.instance(t, org, "events-one")
	dup, err := p.CreateInstanceWithResponse(ctx, org, nil, identity.InstanceCreate{Name: "Again", Handle: "events-one"})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, dup, 409, "")
	ren, err := p.UpdateInstanceWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, org, in.Id, nil, identity.InstancePatch{Name: ptr("Renamed")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, ren, 200)
	p.addMember(t, org, helper.id, identity.Viewer)
	p.addMember(t, org, helper.id, identity.Admin)
	p.addMember(t, org, helper.id, identity.Admin) // no change, no event
	del, err := p.DeleteMemberWithResponse(ctx, org, helper.id)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, del, 204)
	second := p.instance(t, org, "events-two")
	tr, err := p.TransferInstanceWithResponse(ctx, org, second.Id, nil, identity.TransferRequest{TargetOrganizationId: target})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, tr, 200)
	gone, err := p.DeleteInstanceWithResponse(ctx, org, in.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, gone, 204)

	events, cursor := orgEventsAtLeast(t, p, org, nil, 8)
	want := []string{"instance.created", "instance.renamed", "member.added", "member.updated", "member.removed", "instance.created", "instance.transferred", "instance.deleted"}
	if got := eventTypes(events); !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if events[1].SubjectId != in.Id || events[1].Data["name"] != "Renamed" || events[1].ActorId != p.id || events[1].OrganizationId != org {
		t.Errorf("instance.renamed: %+v", events[1])
	}
	if events[3].SubjectId != helper.id || events[3].Data["role"] != "admin" {
		t.Errorf("member.updated: %+v", events[3])
	}
	if events[7].Data["id"] != in.Id.String() || len(events[7].Data) != 1 {
		t.Errorf("instance.deleted data %v, want only the id", events[7].Data)
	}
	theirs, _ := orgEventsAtLeast(t, p, target, nil, 1)
	if got := eventTypes(theirs); !reflect.DeepEqual(got, []string{"instance.transferred"}) || theirs[0].Data["organization_id"] != target.String() {
		t.Errorf("the target's feed: %v", got)
	}

	// Resuming: nothing, then only what happened since.
	if again, _ := orgEvents(t, p, org, &cursor); len(again) != 0 {
		t.Fatalf("resuming from the end: %v", eventTypes(again))
	}
	p.instance(t, org, "events-three")
	since, _ := orgEventsAtLeast(t, p, org, &cursor, 1)
	if got := eventTypes(since); !reflect.DeepEqual(got, []string{"instance.created"}) {
		t.Errorf("since the cursor: %v", got)
	}
	bad := "garbage"
	resp, err := p.ListOrganizationEventsWithResponse(ctx, org, &identity.ListOrganizationEventsParams{After: &bad})
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 400, "")

	// Outsiders get 404; a viewer (who holds organizations.read) reads the feed.
	outsider := e.partner("Outsider")
	resp, err = outsider.ListOrganizationEventsWithResponse(ctx, org, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 404, "")
	p.addMember(t, org, outsider.id, identity.Viewer)
	resp, err = outsider.ListOrganizationEventsWithResponse(ctx, org, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
}

// Concurrent puts of one membership record one event per change of role: the role a put replaces
// is read in its own transaction (behind the owners' lock), so racing puts that add a member
// record one member.added and no member.updated, and racing promotions one member.updated.
func TestConcurrentMemberPutsRecordOneEventPerChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.partner("Owner")
	joiner := e.partner("Joiner")
	org := owner.org(t, "Racing")
	_, start := orgEvents(t, owner, org, nil)
	put := func(role identity.RoleName) map[int]int {
		statuses := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				resp, err := owner.PutMemberWithResponse(context.Background(), org, joiner.id, identity.MemberWrite{Role: role})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					statuses[-1]++
					return
				}
				statuses[resp.StatusCode()]++
			})
		}
		wg.Wait()
		return statuses
	}
	for i, step := range []struct {
		role    identity.RoleName
		created int
		want    string
	}{{identity.Viewer, 1, "member.added"}, {identity.Editor, 0, "member.updated"}} {
		statuses := put(step.role)
		if statuses[201] != step.created || statuses[200] != 8-step.created {
			t.Fatalf("%s: statuses %v, want %d created and the rest 200", step.role, statuses, step.created)
		}
		// A marker change made after every put returned: once its event is listed, so is every
		// event the puts recorded.
		owner.instance(t, org, fmt.Sprintf("race-marker-%c", 'a'+i))
		var list []identity.OrganizationEvent
		var next string
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if list, next = orgEvents(t, owner, org, &start); len(list) > 0 && list[len(list)-1].Type == "instance.created" {
				break
			}
		}
		if got := eventTypes(list); !reflect.DeepEqual(got, []string{step.want, "instance.created"}) {
			t.Fatalf("%s: events %v, want [%s instance.created]", step.role, got, step.want)
		}
		start = next
	}
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

// jsonDoc is a response body as a JSON document, for whole-document comparisons.
func jsonDoc(t testing.TB, body []byte) any {
	t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// A create answers exactly what the next read shows: same fields, timestamps at the precision
// the database keeps (microseconds), not the nanoseconds of the clock that made them.
func TestCreateAnswersWhatTheNextReadShows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Precise Ltd")
	ctx := context.Background()

	org, err := p.CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: "Precise"})
	noErr(t, err)
	expectStatus(t, org, 201)
	readOrg, err := p.GetOrganizationWithResponse(ctx, org.JSON201.Id)
	noErr(t, err)
	expectStatus(t, readOrg, 200)
	if diff := cmp.Diff(jsonDoc(t, org.Body), jsonDoc(t, readOrg.Body)); diff != "" {
		t.Errorf("organization (-created +read):\n%s", diff)
	}

	inst, err := p.CreateInstanceWithResponse(ctx, org.JSON201.Id, nil, identity.InstanceCreate{Name: "Precise EU", Handle: "precise-eu"})
	noErr(t, err)
	expectStatus(t, inst, 201)
	readInst, err := p.GetInstanceWithResponse(ctx, org.JSON201.Id, inst.JSON201.Id)
	noErr(t, err)
	expectStatus(t, readInst, 200)
	if diff := cmp.Diff(jsonDoc(t, inst.Body), jsonDoc(t, readInst.Body)); diff != "" {
		t.Errorf("instance (-created +read):\n%s", diff)
	}

	client := p.newClient(t, "precise")
	readClient, err := p.GetApiClientWithResponse(ctx, client.ClientId)
	noErr(t, err)
	expectStatus(t, readClient, 200)
	if !client.CreatedAt.Equal(readClient.JSON200.CreatedAt) || client.CreatedAt.Nanosecond()%1000 != 0 {
		t.Errorf("API client created_at %v, read %v", client.CreatedAt, readClient.JSON200.CreatedAt)
	}
}

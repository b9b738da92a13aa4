package httpapi_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/clients/identity"
)

func TestCreateInstance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	org := p.org(t, "Acme")
	in := p.instance(t, org, "acme-eu")
	if in.OrganizationId != org || in.CreatedByOrganizationId != org || in.Handle != "acme-eu" {
		t.Fatalf("instance = %+v", in)
	}
	for _, tc := range []struct {
		name, handle, instanceName string
		status                     int
		path                       string
	}{
		{"duplicate handle", "acme-eu", "x", 409, ""},
		{"uppercase", "Acme", "x", 422, "handle"},
		{"digits", "acme1", "x", 422, "handle"},
		{"double hyphen", "ac--me", "x", 422, "handle"},
		{"punycode", "xn--acme", "x", 422, "handle"},
		{"leading hyphen", "-acme", "x", 422, "handle"},
		{"too short", "ab", "x", 422, "handle"},
		{"too long", strings.Repeat("a", 64), "x", 422, "handle"},
		{"reserved", "www", "x", 422, "handle"},
		{"empty name", "fine-handle", "", 422, "name"},
		{"blank name", "fine-handle", "  ", 422, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := p.CreateInstanceWithResponse(ctx, org, nil, identity.InstanceCreate{Name: tc.instanceName, Handle: tc.handle})
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, tc.status, tc.path)
		})
	}
	t.Run("a deleted instance's handle is never reused", func(t *testing.T) {
		old := p.instance(t, org, "short-lived")
		del, err := p.DeleteInstanceWithResponse(ctx, org, old.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		resp, err := p.CreateInstanceWithResponse(ctx, org, nil, identity.InstanceCreate{Name: "again", Handle: "short-lived"})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 409, "")
	})
}

// TestConcurrentHandleCreate races many creates of one handle: exactly one wins.
func TestConcurrentHandleCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	org := p.org(t, "Acme")
	const n = 12
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := p.CreateInstanceWithResponse(context.Background(), org, nil, identity.InstanceCreate{Name: "race", Handle: "race-handle"})
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode()
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, s := range statuses {
		count[s]++
	}
	if count[201] != 1 || count[409] != n-1 {
		t.Fatalf("statuses = %v, want one 201 and %d 409", count, n-1)
	}
}

func TestRenameInstance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	org := p.org(t, "Acme")
	in := p.instance(t, org, "acme-eu")
	patch := func(t *testing.T, contentType, body string, ifMatch *string) *identity.UpdateInstanceResponse {
		t.Helper()
		resp, err := p.UpdateInstanceWithBodyWithResponse(ctx, org, in.Id, &identity.UpdateInstanceParams{IfMatch: ifMatch}, contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	t.Run("rename", func(t *testing.T) {
		resp, err := p.UpdateInstanceWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, org, in.Id, nil, identity.InstancePatch{Name: ptr("Acme Europe")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if resp.JSON200.Name != "Acme Europe" || resp.JSON200.Handle != "acme-eu" || !resp.JSON200.UpdatedAt.After(in.UpdatedAt) {
			t.Fatalf("got %s", resp.Body)
		}
	})
	t.Run("empty patch changes nothing", func(t *testing.T) {
		resp := patch(t, "application/merge-patch+json", `{}`, nil)
		expectStatus(t, resp, 200)
		if resp.JSON200.Name != "Acme Europe" {
			t.Fatalf("got %s", resp.Body)
		}
	})
	for _, tc := range []struct{ name, body, path string }{
		{"handle", `{"handle":"other"}`, "handle"},
		{"handle with name", `{"name":"x","handle":"other"}`, "handle"},
		{"name null", `{"name":null}`, "name"},
		{"name empty", `{"name":""}`, "name"},
		{"name number", `{"name":7}`, "name"},
		{"organization_id", `{"organization_id":"0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"}`, "organization_id"},
		{"created_by_organization_id", `{"created_by_organization_id":"0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"}`, "created_by_organization_id"},
		{"not an object", `"rename"`, ""},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			expectProblem(t, patch(t, "application/merge-patch+json", tc.body, nil), 422, tc.path)
		})
	}
	for _, ct := range []string{"application/json", "text/plain", "application/json-patch+json"} {
		t.Run("415 for "+ct, func(t *testing.T) {
			expectProblem(t, patch(t, ct, `{"name":"x"}`, nil), 415, "")
		})
	}
	t.Run("malformed", func(t *testing.T) {
		expectProblem(t, patch(t, "application/merge-patch+json", `{"name":`, nil), 400, "")
	})
	t.Run("If-Match", func(t *testing.T) {
		got, err := p.GetInstanceWithResponse(ctx, org, in.Id)
		if err != nil {
			t.Fatal(err)
		}
		etag := got.HTTPResponse.Header.Get("ETag")
		expectStatus(t, patch(t, "application/merge-patch+json", `{"name":"One"}`, &etag), 200)
		expectProblem(t, patch(t, "application/merge-patch+json", `{"name":"Two"}`, &etag), 412, "")
		del, err := p.DeleteInstanceWithResponse(ctx, org, in.Id, &identity.DeleteInstanceParams{IfMatch: &etag})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, del, 412, "")
	})
}

func TestListInstances(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	org := p.org(t, "Acme")
	for _, h := range []string{"charlie", "alpha", "bravo"} {
		p.instance(t, org, h)
	}
	byHandle := identity.ListInstancesParamsSortByHandle
	resp, err := p.ListInstancesWithResponse(ctx, org, &identity.ListInstancesParams{SortBy: &byHandle, PageSize: ptr(2)})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
	if len(resp.JSON200.Items) != 2 || resp.JSON200.Items[0].Handle != "alpha" || resp.JSON200.Items[1].Handle != "bravo" || resp.JSON200.Paging.TotalCount != 3 {
		t.Fatalf("got %s", resp.Body)
	}
}

func TestTransferInstance(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	viewer := e.partner("Viewer")
	ctx := context.Background()
	source := p.org(t, "Source")
	target := p.org(t, "Target")
	foreign := e.partner("Other").org(t, "Foreign")
	in := p.instance(t, source, "moving")
	p.addMember(t, source, viewer.id, identity.Viewer)
	p.addMember(t, target, viewer.id, identity.Owner)

	t.Run("needs the transfer permission in the source", func(t *testing.T) {
		resp, err := viewer.TransferInstanceWithResponse(ctx, source, in.Id, nil, identity.TransferRequest{TargetOrganizationId: target})
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, resp, 403, "")
		if pr.MissingPermissions == nil || (*pr.MissingPermissions)[0] != "identity:instances.transfer" {
			t.Fatalf("missingPermissions = %v", pr.MissingPermissions)
		}
	})
	t.Run("needs membership of the target", func(t *testing.T) {
		resp, err := p.TransferInstanceWithResponse(ctx, source, in.Id, nil, identity.TransferRequest{TargetOrganizationId: foreign})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "target_organization_id")
		resp, err = p.TransferInstanceWithResponse(ctx, source, in.Id, nil, identity.TransferRequest{TargetOrganizationId: uuid.New()})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "target_organization_id")
	})
	t.Run("not to itself", func(t *testing.T) {
		resp, err := p.TransferInstanceWithResponse(ctx, source, in.Id, nil, identity.TransferRequest{TargetOrganizationId: source})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "target_organization_id")
	})
	t.Run("moves ownership and records it", func(t *testing.T) {
		resp, err := p.TransferInstanceWithResponse(ctx, source, in.Id, nil, identity.TransferRequest{TargetOrganizationId: target})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if resp.JSON200.OrganizationId != target || resp.JSON200.CreatedByOrganizationId != source {
			t.Fatalf("got %s", resp.Body)
		}
		old, err := p.GetInstanceWithResponse(ctx, source, in.Id)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, old, 404, "")
		denied, err := p.CheckInstanceAccessWithResponse(ctx, "moving", &identity.CheckInstanceAccessParams{OrganizationId: source})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, denied, 404, "")
		granted, err := viewer.CheckInstanceAccessWithResponse(ctx, "moving", &identity.CheckInstanceAccessParams{OrganizationId: target})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, granted, 200)
		if granted.JSON200.OwnershipVersion != 2 || granted.JSON200.InstanceId != in.Id {
			t.Fatalf("access = %s", granted.Body)
		}
		history, err := p.ListInstanceTransfersWithResponse(ctx, target, in.Id)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, history, 200)
		if len(history.JSON200.Items) != 1 {
			t.Fatalf("history = %s", history.Body)
		}
		h := history.JSON200.Items[0]
		if h.FromOrganizationId != source || h.ToOrganizationId != target || h.TransferredBy != p.id || h.OwnershipVersion != 2 {
			t.Fatalf("history = %s", history.Body)
		}
	})
}

func TestCheckInstanceAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.partner("Owner")
	viewer := e.partner("Viewer")
	stranger := e.partner("Stranger")
	ctx := context.Background()
	org := owner.org(t, "Acme")
	other := owner.org(t, "Other")
	owner.instance(t, org, "acme-eu")
	owner.addMember(t, org, viewer.id, identity.Viewer)
	for _, tc := range []struct {
		name   string
		c      *caller
		handle string
		org    uuid.UUID
		status int
		perms  string
	}{
		{"owner", owner, "acme-eu", org, 200, ""},
		{"viewer gets read permissions", viewer, "acme-eu", org, 200, "identity:organizations.read,identity:members.read,identity:instances.read,identity:products.read"},
		{"stranger", stranger, "acme-eu", org, 404, ""},
		{"organization that does not own it", owner, "acme-eu", other, 404, ""},
		{"unknown handle", owner, "nobody-here", org, 404, ""},
		{"malformed handle", owner, "NOT_A_HANDLE", org, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.c.CheckInstanceAccessWithResponse(ctx, tc.handle, &identity.CheckInstanceAccessParams{OrganizationId: tc.org})
			if err != nil {
				t.Fatal(err)
			}
			if tc.status != 200 {
				expectProblem(t, resp, tc.status, "")
				return
			}
			expectStatus(t, resp, 200)
			if tc.perms != "" && strings.Join(resp.JSON200.Permissions, ",") != tc.perms {
				t.Fatalf("permissions = %v", resp.JSON200.Permissions)
			}
		})
	}
	t.Run("organization_id is required and must be a UUID", func(t *testing.T) {
		for _, q := range []string{"", "organization_id=nope"} {
			resp, err := owner.CheckInstanceAccessWithResponse(ctx, "acme-eu", &identity.CheckInstanceAccessParams{OrganizationId: org}, func(_ context.Context, r *http.Request) error {
				r.URL.RawQuery = q
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 400, "query.organization_id")
		}
	})
}

// TestOtherPartnersSeeNothing tries every organization-scoped endpoint as a partner that is not a
// member: each answers 404, and nothing changes.
func TestOtherPartnersSeeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.partner("Owner")
	intruder := e.partner("Intruder")
	ctx := context.Background()
	org := owner.org(t, "Acme")
	intruderOrg := intruder.org(t, "Intruder Inc")
	in := owner.instance(t, org, "acme-eu")
	calls := map[string]func() (response, error){
		"get organization": func() (response, error) { return intruder.GetOrganizationWithResponse(ctx, org) },
		"patch organization": func() (response, error) {
			return intruder.UpdateOrganizationWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, org, nil, identity.OrganizationPatch{Name: ptr("pwned")})
		},
		"delete organization": func() (response, error) { return intruder.DeleteOrganizationWithResponse(ctx, org, nil) },
		"list members":        func() (response, error) { return intruder.ListMembersWithResponse(ctx, org, nil) },
		"add self as owner": func() (response, error) {
			return intruder.PutMemberWithResponse(ctx, org, intruder.id, identity.MemberWrite{Role: identity.Owner})
		},
		"remove owner":   func() (response, error) { return intruder.DeleteMemberWithResponse(ctx, org, owner.id) },
		"list instances": func() (response, error) { return intruder.ListInstancesWithResponse(ctx, org, nil) },
		"create instance": func() (response, error) {
			return intruder.CreateInstanceWithResponse(ctx, org, nil, identity.InstanceCreate{Name: "x", Handle: "intruder"})
		},
		"get instance": func() (response, error) { return intruder.GetInstanceWithResponse(ctx, org, in.Id) },
		"get instance through own organization": func() (response, error) {
			return intruder.GetInstanceWithResponse(ctx, intruderOrg, in.Id)
		},
		"rename instance": func() (response, error) {
			return intruder.UpdateInstanceWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, org, in.Id, nil, identity.InstancePatch{Name: ptr("pwned")})
		},
		"delete instance": func() (response, error) { return intruder.DeleteInstanceWithResponse(ctx, org, in.Id, nil) },
		"transfer instance to self": func() (response, error) {
			return intruder.TransferInstanceWithResponse(ctx, org, in.Id, nil, identity.TransferRequest{TargetOrganizationId: intruderOrg})
		},
		"transfer through own organization": func() (response, error) {
			return intruder.TransferInstanceWithResponse(ctx, intruderOrg, in.Id, nil, identity.TransferRequest{TargetOrganizationId: intruderOrg})
		},
		"transfer history": func() (response, error) { return intruder.ListInstanceTransfersWithResponse(ctx, org, in.Id) },
		"access check": func() (response, error) {
			return intruder.CheckInstanceAccessWithResponse(ctx, "acme-eu", &identity.CheckInstanceAccessParams{OrganizationId: org})
		},
		"access check through own organization": func() (response, error) {
			return intruder.CheckInstanceAccessWithResponse(ctx, "acme-eu", &identity.CheckInstanceAccessParams{OrganizationId: intruderOrg})
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			resp, err := call()
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 404, "")
		})
	}
	got, err := owner.GetInstanceWithResponse(ctx, org, in.Id)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, got, 200)
	if got.JSON200.Name != in.Name || got.JSON200.OrganizationId != org {
		t.Fatalf("the instance changed: %s", got.Body)
	}
	members, err := owner.ListMembersWithResponse(ctx, org, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(members.JSON200.Items) != 1 {
		t.Fatalf("members changed: %s", members.Body)
	}
}

// TestBadInputNeverFails500 throws malformed requests at the API: each gets a 4xx problem.
func TestBadInputNeverFails500(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	org := p.org(t, "Acme")
	in := p.instance(t, org, "acme-eu")
	orgPath := "/organizations/" + org.String()
	instPath := orgPath + "/instances/" + in.Id.String()
	big := bytes.Repeat([]byte("a"), 2<<20)
	for _, tc := range []struct {
		name, method, path, contentType string
		body                            []byte
		status                          int
	}{
		{"body over 1 MiB", "POST", "/organizations", "application/json", append(append([]byte(`{"name":"`), big...), '"', '}'), 413},
		{"malformed JSON", "POST", "/organizations", "application/json", []byte(`{"name":`), 400},
		{"JSON with trailing garbage", "POST", "/organizations", "application/json", []byte(`{"name":"x"} trailing`), 400},
		{"not JSON", "POST", "/organizations", "application/json", []byte(`<xml/>`), 400},
		{"empty body", "POST", "/organizations", "application/json", nil, 400},
		{"array body", "POST", "/organizations", "application/json", []byte(`[]`), 422},
		{"form body", "POST", "/organizations", "application/x-www-form-urlencoded", []byte(`name=x`), 415},
		{"no content type", "POST", "/organizations", "", []byte(`{"name":"x"}`), 415},
		{"invalid UTF-8", "POST", "/organizations", "application/json", []byte("{\"name\":\"\xff\xfe\"}"), 400},
		{"deep nesting", "PATCH", orgPath, "application/merge-patch+json", []byte(strings.Repeat(`{"bank_info":`, 200) + "1" + strings.Repeat("}", 200)), 422},
		{"organization id not a UUID", "GET", "/organizations/not-a-uuid", "", nil, 400},
		{"instance id not a UUID", "GET", orgPath + "/instances/123", "", nil, 400},
		{"unknown organization", "GET", "/organizations/" + uuid.NewString(), "", nil, 404},
		{"unknown instance", "GET", orgPath + "/instances/" + uuid.NewString(), "", nil, 404},
		{"unknown route", "GET", "/admin", "", nil, 404},
		{"SQL in a filter", "GET", "/organizations?name=%27%3B%20drop%20table%20organizations%3B--", "", nil, 200},
		{"NUL in a filter", "GET", "/organizations?name=%00", "", nil, 400},
		{"invalid UTF-8 in a filter", "GET", "/organizations?name=%ff", "", nil, 400},
		{"NUL in a body string", "POST", "/organizations", "application/json", []byte(`{"name":"a\u0000b"}`), 400},
		{"huge page number", "GET", "/organizations?page_number=99999999999999999999", "", nil, 400},
		{"transfer body missing target", "POST", instPath + "/transfer", "application/json", []byte(`{}`), 422},
		{"transfer target not a UUID", "POST", instPath + "/transfer", "application/json", []byte(`{"target_organization_id":"x"}`), 422},
		{"member body role wrong type", "PUT", orgPath + "/members/" + p.id.String(), "application/json", []byte(`{"role":1}`), 422},
		{"wrong method on a collection", "DELETE", "/roles", "", nil, 405},
		{"wrong method on the token endpoint", "GET", "/oauth/token", "", nil, 405},
		{"wrong method on an item", "PUT", orgPath, "application/json", []byte(`{}`), 405},
		{"unknown query parameter", "GET", "/organizations?colour=red", "", nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rd *bytes.Reader
			if tc.body != nil {
				rd = bytes.NewReader(tc.body)
			} else {
				rd = bytes.NewReader(nil)
			}
			resp, pr := e.raw(tc.method, tc.path, p.token, tc.contentType, rd)
			if tc.status == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
				t.Errorf("405 without Allow")
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status = %d, want %d: %+v", resp.StatusCode, tc.status, pr)
			}
			if tc.status >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

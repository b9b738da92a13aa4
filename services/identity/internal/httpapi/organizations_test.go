package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/clients/identity"
)

func TestCreateOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	valid := func() identity.OrganizationCreate {
		return identity.OrganizationCreate{
			Name:        "Acme Retail GmbH",
			ExternalId:  nullable.NewNullableWithValue("crm-1"),
			CountryCode: nullable.NewNullableWithValue("de"),
			Email:       nullable.NewNullableWithValue("ops@acme.example"),
			WebsiteUrl:  nullable.NewNullableWithValue("https://acme.example"),
			Phone:       nullable.NewNullableWithValue("+49 30 123456"),
			BankInfo: nullable.NewNullableWithValue(identity.BankInfo{
				Iban:  nullable.NewNullableWithValue("DE89 3704 0044 0532 0130 00"),
				Swift: nullable.NewNullableWithValue("cobadeffxxx"),
			}),
		}
	}
	t.Run("valid", func(t *testing.T) {
		resp, err := p.CreateOrganizationWithResponse(ctx, nil, valid())
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		o := resp.JSON201
		if o.CountryCode.MustGet() != "DE" || o.BankInfo.MustGet().Iban.MustGet() != "DE89370400440532013000" || o.BankInfo.MustGet().Swift.MustGet() != "COBADEFFXXX" {
			t.Fatalf("not normalised: %s", resp.Body)
		}
		if !o.IsActive {
			t.Fatal("is_active should default to true")
		}
		if loc := resp.HTTPResponse.Header.Get("Location"); loc != "/organizations/"+o.Id.String() {
			t.Fatalf("Location = %q", loc)
		}
		if resp.HTTPResponse.Header.Get("ETag") == "" {
			t.Fatal("no ETag")
		}
		members, err := p.ListMembersWithResponse(ctx, o.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, members, 200)
		if len(members.JSON200.Items) != 1 || members.JSON200.Items[0].PartnerId != p.id || members.JSON200.Items[0].Role != identity.Owner {
			t.Fatalf("the creator should be the only owner: %s", members.Body)
		}
	})
	for _, tc := range []struct {
		name   string
		mutate func(*identity.OrganizationCreate)
		path   string
	}{
		{"empty name", func(o *identity.OrganizationCreate) { o.Name = "" }, "name"},
		{"blank name", func(o *identity.OrganizationCreate) { o.Name = "   " }, "name"},
		{"unknown country", func(o *identity.OrganizationCreate) { o.CountryCode = nullable.NewNullableWithValue("XX") }, "country_code"},
		{"three-letter country", func(o *identity.OrganizationCreate) { o.CountryCode = nullable.NewNullableWithValue("DEU") }, "country_code"},
		{"bad email", func(o *identity.OrganizationCreate) { o.Email = nullable.NewNullableWithValue("not-an-email") }, "email"},
		{"email with display name", func(o *identity.OrganizationCreate) {
			o.Email = nullable.NewNullableWithValue("Bob <bob@acme.example>")
		}, "email"},
		{"ftp url", func(o *identity.OrganizationCreate) {
			o.WebsiteUrl = nullable.NewNullableWithValue("ftp://acme.example")
		}, "website_url"},
		{"relative url", func(o *identity.OrganizationCreate) { o.WebsiteUrl = nullable.NewNullableWithValue("/acme") }, "website_url"},
		{"iban check digits", func(o *identity.OrganizationCreate) {
			o.BankInfo = nullable.NewNullableWithValue(identity.BankInfo{Iban: nullable.NewNullableWithValue("DE88370400440532013000")})
		}, "bank_info.iban"},
		{"iban length", func(o *identity.OrganizationCreate) {
			o.BankInfo = nullable.NewNullableWithValue(identity.BankInfo{Iban: nullable.NewNullableWithValue("DE8937040044053201300")})
		}, "bank_info.iban"},
		{"bic format", func(o *identity.OrganizationCreate) {
			o.BankInfo = nullable.NewNullableWithValue(identity.BankInfo{Swift: nullable.NewNullableWithValue("COBA1EFF")})
		}, "bank_info.swift"},
		{"bic country", func(o *identity.OrganizationCreate) {
			o.BankInfo = nullable.NewNullableWithValue(identity.BankInfo{Swift: nullable.NewNullableWithValue("COBAQQFFXXX")})
		}, "bank_info.swift"},
		{"phone letters", func(o *identity.OrganizationCreate) { o.Phone = nullable.NewNullableWithValue("call me") }, "phone"},
		{"name too long", func(o *identity.OrganizationCreate) { o.Name = strings.Repeat("n", 201) }, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.mutate(&o)
			resp, err := p.CreateOrganizationWithResponse(ctx, nil, o)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, tc.path)
		})
	}
	t.Run("unknown and read-only properties", func(t *testing.T) {
		for _, b := range []string{`{"name":"x","id":"0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"}`, `{"name":"x","colour":"red"}`, `{"name":"x","created_at":"2020-01-01T00:00:00Z"}`} {
			resp, err := p.CreateOrganizationWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, "")
		}
	})
	t.Run("name missing", func(t *testing.T) {
		resp, err := p.CreateOrganizationWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "name")
	})
}

func TestListOrganizations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	other := e.partner("Other")
	ctx := context.Background()
	for i := range 5 {
		resp, err := p.CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{Name: fmt.Sprintf("Org %c", 'E'-i), ExternalId: nullable.NewNullableWithValue(fmt.Sprintf("ext-%d", i))})
		if err != nil || resp.StatusCode() != 201 {
			t.Fatalf("create: %v %s", err, body(resp))
		}
	}
	other.org(t, "Org Z of someone else")
	names := func(r *identity.ListOrganizationsResponse) string {
		var out []string
		for _, o := range r.JSON200.Items {
			out = append(out, o.Name)
		}
		return strings.Join(out, ",")
	}
	asc, desc := common.ASC, common.DESC
	byName := identity.ListOrganizationsParamsSortByName
	for _, tc := range []struct {
		name   string
		params identity.ListOrganizationsParams
		want   string
		total  int
	}{
		{"default order is creation", identity.ListOrganizationsParams{}, "Org E,Org D,Org C,Org B,Org A", 5},
		{"by name ascending, page 1", identity.ListOrganizationsParams{SortBy: &byName, SortDirection: &asc, PageSize: ptr(2)}, "Org A,Org B", 5},
		{"by name ascending, page 3", identity.ListOrganizationsParams{SortBy: &byName, SortDirection: &asc, PageSize: ptr(2), PageNumber: ptr(3)}, "Org E", 5},
		{"past the end", identity.ListOrganizationsParams{PageSize: ptr(2), PageNumber: ptr(9)}, "", 5},
		{"by name descending", identity.ListOrganizationsParams{SortBy: &byName, SortDirection: &desc, PageSize: ptr(1)}, "Org E", 5},
		{"name filter is case-insensitive", identity.ListOrganizationsParams{Name: ptr("org c")}, "Org C", 1},
		{"name filter escapes wildcards", identity.ListOrganizationsParams{Name: ptr("%")}, "", 0},
		{"external id filter", identity.ListOrganizationsParams{ExternalId: ptr("ext-3")}, "Org B", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := p.ListOrganizationsWithResponse(ctx, &tc.params)
			if err != nil {
				t.Fatal(err)
			}
			expectStatus(t, resp, 200)
			if got := names(resp); got != tc.want || resp.JSON200.Paging.TotalCount != tc.total {
				t.Fatalf("got %q (total %d), want %q (total %d)", got, resp.JSON200.Paging.TotalCount, tc.want, tc.total)
			}
		})
	}
	for _, q := range []string{"page_size=0", "page_size=101", "page_size=abc", "page_number=0", "sort_by=password", "sort_direction=UP", "page_number=-1"} {
		t.Run("bad query "+q, func(t *testing.T) {
			resp, err := p.ListOrganizationsWithResponse(ctx, nil, func(_ context.Context, r *http.Request) error {
				r.URL.RawQuery = q
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			pr := expectProblem(t, resp, 400, "")
			if pr.Violations == nil || !strings.HasPrefix((*pr.Violations)[0].PropertyPath, "query.") {
				t.Fatalf("violation should name the query parameter: %s", resp.Body)
			}
		})
	}
}

func TestUpdateOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	created, err := p.CreateOrganizationWithResponse(ctx, nil, identity.OrganizationCreate{
		Name: "Acme", Phone: nullable.NewNullableWithValue("+49 1"), City: nullable.NewNullableWithValue("Bonn"),
		BankInfo: nullable.NewNullableWithValue(identity.BankInfo{Iban: nullable.NewNullableWithValue("DE89370400440532013000"), BankName: nullable.NewNullableWithValue("Musterbank")}),
	})
	if err != nil {
		t.Fatal(err)
	}
	id := created.JSON201.Id
	patch := func(t *testing.T, body string, etag string) *identity.UpdateOrganizationResponse {
		t.Helper()
		params := &identity.UpdateOrganizationParams{}
		if etag != "" {
			params.IfMatch = &etag
		}
		resp, err := p.UpdateOrganizationWithBodyWithResponse(ctx, id, params, "application/merge-patch+json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	t.Run("merge semantics", func(t *testing.T) {
		resp := patch(t, `{"city":"Berlin","phone":null,"bank_info":{"iban":null}}`, "")
		expectStatus(t, resp, 200)
		o := resp.JSON200
		if o.City.MustGet() != "Berlin" || !o.Phone.IsNull() || o.Name != "Acme" {
			t.Fatalf("got %s", resp.Body)
		}
		b := o.BankInfo.MustGet()
		if !b.Iban.IsNull() || b.BankName.MustGet() != "Musterbank" {
			t.Fatalf("nested merge wrong: %s", resp.Body)
		}
		resp = patch(t, `{"bank_info":null}`, "")
		expectStatus(t, resp, 200)
		if !resp.JSON200.BankInfo.IsNull() {
			t.Fatalf("bank_info should be cleared: %s", resp.Body)
		}
	})
	for _, tc := range []struct{ name, body, path string }{
		{"name null", `{"name":null}`, "name"},
		{"name empty", `{"name":""}`, "name"},
		{"is_active null", `{"is_active":null}`, "is_active"},
		{"read-only id", `{"id":"0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"}`, "id"},
		{"unknown member", `{"owner":"me"}`, "owner"},
		{"unknown nested member", `{"bank_info":{"pin":"1234"}}`, "bank_info.pin"},
		{"wrong type", `{"city":42}`, "city"},
		{"invalid country", `{"country_code":"ZZ"}`, "country_code"},
		{"invalid iban", `{"bank_info":{"iban":"GB00WEST12345698765432"}}`, "bank_info.iban"},
		{"array patch", `[1,2]`, ""},
		{"null patch", `null`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, patch(t, tc.body, ""), 422, tc.path)
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		expectProblem(t, patch(t, `{"city":`, ""), 400, "")
	})
	t.Run("wrong media type", func(t *testing.T) {
		resp, err := p.UpdateOrganizationWithBodyWithResponse(ctx, id, nil, "application/json", strings.NewReader(`{"city":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 415, "")
	})
	t.Run("If-Match", func(t *testing.T) {
		got, err := p.GetOrganizationWithResponse(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		etag := got.HTTPResponse.Header.Get("ETag")
		first := patch(t, `{"city":"Köln"}`, etag)
		expectStatus(t, first, 200)
		if first.HTTPResponse.Header.Get("ETag") == etag {
			t.Fatal("ETag did not change")
		}
		expectProblem(t, patch(t, `{"city":"Hamburg"}`, etag), 412, "")
		expectProblem(t, patch(t, `{"city":"Hamburg"}`, `"garbage`), 412, "")
		expectStatus(t, patch(t, `{"city":"Hamburg"}`, first.HTTPResponse.Header.Get("ETag")), 200)
	})
}

func TestDeleteOrganization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.partner("Acme")
	ctx := context.Background()
	org := p.org(t, "Acme")
	in := p.instance(t, org, "acme-del")
	resp, err := p.DeleteOrganizationWithResponse(ctx, org, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 409, "")
	del, err := p.DeleteInstanceWithResponse(ctx, org, in.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, del, 204)
	resp, err = p.DeleteOrganizationWithResponse(ctx, org, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 204)
	got, err := p.GetOrganizationWithResponse(ctx, org)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, got, 404, "")
}

func TestMembersAndPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	owner := e.partner("Owner")
	member := e.partner("Member")
	stranger := e.partner("Stranger")
	ctx := context.Background()
	org := owner.org(t, "Acme")
	owner.addMember(t, org, member.id, identity.Viewer)

	t.Run("a viewer reads but cannot write", func(t *testing.T) {
		got, err := member.GetOrganizationWithResponse(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, got, 200)
		upd, err := member.UpdateOrganizationWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, org, nil, identity.OrganizationPatch{City: nullable.NewNullableWithValue("x")})
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, upd, 403, "")
		if pr.MissingPermissions == nil || strings.Join(*pr.MissingPermissions, ",") != "identity:organizations.write" {
			t.Fatalf("missingPermissions = %v", pr.MissingPermissions)
		}
		ci, err := member.CreateInstanceWithResponse(ctx, org, nil, identity.InstanceCreate{Name: "x", Handle: "viewer-made"})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, ci, 403, "")
	})
	t.Run("promotion to editor allows instances", func(t *testing.T) {
		resp, err := owner.PutMemberWithResponse(ctx, org, member.id, identity.MemberWrite{Role: identity.Editor})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		member.instance(t, org, "editor-made")
	})
	t.Run("an admin cannot grant ownership", func(t *testing.T) {
		owner.addMember(t, org, member.id, identity.Admin)
		resp, err := member.PutMemberWithResponse(ctx, org, stranger.id, identity.MemberWrite{Role: identity.Owner})
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, resp, 403, "")
		if pr.MissingPermissions == nil || (*pr.MissingPermissions)[0] != "identity:members.owners" {
			t.Fatalf("missingPermissions = %v", pr.MissingPermissions)
		}
		dm, err := member.DeleteMemberWithResponse(ctx, org, owner.id)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, dm, 403, "")
	})
	t.Run("the last owner stays", func(t *testing.T) {
		resp, err := owner.PutMemberWithResponse(ctx, org, owner.id, identity.MemberWrite{Role: identity.Admin})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 409, "")
		dm, err := owner.DeleteMemberWithResponse(ctx, org, owner.id)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, dm, 409, "")
	})
	t.Run("unknown partner", func(t *testing.T) {
		resp, err := owner.PutMemberWithResponse(ctx, org, stranger.id, identity.MemberWrite{Role: "emperor"})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "role")
		resp, err = owner.PutMemberWithResponse(ctx, org, org, identity.MemberWrite{Role: identity.Viewer})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 404, "")
	})
	t.Run("members may leave", func(t *testing.T) {
		dm, err := member.DeleteMemberWithResponse(ctx, org, member.id)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, dm, 204)
		got, err := member.GetOrganizationWithResponse(ctx, org)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, got, 404, "")
	})
	t.Run("roles catalogue", func(t *testing.T) {
		resp, err := stranger.ListRolesWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if len(resp.JSON200.Items) != 4 || resp.JSON200.Items[0].Name != identity.Owner {
			t.Fatalf("roles = %s", resp.Body)
		}
	})
}

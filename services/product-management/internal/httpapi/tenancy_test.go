package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/apitest"
	"github.com/flowkiwi/platform/pkg/clients/identity"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

// endpoints calls every operation on the resources of one product, as c.
func endpoints(p pm.Product, variant, option, value pm.Id) map[string]func(c *pm.ClientWithResponses) (apitest.Response, error) {
	ctx := context.Background()
	patch := func() *strings.Reader { return strings.NewReader(`{}`) }
	return map[string]func(c *pm.ClientWithResponses) (apitest.Response, error){
		"get product": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.GetProductWithResponse(ctx, p.Id, nil)
		},
		"list products": func(c *pm.ClientWithResponses) (apitest.Response, error) { return c.ListProductsWithResponse(ctx, nil) },
		"create product": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{})
		},
		"patch product": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", patch())
		},
		"delete product": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.DeleteProductWithResponse(ctx, p.Id, nil)
		},
		"list variants": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.ListProductVariantsWithResponse(ctx, p.Id, nil)
		},
		"create variant": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.CreateProductVariantWithResponse(ctx, p.Id, nil, pm.VariantCreate{Sku: "X"})
		},
		"get variant": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.GetVariantWithResponse(ctx, variant, nil)
		},
		"patch variant": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.UpdateVariantWithBodyWithResponse(ctx, variant, nil, "application/merge-patch+json", patch())
		},
		"delete variant": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.DeleteVariantWithResponse(ctx, variant, nil)
		},
		"get option": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.GetProductOptionWithResponse(ctx, option, nil)
		},
		"patch option": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.UpdateProductOptionWithBodyWithResponse(ctx, option, nil, "application/merge-patch+json", patch())
		},
		"get option value": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.GetOptionValueWithResponse(ctx, value, nil)
		},
		"patch option value": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.UpdateOptionValueWithBodyWithResponse(ctx, value, nil, "application/merge-patch+json", patch())
		},
		"add option": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.CreateProductOptionWithResponse(ctx, p.Id, nil, pm.OptionInput{Name: "Color", Values: []string{"Red"}})
		},
		"delete option": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.DeleteProductOptionWithResponse(ctx, option, nil)
		},
		"add option value": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.CreateOptionValueWithResponse(ctx, option, nil, pm.OptionValueCreate{Value: "XXXL"})
		},
		"delete option value": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.DeleteOptionValueWithResponse(ctx, value, nil)
		},
		"list statuses": func(c *pm.ClientWithResponses) (apitest.Response, error) { return c.ListStatusesWithResponse(ctx, nil) },
		"get status": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.GetStatusWithResponse(ctx, "draft", nil)
		},
		"list locales": func(c *pm.ClientWithResponses) (apitest.Response, error) { return c.ListLocalesWithResponse(ctx, nil) },
		"get locale": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.GetLocaleWithResponse(ctx, "en", nil)
		},
		"create locale": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.CreateLocaleWithResponse(ctx, nil, pm.LocaleCreate{Code: "fr"})
		},
		"patch locale": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.UpdateLocaleWithBodyWithResponse(ctx, "en", nil, "application/merge-patch+json", patch())
		},
		"delete locale": func(c *pm.ClientWithResponses) (apitest.Response, error) {
			return c.DeleteLocaleWithResponse(ctx, "fr", nil)
		},
	}
}

func graph(t *testing.T, c *pm.ClientWithResponses, p pm.Product) (variant, option, value pm.Id) {
	t.Helper()
	resp, err := c.GetProductWithResponse(context.Background(), p.Id, &pm.GetProductParams{Expand: ptr("options,optionValues")})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := resp.ApplicationldJSON200.Options[0].AsProductOption()
	v, _ := o.Values[0].AsOptionValue()
	viri, _ := p.Variants[0].AsIri()
	return idOf(viri), o.Id, v.Id
}

// TestOtherTenantsAndOrganizationsSeeNothing calls every endpoint on one tenant's data as callers
// who must not see it: the answer is always 404 and the data stays.
func TestOtherTenantsAndOrganizationsSeeNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := w.create(t, w.c, tshirt("MINE", 2))
	variant, option, value := graph(t, w.c, p)

	// Another partner with its own organization and instance.
	other := w.id.Partner("Other")
	otherOrg := other.Org(t, "Other Inc")
	other.Instance(t, otherOrg, "other-shop")
	// The owner's second organization, which does not own acme-eu.
	secondOrg := w.owner.Org(t, "Acme Two")
	w.owner.Instance(t, secondOrg, "acme-two")

	// What the owner sees of the product, byte for byte: no outsider's call may change it.
	snapshot := func() string {
		t.Helper()
		resp, err := w.c.GetProductWithResponse(context.Background(), p.Id, &pm.GetProductParams{Expand: ptr("variants,options,optionValues")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		return resp.HTTPResponse.Header.Get("ETag") + " " + string(resp.Body)
	}
	before := snapshot()
	// Operations on the caller's own tenant as a whole; every other one names our data.
	ownTenant := map[string]bool{"list products": true, "create product": true, "list statuses": true, "get status": true,
		"list locales": true, "get locale": true, "create locale": true, "patch locale": true, "delete locale": true}

	callers := map[string]*pm.ClientWithResponses{
		"other tenant's host, other partner":       w.pm.Client(other, "other-shop", otherOrg),
		"own tenant's host, foreign organization":  w.pm.Client(other, w.handle, otherOrg),
		"foreign partner claiming the owner's org": w.pm.Client(other, w.handle, w.org),
		"same partner, organization not the owner": w.pm.Client(w.owner, w.handle, secondOrg),
		"same partner, other instance's host":      w.pm.Client(w.owner, "acme-two", secondOrg),
		"unknown handle":                           w.pm.Client(w.owner, "no-such-shop", w.org),
	}
	for who, c := range callers {
		for name, call := range endpoints(p, variant, option, value) {
			t.Run(who+"/"+name, func(t *testing.T) {
				resp, err := call(c)
				if err != nil {
					t.Fatal(err)
				}
				// Collection endpoints of the caller's own tenant answer 200 with nothing of ours;
				// creates there succeed in their own tenant; everything else is 404.
				switch resp.StatusCode() {
				case 404:
				case 200, 201, 204, 409, 422:
					if !ownTenant[name] || !strings.HasSuffix(who, "other partner") && !strings.HasSuffix(who, "other instance's host") {
						t.Fatalf("%s answered %d: %s", name, resp.StatusCode(), body(resp))
					}
					if strings.Contains(body(resp), p.Id.String()) {
						t.Fatalf("another tenant saw our product: %s", body(resp))
					}
				default:
					t.Fatalf("status %d: %s", resp.StatusCode(), body(resp))
				}
			})
		}
	}
	if after := snapshot(); after != before {
		t.Fatalf("our product changed:\n%s\n%s", before, after)
	}
}

func TestRequestIdentification(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		c      *pm.ClientWithResponses
		status int
		path   string
	}{
		{"no token", w.pm.Client(nil, w.handle, w.org), 401, ""},
		{"garbage token", w.pm.Client(nil, w.handle, w.org, func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer abc.def.ghi")
			return nil
		}), 401, ""},
		{"no organization header", w.pm.Client(w.owner, w.handle, uuid.Nil), 400, "header.X-Flowkiwi-Organization-Id"},
		{"malformed organization header", w.pm.Client(w.owner, w.handle, uuid.Nil, func(_ context.Context, r *http.Request) error {
			r.Header.Set("X-Flowkiwi-Organization-Id", "acme")
			return nil
		}), 400, "header.X-Flowkiwi-Organization-Id"},
		{"host outside the base domain", w.pm.Client(w.owner, w.handle, w.org, func(_ context.Context, r *http.Request) error {
			r.Host = "acme-eu.example.com"
			return nil
		}), 404, ""},
		{"host with a nested label", w.pm.Client(w.owner, "x.acme-eu", w.org), 404, ""},
		{"host outside the base domain, with a port", w.pm.Client(w.owner, w.handle, w.org, func(_ context.Context, r *http.Request) error {
			r.Host = "acme-eu.example.com:8081"
			return nil
		}), 404, ""},
		{"malformed handle", w.pm.Client(w.owner, "ACME_EU", w.org), 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.c.ListProductsWithResponse(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			pr := expectProblem(t, resp, tc.status, tc.path)
			if tc.status == 401 && !strings.HasPrefix(resp.HTTPResponse.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Fatal("no WWW-Authenticate challenge")
			}
			// The hint gives the address that works where it is read: the scheme and port it came by.
			if tc.name == "host outside the base domain" {
				if want := "http://{handle}." + testenv.BaseDomain + " "; pr.Detail == nil || !strings.Contains(*pr.Detail+" ", want) {
					t.Fatalf("hint %v, want it to give %s", pr.Detail, want)
				}
			}
			if tc.name == "host outside the base domain, with a port" {
				if want := "http://{handle}." + testenv.BaseDomain + ":8081"; pr.Detail == nil || !strings.Contains(*pr.Detail, want) {
					t.Fatalf("hint %v, want it to give %s", pr.Detail, want)
				}
			}
		})
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("PERM", 1))
	viewer := w.id.Partner("Viewer")
	resp, err := w.owner.Identity.PutMemberWithResponse(ctx, w.org, viewer.ID, identity.MemberWrite{Role: identity.Viewer})
	if err != nil || resp.StatusCode() != 201 {
		t.Fatalf("add viewer: %v %s", err, body(resp))
	}
	c := w.pm.Client(viewer, w.handle, w.org)
	got, err := c.GetProductWithResponse(ctx, p.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, got, 200)
	for name, call := range map[string]func() (apitest.Response, error){
		"create": func() (apitest.Response, error) { return c.CreateProductWithResponse(ctx, nil, tshirt("V", 1)) },
		"patch": func() (apitest.Response, error) {
			return c.UpdateProductWithBodyWithResponse(ctx, p.Id, nil, "application/merge-patch+json", strings.NewReader(`{"title":"x"}`))
		},
		"delete": func() (apitest.Response, error) { return c.DeleteProductWithResponse(ctx, p.Id, nil) },
		"enable locale": func() (apitest.Response, error) {
			return c.CreateLocaleWithResponse(ctx, nil, pm.LocaleCreate{Code: "de"})
		},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := call()
			if err != nil {
				t.Fatal(err)
			}
			pr := expectProblem(t, resp, 403, "")
			if pr.MissingPermissions == nil || strings.Join(*pr.MissingPermissions, ",") != "identity:products.write" {
				t.Fatalf("missingPermissions = %v", pr.MissingPermissions)
			}
		})
	}
}

// TestTransferRevokesAccess: after a transfer the old organization loses access within 5 seconds,
// and the new one gains it.
func TestTransferRevokesAccess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.create(t, w.c, tshirt("MOVE", 1))
	target := w.owner.Org(t, "Acme Holding")
	list := func(c *pm.ClientWithResponses) int {
		resp, err := c.ListProductsWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode()
	}
	if s := list(w.c); s != 200 {
		t.Fatalf("before transfer: %d", s)
	}
	instances, err := w.owner.Identity.ListInstancesWithResponse(ctx, w.org, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := w.owner.Identity.TransferInstanceWithResponse(ctx, w.org, instances.JSON200.Items[0].Id, nil, identity.TransferRequest{TargetOrganizationId: target})
	if err != nil || tr.StatusCode() != 200 {
		t.Fatalf("transfer: %v %s", err, body(tr))
	}
	start := time.Now()
	for list(w.c) != 404 {
		if time.Since(start) > 5*time.Second {
			t.Fatal("the old organization still has access 5 s after the transfer")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("access revoked after %v", time.Since(start).Round(time.Millisecond))
	if s := list(w.pm.Client(w.owner, w.handle, target)); s != 200 {
		t.Fatalf("the new owner gets %d", s)
	}
}

// TestIdentityDownFailsClosed: without identity and without a fresh cached answer, requests get
// 503 with Retry-After, never 200 and never 500.
func TestIdentityDownFailsClosed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	second := w.owner.Org(t, "Second")
	w.owner.Instance(t, second, "second-shop")
	w.id.Stop()
	resp, err := w.pm.Client(w.owner, "second-shop", second).ListProductsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 503, "")
	if resp.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	w.id.Start()
	resp, err = w.pm.Client(w.owner, "second-shop", second).ListProductsWithResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 200)
}

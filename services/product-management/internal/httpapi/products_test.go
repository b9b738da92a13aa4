package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func TestProductLifecycle(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	created := w.create(t, w.c, tshirt("TS", 3))
	if created.Status != "/rest/api/statuses/draft" || created.LdID != "/rest/api/products/"+created.Id.String() || created.LdType != "Product" {
		t.Fatalf("created = %+v", created)
	}
	if len(created.Variants) != 3 || len(created.Options) != 1 || created.Tags.MustGet() != "summer,cotton" {
		t.Fatalf("created = %+v", created)
	}
	if iri, err := created.Variants[0].AsIri(); err != nil || !strings.HasPrefix(iri, "/rest/api/variants/") {
		t.Fatalf("variants should be IRIs without expand: %v", err)
	}

	t.Run("a read shows what the create answered", func(t *testing.T) {
		resp, err := w.c.GetProductWithResponse(ctx, created.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if diff := cmp.Diff(document(t, created), document(t, resp.ApplicationldJSON200)); diff != "" {
			t.Fatalf("read (-created +read):\n%s", diff)
		}
	})
	t.Run("expanded read", func(t *testing.T) {
		resp, err := w.c.GetProductWithResponse(ctx, created.Id, &pm.GetProductParams{Expand: ptr("variants,options,optionValues,bogus")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		p := resp.ApplicationldJSON200
		v, err := p.Variants[1].AsVariant()
		if err != nil || v.Sku != "TS-S" {
			t.Fatalf("variant 1 = %+v %v", v, err)
		}
		ov, err := v.OptionValues[0].AsOptionValue()
		if err != nil || ov.Value.MustGet() != "S" {
			t.Fatalf("option value = %+v %v", ov, err)
		}
		o, err := p.Options[0].AsProductOption()
		if err != nil || o.Name.MustGet() != "Size" || len(o.Values) != 3 {
			t.Fatalf("option = %+v %v", o, err)
		}
	})
	t.Run("merge patch", func(t *testing.T) {
		resp, err := w.c.UpdateProductWithBodyWithResponse(ctx, created.Id, nil, "application/merge-patch+json",
			strings.NewReader(`{"title":"Tee","vendor":null,"status":"/rest/api/statuses/active","tags":"a,b,a"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		p := resp.ApplicationldJSON200
		if p.Title.MustGet() != "Tee" || !p.Vendor.IsNull() || p.Status != "/rest/api/statuses/active" || p.Tags.MustGet() != "a,b" {
			t.Fatalf("patched = %s", resp.Body)
		}
		if !p.UpdatedAt.After(created.UpdatedAt) {
			t.Fatal("updatedAt did not move")
		}
	})
	t.Run("delete removes variants and options", func(t *testing.T) {
		v, _ := created.Variants[0].AsIri()
		o, _ := created.Options[0].AsIri()
		resp, err := w.c.DeleteProductWithResponse(ctx, created.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 204)
		got, err := w.c.GetProductWithResponse(ctx, created.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, got, 404, "")
		vr, err := w.c.GetVariantWithResponse(ctx, idOf(v), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, vr, 404, "")
		or, err := w.c.GetProductOptionWithResponse(ctx, idOf(o), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, or, 404, "")
	})
}

func TestCreateProductValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.create(t, w.c, tshirt("TAKEN", 1))
	tooManyVariants := make([]pm.VariantCreate, 2049)
	for i := range tooManyVariants {
		tooManyVariants[i] = pm.VariantCreate{Sku: fmt.Sprintf("V%d", i)}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*pm.ProductCreate)
		path   string
	}{
		{"unknown status", func(p *pm.ProductCreate) { p.Status = ptr("/rest/api/statuses/deleted") }, "status"},
		{"four options", func(p *pm.ProductCreate) {
			p.Options = &[]pm.OptionInput{{Name: "a", Values: []string{"1"}}, {Name: "b", Values: []string{"1"}}, {Name: "c", Values: []string{"1"}}, {Name: "d", Values: []string{"1"}}}
			p.Variants = nil
		}, "options"},
		{"duplicate option name", func(p *pm.ProductCreate) {
			p.Options = &[]pm.OptionInput{{Name: "Size", Values: []string{"S"}}, {Name: "size", Values: []string{"M"}}}
			p.Variants = nil
		}, "options[1].name"},
		{"duplicate value", func(p *pm.ProductCreate) { (*p.Options)[0].Values = []string{"S", "s"}; p.Variants = nil }, "options[0].values[1]"},
		{"duplicate SKU in body", func(p *pm.ProductCreate) { (*p.Variants)[1].Sku = (*p.Variants)[0].Sku }, "variants[1].sku"},
		{"same combination twice", func(p *pm.ProductCreate) {
			(*p.Variants)[1].OptionValues = &[]pm.OptionValueReference{selector("Size", "XS")}
		}, "variants[1].optionValues"},
		{"unknown option", func(p *pm.ProductCreate) {
			(*p.Variants)[0].OptionValues = &[]pm.OptionValueReference{selector("Colour", "Red")}
		}, "variants[0].optionValues[0].option"},
		{"unknown value", func(p *pm.ProductCreate) {
			(*p.Variants)[0].OptionValues = &[]pm.OptionValueReference{selector("Size", "XXXL")}
		}, "variants[0].optionValues[0].value"},
		{"missing option value", func(p *pm.ProductCreate) { (*p.Variants)[0].OptionValues = nil }, "variants[0].optionValues"},
		{"251 tags", func(p *pm.ProductCreate) {
			tags := make([]string, 251)
			for i := range tags {
				tags[i] = fmt.Sprint("t", i)
			}
			p.Tags = some(strings.Join(tags, ","))
		}, "tags"},
		{"2049 variants", func(p *pm.ProductCreate) { p.Options = nil; p.Variants = &tooManyVariants }, "variants"},
		{"empty SKU", func(p *pm.ProductCreate) { (*p.Variants)[0].Sku = "" }, "variants[0].sku"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tshirt("NEW", 2)
			tc.mutate(&p)
			resp, err := w.c.CreateProductWithResponse(ctx, nil, p)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, tc.path)
		})
	}
	t.Run("SKU used by another product", func(t *testing.T) {
		p := tshirt("NEW", 2)
		(*p.Variants)[1].Sku = "TAKEN-XS"
		resp, err := w.c.CreateProductWithResponse(ctx, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		expectConflict(t, resp, "variants[1].sku", `"TAKEN-XS"`)
	})
	t.Run("a rejected body leaves no trace", func(t *testing.T) {
		resp, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if *resp.ApplicationldJSON200.TotalItems != 1 {
			t.Fatalf("%d products, want only the first", *resp.ApplicationldJSON200.TotalItems)
		}
	})
	t.Run("unknown properties", func(t *testing.T) {
		resp, err := w.c.CreateProductWithBodyWithResponse(ctx, nil, "application/ld+json", strings.NewReader(`{"title":"x","price":3}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "price")
	})
	t.Run("JSON-LD problem members", func(t *testing.T) {
		resp, err := w.c.CreateProductWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"status":"nope"}`))
		if err != nil {
			t.Fatal(err)
		}
		p := expectProblem(t, resp, 422, "status")
		if p.LdType == nil || *p.LdType != "ConstraintViolation" || p.LdContext == nil {
			t.Fatalf("problem = %s", resp.Body)
		}
	})
}

func idOf(iri string) pm.Id {
	var id pm.Id
	_ = id.UnmarshalText([]byte(iri[strings.LastIndexByte(iri, '/')+1:]))
	return id
}

func TestVariants(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.create(t, w.c, pm.ProductCreate{Title: some("Mug"), Options: &[]pm.OptionInput{{Name: "Colour", Values: []string{"Red", "Blue"}}, {Name: "Size", Values: []string{"S", "L"}}},
		Variants: &[]pm.VariantCreate{{Sku: "MUG-RS", OptionValues: &[]pm.OptionValueReference{selector("Colour", "Red"), selector("Size", "S")}}}})
	opts, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{Expand: ptr("options,optionValues")})
	if err != nil {
		t.Fatal(err)
	}
	colour, _ := opts.ApplicationldJSON200.Options[0].AsProductOption()
	blue, _ := colour.Values[1].AsOptionValue()

	var created pm.Variant
	t.Run("by IRI and by name", func(t *testing.T) {
		resp, err := w.c.CreateProductVariantWithResponse(ctx, p.Id, nil, pm.VariantCreate{Sku: "MUG-BL",
			OptionValues: &[]pm.OptionValueReference{iriRef(blue.LdID), selector("size", "l")}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		created = *resp.ApplicationldJSON201
		if created.Position != 1 || created.Product != p.LdID || len(created.OptionValues) != 2 {
			t.Fatalf("variant = %s", resp.Body)
		}
	})
	for _, tc := range []struct {
		name   string
		in     pm.VariantCreate
		status int
		path   string // a violation's path (422), or a field the detail names (409)
	}{
		{"taken SKU", pm.VariantCreate{Sku: "MUG-RS", OptionValues: &[]pm.OptionValueReference{selector("Colour", "Blue"), selector("Size", "S")}}, 409, `sku: the SKU "MUG-RS"`},
		{"taken combination", pm.VariantCreate{Sku: "MUG-X", OptionValues: &[]pm.OptionValueReference{selector("Colour", "Red"), selector("Size", "S")}}, 409, "optionValues"},
		{"two values of one option", pm.VariantCreate{Sku: "MUG-Y", OptionValues: &[]pm.OptionValueReference{selector("Colour", "Red"), selector("Colour", "Blue")}}, 422, "optionValues[1]"},
		{"value of another product", pm.VariantCreate{Sku: "MUG-Z", OptionValues: &[]pm.OptionValueReference{iriRef("/rest/api/option_values/0b7f4c43-94c2-4f6c-9a1c-1f7a3d6b8e21"), selector("Size", "S")}}, 422, "optionValues[0]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := w.c.CreateProductVariantWithResponse(ctx, p.Id, nil, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.status == 409 {
				expectConflict(t, resp, tc.path)
				return
			}
			expectProblem(t, resp, tc.status, tc.path)
		})
	}
	t.Run("patch", func(t *testing.T) {
		resp, err := w.c.UpdateVariantWithBodyWithResponse(ctx, created.Id, nil, "application/merge-patch+json", strings.NewReader(`{"barcode":"4006381333931","title":"Blue large"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if resp.ApplicationldJSON200.Barcode.MustGet() != "4006381333931" || resp.ApplicationldJSON200.Sku != "MUG-BL" {
			t.Fatalf("variant = %s", resp.Body)
		}
		resp, err = w.c.UpdateVariantWithBodyWithResponse(ctx, created.Id, nil, "application/merge-patch+json", strings.NewReader(`{"sku":"MUG-RS"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectConflict(t, resp, `sku: the SKU "MUG-RS"`)
	})
	t.Run("list", func(t *testing.T) {
		resp, err := w.c.ListProductVariantsWithResponse(ctx, p.Id, &pm.ListProductVariantsParams{ItemsPerPage: ptr(1), Page: ptr(2)})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if resp.ApplicationldJSON200.TotalItems != 2 || len(resp.ApplicationldJSON200.Member) != 1 || resp.ApplicationldJSON200.Member[0].Sku != "MUG-BL" {
			t.Fatalf("list = %s", resp.Body)
		}
	})
	t.Run("delete", func(t *testing.T) {
		resp, err := w.c.DeleteVariantWithResponse(ctx, created.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 204)
		again, err := w.c.DeleteVariantWithResponse(ctx, created.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, again, 404, "")
	})
}

func TestProductList(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	for i := range 7 {
		p := tshirt(fmt.Sprintf("L%d", i), 1)
		if i%2 == 0 {
			p.Status = ptr("active")
			p.Vendor = some("Globex")
		}
		w.create(t, w.c, p)
	}
	count := func(t *testing.T, params pm.ListProductsParams) *pm.ProductCollection {
		t.Helper()
		resp, err := w.c.ListProductsWithResponse(ctx, &params)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		return resp.ApplicationldJSON200
	}
	asc, desc := pm.Asc, pm.Desc
	for _, tc := range []struct {
		name   string
		params pm.ListProductsParams
		total  int
		first  string
	}{
		{"all", pm.ListProductsParams{}, 7, "T-shirt L0"},
		{"status", pm.ListProductsParams{Status: ptr("/rest/api/statuses/active")}, 4, "T-shirt L0"},
		{"vendor", pm.ListProductsParams{Vendor: ptr("Globex")}, 4, "T-shirt L0"},
		{"title", pm.ListProductsParams{Title: ptr("shirt l3")}, 1, "T-shirt L3"},
		{"tags", pm.ListProductsParams{Tags: ptr("winter,cotton")}, 7, "T-shirt L0"},
		{"no tag match", pm.ListProductsParams{Tags: ptr("winter")}, 0, ""},
		{"newest first", pm.ListProductsParams{OrderCreatedAt: &desc}, 7, "T-shirt L6"},
		{"by title", pm.ListProductsParams{OrderTitle: &asc, ItemsPerPage: ptr(2), Page: ptr(2)}, 7, "T-shirt L2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := count(t, tc.params)
			if *c.TotalItems != tc.total {
				t.Fatalf("totalItems = %d, want %d", *c.TotalItems, tc.total)
			}
			if tc.total > 0 && c.Member[0].Title.MustGet() != tc.first {
				t.Fatalf("first = %s, want %s", c.Member[0].Title.MustGet(), tc.first)
			}
		})
	}
	t.Run("page links", func(t *testing.T) {
		c := count(t, pm.ListProductsParams{ItemsPerPage: ptr(3), Page: ptr(2)})
		if c.View.Next == nil || !strings.Contains(*c.View.Next, "page=3") || c.View.Previous == nil || c.View.Last == nil || !strings.Contains(*c.View.Last, "page=3") {
			t.Fatalf("view = %+v", c.View)
		}
	})
	t.Run("cursor walk visits everything once", func(t *testing.T) {
		seen := map[string]bool{}
		params := pm.ListProductsParams{ItemsPerPage: ptr(3), Cursor: ptr("first")}
		for pages := 0; pages < 10; pages++ {
			c := count(t, params)
			if c.TotalItems != nil {
				t.Fatal("a cursor page should not count")
			}
			for _, m := range c.Member {
				if seen[m.Id.String()] {
					t.Fatalf("%s seen twice", m.Id)
				}
				seen[m.Id.String()] = true
			}
			if c.View.Next == nil {
				break
			}
			next := *c.View.Next
			i := strings.Index(next, "cursor=")
			if i < 0 {
				t.Fatalf("expected a cursor link, got %s", next)
			}
			cur := next[i+len("cursor="):]
			if j := strings.IndexByte(cur, '&'); j >= 0 {
				cur = cur[:j]
			}
			params.Cursor = &cur
		}
		if len(seen) != 7 {
			t.Fatalf("walked %d products, want 7", len(seen))
		}
	})
}

var _ = http.StatusOK

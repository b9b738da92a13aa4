package httpapi_test

import (
	"context"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

// TestOptionsChangeAfterCreation: options and values are added and removed after a product
// exists, and its variants always keep one value per option and stay distinct.
func TestOptionsChangeAfterCreation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := w.create(t, w.c, tshirt("OPT", 2)) // Size: XS, S; variants OPT-XS, OPT-S
	read := func(t *testing.T) pm.Product {
		t.Helper()
		resp, err := w.c.GetProductWithResponse(ctx, p.Id, &pm.GetProductParams{Expand: ptr("variants,options,optionValues")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		return *resp.ApplicationldJSON200
	}
	// labels returns each variant's option value labels, in option order.
	labels := func(t *testing.T, p pm.Product) [][]string {
		t.Helper()
		var out [][]string
		for _, x := range p.Variants {
			v, err := x.AsVariant()
			if err != nil {
				t.Fatal(err)
			}
			var ls []string
			for _, ov := range v.OptionValues {
				val, err := ov.AsOptionValue()
				if err != nil {
					t.Fatal(err)
				}
				ls = append(ls, val.Value.MustGet())
			}
			out = append(out, ls)
		}
		return out
	}
	var color pm.ProductOption

	t.Run("a new option gives existing variants its first value", func(t *testing.T) {
		resp, err := w.c.CreateProductOptionWithResponse(ctx, p.Id, nil, pm.OptionInput{Name: "Color", Values: []string{"Red", "Blue"}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		color = *resp.ApplicationldJSON201
		if color.Position != 1 || len(color.Values) != 2 {
			t.Fatalf("option = %s", resp.Body)
		}
		got := labels(t, read(t))
		if len(got) != 2 || got[0][1] != "Red" || got[1][1] != "Red" {
			t.Fatalf("variants' values = %v", got)
		}
		// A variant with the other color is a new combination.
		v, err := w.c.CreateProductVariantWithResponse(ctx, p.Id, nil, pm.VariantCreate{Sku: "OPT-XS-BLUE",
			OptionValues: &[]pm.OptionValueReference{selector("Size", "XS"), selector("Color", "Blue")}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, v, 201)
		dup, err := w.c.CreateProductVariantWithResponse(ctx, p.Id, nil, pm.VariantCreate{Sku: "OPT-XS-RED",
			OptionValues: &[]pm.OptionValueReference{selector("Color", "Red"), selector("Size", "XS")}})
		if err != nil {
			t.Fatal(err)
		}
		expectConflict(t, dup, "optionValues", "combination")
	})

	t.Run("bad options are refused", func(t *testing.T) {
		for _, tc := range []struct {
			in   pm.OptionInput
			path string
		}{
			{pm.OptionInput{Name: "size", Values: []string{"M"}}, "name"},
			{pm.OptionInput{Name: "Fabric", Values: []string{"Linen", "linen"}}, "values[1]"},
		} {
			resp, err := w.c.CreateProductOptionWithResponse(ctx, p.Id, nil, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, tc.path)
		}
		third, err := w.c.CreateProductOptionWithResponse(ctx, p.Id, nil, pm.OptionInput{Name: "Fit", Values: []string{"Slim"}})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, third, 201)
		fourth, err := w.c.CreateProductOptionWithResponse(ctx, p.Id, nil, pm.OptionInput{Name: "Sleeve", Values: []string{"Long"}})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, fourth, 422, "")
		// Every variant has the one Fit value: the option can go, and the variants stay distinct.
		del, err := w.c.DeleteProductOptionWithResponse(ctx, third.ApplicationldJSON201.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
		if got := labels(t, read(t)); len(got) != 3 || len(got[0]) != 2 {
			t.Fatalf("after removing Fit: %v", got)
		}
	})

	t.Run("values are added, and removed while unused", func(t *testing.T) {
		add, err := w.c.CreateOptionValueWithResponse(ctx, color.Id, nil, pm.OptionValueCreate{Value: "Green"})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, add, 201)
		dup, err := w.c.CreateOptionValueWithResponse(ctx, color.Id, nil, pm.OptionValueCreate{Value: "green"})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, dup, 422, "value")
		red, _ := color.Values[0].AsIri()
		inUse, err := w.c.DeleteOptionValueWithResponse(ctx, idOf(red), nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, inUse, 409, "")
		unused, err := w.c.DeleteOptionValueWithResponse(ctx, add.ApplicationldJSON201.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, unused, 204)
		// Colors now differ between variants: Color cannot go.
		del, err := w.c.DeleteProductOptionWithResponse(ctx, color.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, del, 409, "")
		if got := read(t); len(got.Options) != 2 || len(got.Variants) != 3 {
			t.Fatalf("a refused change changed the product: %d options, %d variants", len(got.Options), len(got.Variants))
		}
	})

	t.Run("reordered options keep combinations unique", func(t *testing.T) {
		size, err := read(t).Options[0].AsProductOption()
		if err != nil || size.Name.MustGet() != "Size" {
			t.Fatalf("first option: %+v %v", size, err)
		}
		// Size moves after Color: variants stored before the move must still clash with new ones.
		resp, err := w.c.UpdateProductOptionWithApplicationMergePatchPlusJSONBodyWithResponse(ctx, size.Id, nil, pm.ProductOptionPatch{Position: ptr(5)})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		dup, err := w.c.CreateProductVariantWithResponse(ctx, p.Id, nil, pm.VariantCreate{Sku: "OPT-S-RED-AGAIN",
			OptionValues: &[]pm.OptionValueReference{selector("Size", "S"), selector("Color", "Red")}})
		if err != nil {
			t.Fatal(err)
		}
		expectConflict(t, dup, "optionValues", "combination")
	})
}

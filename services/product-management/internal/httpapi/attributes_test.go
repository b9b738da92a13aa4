package httpapi_test

import (
	"context"
	"strings"
	"testing"

	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
)

func TestAttributesAndCategories(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	attr := func(code string, typ pm.AttributeType, required bool, options ...string) pm.Attribute {
		t.Helper()
		var opts *[]string
		if len(options) > 0 {
			opts = &options
		}
		resp, err := w.c.CreateAttributeWithResponse(ctx, nil, pm.AttributeCreate{Code: code, Type: typ, Required: &required, Options: opts, Name: some(code)})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		return *resp.ApplicationldJSON201
	}
	material := attr("material", pm.AttributeTypeSelect, true, "cotton", "wool")
	weight := attr("weight", pm.AttributeTypeNumber, false)
	release := attr("release", pm.AttributeTypeDate, false)
	care := attr("care", pm.AttributeTypeMultiselect, false, "wash", "iron")
	unrelated := attr("voltage", pm.AttributeTypeNumber, false)

	category := func(handle string, parent *string, attrs ...pm.Attribute) pm.Category {
		t.Helper()
		iris := []string{}
		for _, a := range attrs {
			iris = append(iris, a.LdID)
		}
		body := pm.CategoryCreate{Handle: handle, Name: some(handle), Attributes: &iris}
		if parent != nil {
			body.Parent = some(*parent)
		}
		resp, err := w.c.CreateCategoryWithResponse(ctx, nil, body)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 201)
		return *resp.ApplicationldJSON201
	}
	clothing := category("clothing", nil, material, care)
	shirts := category("shirts", &clothing.LdID, weight, release)

	t.Run("a cycle is refused", func(t *testing.T) {
		resp, err := w.c.UpdateCategoryWithBodyWithResponse(ctx, clothing.Id, nil, "application/merge-patch+json", strings.NewReader(`{"parent":"`+shirts.LdID+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "parent")
	})
	value := func(a pm.Attribute, v any) pm.AttributeValue { return pm.AttributeValue{Attribute: a.LdID, Value: v} }
	t.Run("values are checked against the inherited set and the types", func(t *testing.T) {
		resp, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: some("x"), Category: some(shirts.LdID),
			AttributeValues: &[]pm.AttributeValue{value(material, "cotton"), value(unrelated, 230), value(weight, "heavy"),
				value(release, "2026-13-01"), value(care, []any{"wash", "dryclean"}), value(material, "wool")}})
		if err != nil {
			t.Fatal(err)
		}
		pr := expectProblem(t, resp, 422, "attributeValues[1].attribute")
		for _, path := range []string{"attributeValues[2].value", "attributeValues[3].value", "attributeValues[4].value", "attributeValues[5].attribute"} {
			found := false
			for _, v := range *pr.Violations {
				found = found || v.PropertyPath == path
			}
			if !found {
				t.Errorf("no violation at %s: %s", path, resp.Body)
			}
		}
	})
	t.Run("required attributes when active", func(t *testing.T) {
		resp, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: some("x"), Status: ptr("active"), Category: some(shirts.LdID),
			AttributeValues: &[]pm.AttributeValue{value(weight, 180)}})
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, resp, 422, "attributeValues")
	})
	var product pm.Product
	t.Run("a valid product", func(t *testing.T) {
		product = w.create(t, w.c, pm.ProductCreate{Title: some("Shirt"), Category: some(shirts.LdID),
			AttributeValues: &[]pm.AttributeValue{value(weight, 180.5), value(release, "2026-05-01"), value(care, []any{"wash"})}})
		patch, err := w.c.UpdateProductWithBodyWithResponse(ctx, product.Id, nil, "application/merge-patch+json", strings.NewReader(`{"status":"active"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, patch, 422, "attributeValues")
		patch, err = w.c.UpdateProductWithBodyWithResponse(ctx, product.Id, nil, "application/merge-patch+json",
			strings.NewReader(`{"status":"active","attributeValues":[{"attribute":"`+material.LdID+`","value":"wool"},{"attribute":"`+weight.LdID+`","value":200}]}`))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, patch, 200)
		got, err := w.c.GetProductWithResponse(ctx, product.Id, &pm.GetProductParams{Expand: ptr("category")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, got, 200)
		c, err := got.ApplicationldJSON200.Category.AsCategory()
		if err != nil || c.Handle != "shirts" || len(*got.ApplicationldJSON200.AttributeValues) != 2 {
			t.Fatalf("product = %s", got.Body)
		}
	})
	t.Run("referenced things cannot be deleted", func(t *testing.T) {
		for name, call := range map[string]func() (interface{ StatusCode() int }, error){
			"attribute in a set": func() (interface{ StatusCode() int }, error) {
				return w.c.DeleteAttributeWithResponse(ctx, care.Id, nil)
			},
			"category with products": func() (interface{ StatusCode() int }, error) {
				return w.c.DeleteCategoryWithResponse(ctx, shirts.Id, nil)
			},
			"category with a child": func() (interface{ StatusCode() int }, error) {
				return w.c.DeleteCategoryWithResponse(ctx, clothing.Id, nil)
			},
			"attribute used by a value": func() (interface{ StatusCode() int }, error) {
				return w.c.DeleteAttributeWithResponse(ctx, weight.Id, nil)
			},
		} {
			resp, err := call()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode() != 409 {
				t.Errorf("%s: %d, want 409", name, resp.StatusCode())
			}
		}
		del, err := w.c.DeleteAttributeWithResponse(ctx, unrelated.Id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, del, 204)
	})
	t.Run("validation of attributes", func(t *testing.T) {
		taken, err := w.c.CreateAttributeWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(`{"code":"material","type":"text"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectConflict(t, taken, "code", `"material"`)
		for _, body := range []string{`{"code":"Bad Code","type":"text"}`, `{"code":"colour","type":"select"}`, `{"code":"x","type":"colour"}`} {
			resp, err := w.c.CreateAttributeWithBodyWithResponse(ctx, nil, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, resp, 422, "")
		}
	})
}

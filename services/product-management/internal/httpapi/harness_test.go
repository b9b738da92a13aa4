package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/apitest"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

var (
	expectStatus  = apitest.ExpectStatus
	expectProblem = apitest.ExpectProblem
	body          = apitest.Body
)

// world is one identity, one product-management, and an owner with an organization and instance.
type world struct {
	id     *testenv.Identity
	pm     *testenv.PM
	owner  *testenv.Partner
	org    uuid.UUID
	handle string
	c      *pm.ClientWithResponses // the owner acting as org on handle
}

func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldWith(t, testenv.PMOptions{})
}

// newJobsWorld is a world whose product-management also runs its background jobs (exports,
// imports, webhook deliveries).
func newJobsWorld(t testing.TB) *world {
	t.Helper()
	return newWorldWith(t, testenv.PMOptions{Background: true})
}

func newWorldWith(t testing.TB, opts testenv.PMOptions) *world {
	t.Helper()
	id := testenv.StartIdentity(t)
	w := &world{id: id, pm: testenv.StartPMWith(t, id, opts), owner: id.Partner("Owner"), handle: "acme-eu"}
	w.org = w.owner.Org(t, "Acme")
	w.owner.Instance(t, w.org, w.handle)
	w.c = w.pm.Client(w.owner, w.handle, w.org)
	return w
}

func ptr[T any](v T) *T { return &v }

func some(s string) nullable.Nullable[string] { return nullable.NewNullableWithValue(s) }

func selector(option, value string) pm.OptionValueReference {
	var r pm.OptionValueReference
	_ = r.FromOptionValueSelector(pm.OptionValueSelector{Option: option, Value: value})
	return r
}

func iriRef(iri string) pm.OptionValueReference {
	var r pm.OptionValueReference
	_ = r.FromIri(iri)
	return r
}

// tshirt is a product with one option and n variants (n <= 6).
func tshirt(sku string, n int) pm.ProductCreate {
	sizes := []string{"XS", "S", "M", "L", "XL", "XXL"}[:n]
	variants := make([]pm.VariantCreate, n)
	for i, s := range sizes {
		variants[i] = pm.VariantCreate{Sku: sku + "-" + s, OptionValues: &[]pm.OptionValueReference{selector("Size", s)}}
	}
	return pm.ProductCreate{
		Title: some("T-shirt " + sku), Vendor: some("Acme"), Tags: some("summer, cotton"),
		Options:  &[]pm.OptionInput{{Name: "Size", Values: sizes}},
		Variants: &variants,
	}
}

func (w *world) create(t testing.TB, c *pm.ClientWithResponses, p pm.ProductCreate) pm.Product {
	t.Helper()
	resp, err := c.CreateProductWithResponse(context.Background(), nil, p)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, resp, 201)
	return *resp.ApplicationldJSON201
}

// metaobject creates a metaobject of a definition typed by name and returns its IRI.
func (w *world) metaobject(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	typ := "kind_" + strings.ToLower(name)
	def, err := w.c.CreateMetaobjectDefinitionWithResponse(ctx, nil, pm.MetaobjectDefinitionCreate{Type: typ,
		Fields: []pm.MetaobjectFieldDefinition{{Key: "name", Type: pm.MetafieldTypeSingleLineTextField}}})
	if err != nil || def.StatusCode() != 201 {
		t.Fatalf("definition: %v %s", err, body(def))
	}
	obj, err := w.c.CreateMetaobjectWithResponse(ctx, nil, pm.MetaobjectCreate{Type: typ, Handle: "one", Fields: map[string]string{"name": name}})
	if err != nil || obj.StatusCode() != 201 {
		t.Fatalf("metaobject: %v %s", err, body(obj))
	}
	return obj.ApplicationldJSON201.LdID
}

// richProduct creates a product using every part (fullProductN), with a metafield on it and on
// each variant, all referencing the metaobject ref.
func (w *world) richProduct(t testing.TB, sku string, n int, ref string) pm.Product {
	t.Helper()
	ctx := context.Background()
	p := w.create(t, w.c, fullProductN(w, t, sku, n))
	owners := []string{p.LdID}
	for _, v := range p.Variants {
		iri, _ := v.AsIri()
		owners = append(owners, iri)
	}
	for _, owner := range owners {
		resp, err := w.c.CreateMetafieldWithResponse(ctx, nil, pm.MetafieldCreate{Owner: owner, Namespace: "custom", Key: "ref", Type: pm.MetafieldTypeMetaobjectReference, Value: ref})
		if err != nil || resp.StatusCode() != 201 {
			t.Fatalf("metafield: %v %s", err, body(resp))
		}
	}
	return p
}

// document is v as a JSON document (maps, slices, strings, numbers), for whole-document
// comparisons with go-cmp: the generated types hold unions go-cmp cannot look into.
func document(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

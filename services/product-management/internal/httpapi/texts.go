package httpapi

import (
	"fmt"
	"reflect"
	"unicode"

	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// A product's translatable texts (catalog.ProductTexts) are the properties of the API's product
// schemas named like their fields in lowerCamelCase (SeoTitle: seoTitle). The generated types are
// matched to the field list once, at start: a text the spec lacks stops the service there (and
// every test) rather than be dropped from reads or writes.
var (
	productTextsIn    = textFieldsOf[api.ProductCreate]()
	productTextsPatch = textFieldsOf[api.ProductPatch]()
	productTextsOut   = textFieldsOf[api.Product]()
)

// textFields are the indexes in a generated type T of the fields holding each product text, in
// the order of catalog.ProductTextNames.
type textFields[T any] []int

func textFieldsOf[T any]() textFields[T] {
	t := reflect.TypeFor[T]()
	want := reflect.TypeFor[nullable.Nullable[string]]()
	var out textFields[T]
	for _, name := range catalog.ProductTextNames() {
		property := string(unicode.ToLower(rune(name[0]))) + name[1:]
		f, ok := t.FieldByName(name)
		if !ok || f.Type != want || f.Tag.Get("json") != property+",omitempty" && f.Tag.Get("json") != property {
			panic(fmt.Sprintf("api.%s has no nullable string property %q for catalog.ProductTexts.%s: add it to the spec and run make generate", t.Name(), property, name))
		}
		out = append(out, f.Index[0])
	}
	return out
}

// read takes the texts of a create (absent and null are nil).
func (f textFields[T]) read(body *T) catalog.ProductTexts {
	v := reflect.ValueOf(body).Elem()
	var t catalog.ProductTexts
	for i, text := range t.Fields() {
		*text = optional(v.Field(f[i]).Interface().(nullable.Nullable[string]))
	}
	return t
}

// patch takes the texts of a merge patch (null or blank removes one).
func (f textFields[T]) patch(body *T) catalog.ProductTextChanges {
	v := reflect.ValueOf(body).Elem()
	var c catalog.ProductTextChanges
	for i, change := range c.Fields() {
		*change = textPatch(v.Field(f[i]).Interface().(nullable.Nullable[string]))
	}
	return c
}

// write sets out's texts: a missing one is null, or left absent when omitNull.
func (f textFields[T]) write(out *T, t catalog.ProductTexts, omitNull bool) {
	v := reflect.ValueOf(out).Elem()
	for i, p := range t.Fields() {
		if *p == nil && omitNull {
			continue
		}
		v.Field(f[i]).Set(reflect.ValueOf(text(*p)))
	}
}

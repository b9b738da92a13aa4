package render

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
var productTextsOut = TextFieldsOf[api.Product]()

// TextFields are the indexes in a generated type T of the fields holding each product text, in
// the order of catalog.ProductTextNames.
type TextFields[T any] []int

// TextFieldsOf matches T's fields to the product texts; it panics naming the first text T lacks.
func TextFieldsOf[T any]() TextFields[T] {
	t := reflect.TypeFor[T]()
	want := reflect.TypeFor[nullable.Nullable[string]]()
	var out TextFields[T]
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

// Get returns body's texts as sent, in the order of catalog.ProductTextNames.
func (f TextFields[T]) Get(body *T) []nullable.Nullable[string] {
	v := reflect.ValueOf(body).Elem()
	out := make([]nullable.Nullable[string], len(f))
	for i, index := range f {
		out[i] = v.Field(index).Interface().(nullable.Nullable[string])
	}
	return out
}

// Write sets out's texts: a missing one is null, or left absent when omitNull.
func (f TextFields[T]) Write(out *T, t catalog.ProductTexts, omitNull bool) {
	v := reflect.ValueOf(out).Elem()
	for i, p := range t.Fields() {
		if *p == nil && omitNull {
			continue
		}
		v.Field(f[i]).Set(reflect.ValueOf(Text(*p)))
	}
}

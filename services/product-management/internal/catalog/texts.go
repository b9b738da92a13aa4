package catalog

import (
	"reflect"

	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// ProductTextsOf holds one T per translatable text of a product, each kept per locale.
//
// Adding a text is adding a field here. The other layers find it by name and refuse to start
// without their part, so a text cannot be lost on one path: the store writes it to the column of
// product_translations named in snake_case (SeoTitle: seo_title, which a migration adds; the
// read-model document takes every column of that table), and the HTTP layer reads and writes the
// property of the API's product schemas named in lowerCamelCase (seoTitle, in the spec).
type ProductTextsOf[T any] struct {
	Title          T
	Description    T
	SeoTitle       T // the page title storefronts give search engines
	SeoDescription T // their meta description
}

// ProductTexts are a product's texts in one locale (nil: none).
type ProductTexts ProductTextsOf[*string]

// ProductTextChanges are a merge patch of a product's texts in one locale.
type ProductTextChanges ProductTextsOf[mergepatch.Field[string]]

// ProductTextNames are the Go names of the texts, in declaration order: what the store and the
// HTTP layer derive their column and property names from.
func ProductTextNames() []string {
	t := reflect.TypeFor[ProductTexts]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Name
	}
	return names
}

// Fields points at each text, in the order of ProductTextNames.
func (t *ProductTexts) Fields() []**string { return fieldsOf((*ProductTextsOf[*string])(t)) }

// Fields points at each text's change, in the order of ProductTextNames.
func (c *ProductTextChanges) Fields() []*mergepatch.Field[string] {
	return fieldsOf((*ProductTextsOf[mergepatch.Field[string]])(c))
}

func fieldsOf[T any](t *ProductTextsOf[T]) []*T {
	v := reflect.ValueOf(t).Elem()
	out := make([]*T, v.NumField())
	for i := range out {
		out[i] = v.Field(i).Addr().Interface().(*T)
	}
	return out
}

// Normalized is t with every text trimmed and blank ones removed.
func (t ProductTexts) Normalized() ProductTexts {
	for _, f := range t.Fields() {
		*f = Text(*f)
	}
	return t
}

// Any reports whether any text is set.
func (t ProductTexts) Any() bool {
	for _, f := range t.Fields() {
		if *f != nil {
			return true
		}
	}
	return false
}

// Equal reports whether t and u hold the same texts.
func (t ProductTexts) Equal(u ProductTexts) bool {
	uf := u.Fields()
	for i, f := range t.Fields() {
		if !eqPtr(*f, *uf[i]) {
			return false
		}
	}
	return true
}

// Or is t with each missing text taken from fallback, text by text; the result shares no string
// with either.
func (t ProductTexts) Or(fallback ProductTexts) ProductTexts {
	ff := fallback.Fields()
	for i, f := range t.Fields() {
		if *f == nil {
			*f = *ff[i]
		}
		if *f != nil {
			s := **f
			*f = &s
		}
	}
	return t
}

// Present reports whether the patch changes any text.
func (c ProductTextChanges) Present() bool {
	for _, f := range c.Fields() {
		if f.Present() {
			return true
		}
	}
	return false
}

// Apply is t with the patch applied.
func (c ProductTextChanges) Apply(t ProductTexts) ProductTexts {
	tf := t.Fields()
	for i, f := range c.Fields() {
		*tf[i] = f.Apply(*tf[i])
	}
	return t
}

package httpapi

import (
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

// The product texts of a create (and of an export line, in the same shape) and of a patch: see
// render.TextFieldsOf, which stops the service at start when the spec lacks one.
var (
	productTextsIn    = render.TextFieldsOf[api.ProductCreate]()
	productTextsPatch = render.TextFieldsOf[api.ProductPatch]()
)

// createTexts takes the texts of a create (absent and null are nil).
func createTexts(b *api.ProductCreate) catalog.ProductTexts {
	var t catalog.ProductTexts
	sent := productTextsIn.Get(b)
	for i, text := range t.Fields() {
		*text = optional(sent[i])
	}
	return t
}

// patchTexts takes the texts of a merge patch (null or blank removes one).
func patchTexts(b *api.ProductPatch) catalog.ProductTextChanges {
	var c catalog.ProductTextChanges
	sent := productTextsPatch.Get(b)
	for i, change := range c.Fields() {
		*change = textPatch(sent[i])
	}
	return c
}

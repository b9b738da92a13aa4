package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// representation names one encoded product read. A read embedding only what the product's
// document holds, without price resolution, changes exactly when the product's version does
// (catalog.Read.FollowsProductVersion, the rule its ETag already follows), so its bytes can be kept under
// the version: a storefront's hot products are rendered and encoded once per version, not per
// page view, and a write still shows at once, since it moves the version.
type representation struct {
	instance, product uuid.UUID
	version           int64
	locale, fallback  string
	expand            catalog.Expand
}

func newRenderedCache(size int) *lru.Cache[representation, []byte] {
	c, err := lru.New[representation, []byte](size)
	if err != nil {
		panic(err) // only for a size below 1, which NewHandler does not ask for
	}
	return c
}

// encodedProduct is a product read's response from bytes encoded before; it writes what the
// generated GetProduct200ApplicationLdPlusJSONResponse would.
type encodedProduct struct {
	body []byte
	etag string
}

func (r encodedProduct) VisitGetProductResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("ETag", r.etag)
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(r.body)
	return err
}

// encodeProduct encodes v as the generated response does (json.Encoder, with its newline).
func encodeProduct(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

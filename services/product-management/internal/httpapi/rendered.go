package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// representation names one encoded product read. A read embedding only what the product's
// document holds, without price resolution (catalog.Read.FollowsProductVersion), is a function of
// the document, so its bytes can be kept with the document's revision: a storefront's hot
// products are rendered and encoded once per change, not per page view, and each read asks the
// database only whether the document is still at that revision (catalog.Service.ProductSince), so a
// write shows at once on every replica.
type representation struct {
	instance, product uuid.UUID
	locale, fallback  string
	expand            catalog.Expand
}

// rendering is a representation as encoded from the document at revision.
type rendering struct {
	revision int64
	etag     string
	body     []byte
}

func newRenderedCache(size int) *lru.Cache[representation, rendering] {
	c, err := lru.New[representation, rendering](size)
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
	// A known length spares the chunked framing and a write to the socket.
	w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
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

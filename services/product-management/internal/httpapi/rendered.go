package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// representation names one encoded product read, as an item or as a list member. A keepable read
// (catalog.Read.Keepable: it embeds only what the product's document holds) is a function of the
// document, and when priced of the channel's currency and of the moment within a span of steady
// prices, so its bytes can be kept with what they were made from (catalog.Kept): a storefront's hot
// products are rendered and encoded once per change, not per page view, and each read asks the
// database only whether the documents moved (catalog.Service.KeptProduct, ListKeptProducts), so
// a write shows at once on every replica.
type representation struct {
	instance, product uuid.UUID
	locale, fallback  string
	expand            catalog.Expand
	priced            bool // then channel and country are the resolution's
	channel           uuid.UUID
	country           string
	member            bool // a list's member, rendered without its own @context
}

// representationOf names product id's read r.
func representationOf(instance, id uuid.UUID, r catalog.Read, member bool) representation {
	k := representation{instance: instance, product: id, locale: r.Locale.Code, fallback: r.Locale.Fallback, expand: r.Expand, member: member}
	if r.Resolution != nil {
		k.priced, k.channel, k.country = true, r.Resolution.Channel, r.Resolution.Country
	}
	return k
}

// rendering is a representation as encoded from what from says.
type rendering struct {
	from catalog.Kept // what it was made from
	etag string
	body []byte
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

// writtenProduct is a product write's 200 from the document its event recorded (catalog.View's
// Encoded): what the generated UpdateProduct and SetProductByKey 200 responses would write, from
// bytes rendered and encoded once, in the write's transaction.
type writtenProduct struct {
	body json.RawMessage
	etag *string
}

func (r writtenProduct) VisitUpdateProductResponse(w http.ResponseWriter) error { return r.write(w) }

func (r writtenProduct) VisitSetProductByKeyResponse(w http.ResponseWriter) error { return r.write(w) }

func (r writtenProduct) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/ld+json")
	if r.etag != nil {
		w.Header().Set("ETag", *r.etag)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(r.body)+1))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(append(r.body[:len(r.body):len(r.body)], '\n')) // json.Encoder's newline
	return err
}

// encode encodes v as the generated responses do (json.Encoder, with its newline).
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// encodeProduct is encode for an encoding that may be kept: in a slice of its own size, since a
// buffer's spare capacity would be kept too.
func encodeProduct(v any) ([]byte, error) {
	b, err := encode(v)
	return bytes.Clone(b), err
}

// productPage is a product list whose members were encoded one by one (kept, or just now): it
// writes what the generated ListProducts200ApplicationLdPlusJSONResponse would, the envelope
// encoded by encoding/json with no members, the members spliced into its empty member array.
// Encoding the envelope around json.RawMessage members instead would have encoding/json scan and
// compact every member again.
type productPage struct {
	page    api.ListProducts200ApplicationLdPlusJSONResponse
	members [][]byte
	writers *sync.Pool // of *bufio.Writer (pageWriteSize): a page of 50 is some 300 KB
}

// pageWriteSize is how much of a page goes to the connection at a time: a few writes per page,
// and little memory held by the writers of concurrent pages.
const pageWriteSize = 64 << 10

// emptyMembers is how the envelope's member array encodes before the splice.
var emptyMembers = []byte(`"member":[]`)

func (r productPage) VisitListProductsResponse(w http.ResponseWriter) error {
	r.page.Member = []api.Product{}
	envelope, err := encode(r.page)
	if err != nil {
		return err
	}
	// The fields before member (@context, @id, @type) are fixed IRIs and names, never this text.
	at := bytes.Index(envelope, emptyMembers)
	if at < 0 {
		return fmt.Errorf("httpapi: no member array in the list's envelope")
	}
	at += len(emptyMembers) - 1
	size := len(envelope) + max(len(r.members)-1, 0)
	for _, m := range r.members {
		size += len(m)
	}
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(http.StatusOK)
	out, _ := r.writers.Get().(*bufio.Writer)
	if out == nil {
		out = bufio.NewWriterSize(w, pageWriteSize)
	}
	out.Reset(w)
	defer func() {
		out.Reset(nil) // the pool holds no response
		r.writers.Put(out)
	}()
	out.Write(envelope[:at])
	for i, m := range r.members {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(m)
	}
	out.Write(envelope[at:])
	return out.Flush() // the writer keeps the first error
}

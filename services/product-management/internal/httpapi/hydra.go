package httpapi

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

// hydraCollection is the @type of every list. Prefixed, unlike the other Hydra terms: the bare
// "Collection" is the vocabulary's class of product collections (/rest/api/collections/{id}).
const hydraCollection = "hydra:Collection"

// pageOf reads page and itemsPerPage (defaults 1 and 30).
func pageOf(p, per *int) (int, int) {
	page, n := 1, 30
	if p != nil {
		page = *p
	}
	if per != nil {
		n = *per
	}
	return page, n
}

// pageView links the pages of a collection at path.
func pageView(path string, q url.Values, page, perPage, total int) api.HydraView {
	link := func(n int) *string {
		v := cloneValues(q)
		v.Set("page", strconv.Itoa(n))
		s := path + "?" + v.Encode()
		return &s
	}
	last := max((total+perPage-1)/perPage, 1)
	view := api.HydraView{LdID: *link(page), LdType: "PartialCollectionView", First: link(1), Last: link(last)}
	if page > 1 {
		view.Previous = link(page - 1)
	}
	if page < last {
		view.Next = link(page + 1)
	}
	return view
}

// cursorView links the next step of a cursor walk of the products.
func cursorView(q url.Values, next *catalog.Cursor) api.HydraView {
	self := iri.Products.Path()
	if len(q) > 0 {
		self += "?" + q.Encode()
	}
	view := api.HydraView{LdID: self, LdType: "PartialCollectionView"}
	if next != nil {
		v := cloneValues(q)
		v.Del("page")
		v.Set("cursor", encodeCursor(*next))
		n := iri.Products.Path() + "?" + v.Encode()
		view.Next = &n
	}
	return view
}

func cloneValues(q url.Values) url.Values {
	v := url.Values{}
	for k, vs := range q {
		v[k] = append([]string(nil), vs...)
	}
	return v
}

func encodeCursor(c catalog.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixNano(), 10) + "." + c.ID.String()))
}

func decodeCursor(s string) (catalog.Cursor, error) {
	bad := badQuery("cursor", "not a cursor from view.next")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return catalog.Cursor{}, bad
	}
	at, id, ok := strings.Cut(string(raw), ".")
	if !ok {
		return catalog.Cursor{}, bad
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return catalog.Cursor{}, bad
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return catalog.Cursor{}, bad
	}
	return catalog.Cursor{At: time.Unix(0, n).UTC(), ID: u}, nil
}

var productFilters = []string{"status", "vendor", "tags", "title", "channel", "collection", "createdAt[after]", "createdAt[before]", "updatedAt[after]",
	"updatedAt[before]", "order[createdAt]", "order[updatedAt]", "order[title]", "page", "itemsPerPage", "cursor", "expand"}

// templateVar is a query parameter's name as an RFC 6570 variable name: RFC 6570 allows ALPHA,
// DIGIT, "_", "." and pct-encoded triplets, so "[" and "]" (order[createdAt]) are pct-encoded; the
// template's expansion keeps them so (order%5BcreatedAt%5D=desc), which the server decodes back.
func templateVar(name string) string {
	return strings.NewReplacer("[", "%5B", "]", "%5D").Replace(name)
}

// productSearch is the Hydra search template of the product list, built once: every list page
// shows it, and building it (a replacer per variable) cost a page a tenth of its time. It is only
// read (encoded), never changed.
var productSearch = sync.OnceValue(buildProductSearch)

func buildProductSearch() api.HydraSearch {
	vars := make([]string, len(productFilters))
	for i, f := range productFilters {
		vars[i] = templateVar(f)
	}
	s := api.HydraSearch{LdType: "IriTemplate", VariableRepresentation: "BasicRepresentation",
		Template: iri.Products.Path() + "{?" + strings.Join(vars, ",") + "}"}
	for _, f := range productFilters {
		prop := f
		if i := strings.IndexByte(f, '['); i > 0 {
			prop = f[:i]
			if strings.HasPrefix(f, "order[") {
				prop = strings.TrimSuffix(f[i+1:], "]")
			}
		}
		m := api.HydraIriTemplateMapping{LdType: "IriTemplateMapping", Variable: templateVar(f), Property: nullable.NewNullableWithValue(prop)}
		switch f {
		case "page", "itemsPerPage", "cursor", "expand":
			m.Property = nullable.NewNullNullable[string]()
		case "channel", "collection": // a member of the product's list
			m.Property = nullable.NewNullableWithValue(f + "s")
		}
		s.Mapping = append(s.Mapping, m)
	}
	return s
}

// members renders the members of a collection.
func members[T, M any](list []T, render func(T, bool) M) []M {
	out := make([]M, len(list))
	for i, x := range list {
		out[i] = render(x, false)
	}
	return out
}

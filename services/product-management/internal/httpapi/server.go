// Package httpapi is product-management's HTTP layer: it implements the generated strict-server
// interface, translating requests into catalog calls and catalog values into JSON-LD. Errors are
// returned as they are and become problem documents in one place (package problem).
package httpapi

import (
	"context"
	"encoding/base64"

	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/precondition"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
)

// The identity permissions that gate the catalog.
const (
	permRead  = "identity:products.read"
	permWrite = "identity:products.write"
)

// Server implements api.StrictServerInterface.
type Server struct {
	Catalog *catalog.Service
}

var _ api.StrictServerInterface = (*Server)(nil)

// authorize returns the tenant when it holds perm.
func authorize(ctx context.Context, perm string) (tenant.Tenant, error) {
	t, err := tenant.FromContext(ctx)
	if err != nil {
		return t, err
	}
	return t, t.Require(perm)
}

func (s *Server) reading(ctx context.Context, locale *string, fallback *bool) (tenant.Tenant, catalog.ReadLocale, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return t, catalog.ReadLocale{}, err
	}
	rl, err := s.Catalog.ReadLocale(ctx, t.InstanceID, locale, fallback != nil && *fallback)
	return t, rl, err
}

func (s *Server) writing(ctx context.Context, locale *string) (tenant.Tenant, string, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return t, "", err
	}
	code, err := s.Catalog.WriteLocale(ctx, t.InstanceID, locale)
	return t, code, err
}

func expandOf(p *string) catalog.Expand {
	if p == nil {
		return catalog.Expand{}
	}
	return catalog.ParseExpand(*p)
}

// ---- products ----

func (s *Server) GetProduct(ctx context.Context, req api.GetProductRequestObject) (api.GetProductResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	res, err := resolution(req.Params.ResolveContextChannel, req.Params.ResolveContextCountry, req.Params.ResolveContextAt)
	if err != nil {
		return nil, err
	}
	p, err := s.Catalog.Product(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	products := []catalog.Product{p}
	r, err := s.renderer(ctx, t.InstanceID, expandOf(req.Params.Expand), products, res, loc)
	if err != nil {
		return nil, err
	}
	return api.GetProduct200ApplicationLdPlusJSONResponse{Body: r.product(products[0], true), Headers: api.GetProduct200ResponseHeaders{ETag: precondition.ETag(products[0].Version)}}, nil
}

func (s *Server) ListProducts(ctx context.Context, req api.ListProductsRequestObject) (api.ListProductsResponseObject, error) {
	p := req.Params
	t, loc, err := s.reading(ctx, p.XFlowkiwiLocale, p.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	q := catalog.ListQuery{Locale: loc, Page: 1, PerPage: 30, Vendor: p.Vendor, Title: p.Title,
		CreatedAfter: p.CreatedAtAfter, CreatedBefore: p.CreatedAtBefore, UpdatedAfter: p.UpdatedAtAfter, UpdatedBefore: p.UpdatedAtBefore}
	if p.Page != nil {
		q.Page = *p.Page
	}
	if p.ItemsPerPage != nil {
		q.PerPage = *p.ItemsPerPage
	}
	if p.Status != nil {
		st, ok := catalog.StatusFromInput(*p.Status)
		if !ok {
			return nil, badQuery("status", "unknown status")
		}
		q.Status = &st
	}
	if p.Tags != nil {
		var vs fault.Violations
		q.Tags = catalog.ParseTags("query.tags", p.Tags, &vs)
		if err := vs.Err(); err != nil {
			return nil, badQuery("tags", "too many or too long tags")
		}
	}
	orders := 0
	for _, o := range []struct {
		by  string
		dir *api.OrderDirection
	}{{"created_at", p.OrderCreatedAt}, {"updated_at", p.OrderUpdatedAt}, {"title", p.OrderTitle}} {
		if o.dir != nil {
			orders++
			q.OrderBy, q.Descending = o.by, *o.dir == api.Desc
		}
	}
	if orders > 1 {
		return nil, badQuery("order", "order by one field at a time")
	}
	if p.Cursor != nil {
		c := catalog.Cursor{} // "first": from the start
		if *p.Cursor != "first" {
			if c, err = decodeCursor(*p.Cursor); err != nil {
				return nil, err
			}
		}
		q.Cursor = &c
	}
	if p.Channel != nil {
		id, ok := catalog.ParseIRI(*p.Channel, "/rest/api/channels/")
		if !ok {
			return nil, badQuery("channel", "a channel IRI or id")
		}
		q.Channel = &id
	}
	if p.Collection != nil {
		id, ok := catalog.ParseIRI(*p.Collection, "/rest/api/collections/")
		if !ok {
			return nil, badQuery("collection", "a collection IRI or id")
		}
		q.Collection = &id
	}
	res, err := resolution(p.ResolveContextChannel, p.ResolveContextCountry, p.ResolveContextAt)
	if err != nil {
		return nil, err
	}
	products, total, next, err := s.Catalog.List(ctx, t.InstanceID, q)
	if err != nil {
		return nil, err
	}
	r, err := s.renderer(ctx, t.InstanceID, expandOf(p.Expand), products, res, loc)
	if err != nil {
		return nil, err
	}
	out := api.ListProducts200ApplicationLdPlusJSONResponse{
		LdContext: contextOf("Product"), LdID: "/rest/api/products", LdType: "Collection",
		Member: make([]api.Product, len(products)), Search: productSearch(),
	}
	for i, pr := range products {
		out.Member[i] = r.product(pr, false)
	}
	query := requestQuery(ctx)
	if q.Cursor != nil {
		out.View = cursorView(query, next)
	} else {
		out.TotalItems = &total
		out.View = pageView("/rest/api/products", query, q.Page, q.PerPage, total)
	}
	return out, nil
}

// renderer prepares what a product read embeds beyond the graph: resolved prices (one channel
// lookup and one price-history query for the whole page), then, in one round trip, the metafields
// and whatever the expand tokens embed (channels, medias, collections, category, metaobjects).
func (s *Server) renderer(ctx context.Context, instance uuid.UUID, ex catalog.Expand, products []catalog.Product, res *catalog.Resolution, loc catalog.ReadLocale) (renderer, error) {
	r := renderer{expand: ex}
	if res != nil && len(products) > 0 {
		if err := s.Catalog.ApplyPrices(ctx, instance, products, *res); err != nil {
			return r, err
		}
	}
	if len(products) == 0 {
		return r, nil
	}
	// One round trip for everything beyond the graphs. Metafields are listed (as IRIs) on every read.
	q := catalog.EmbedQuery{Locale: loc, Products: make([]uuid.UUID, len(products)), Metaobjects: ex.Metafields && ex.Metaobject}
	for i, p := range products {
		q.Products[i] = p.ID
		if ex.Channels {
			q.Channels = append(q.Channels, p.Channels...)
		}
		if ex.Medias {
			q.Medias = append(q.Medias, p.Medias...)
		}
		if ex.Collections {
			q.Collections = append(q.Collections, p.Collections...)
		}
		if ex.Category && p.Category != nil {
			q.Categories = append(q.Categories, *p.Category)
		}
	}
	e, err := s.Catalog.Store().Embeds(ctx, instance, q)
	if err != nil {
		return r, err
	}
	if len(q.Channels) > 0 {
		r.channels = index(e.Channels, func(c catalog.Channel) uuid.UUID { return c.ID })
	}
	if len(q.Medias) > 0 {
		r.medias = index(e.Medias, func(m catalog.Media) uuid.UUID { return m.ID })
	}
	if len(q.Collections) > 0 {
		r.collections = index(e.Collections, func(c catalog.Collection) uuid.UUID { return c.ID })
	}
	if len(q.Categories) > 0 {
		r.categories = index(e.Categories, func(c catalog.Category) uuid.UUID { return c.ID })
	}
	if q.Metaobjects {
		r.metaobjects = index(e.Metaobjects, func(o catalog.Metaobject) uuid.UUID { return o.ID })
	}
	r.productFields, r.variantFields = map[uuid.UUID][]catalog.Metafield{}, map[uuid.UUID][]catalog.Metafield{}
	for _, f := range e.Metafields {
		if f.VariantID != nil {
			r.variantFields[*f.VariantID] = append(r.variantFields[*f.VariantID], f)
		} else {
			r.productFields[f.ProductID] = append(r.productFields[f.ProductID], f)
		}
	}
	return r, nil
}

// first returns the only entry of a lookup by one id, or not found ("no such …").
func first[T any](list []T, err error, notFound string) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if len(list) == 0 {
		return zero, fault.NotFound("%s", notFound)
	}
	return list[0], nil
}

// index maps a list by key.
func index[T any](list []T, key func(T) uuid.UUID) map[uuid.UUID]T {
	m := make(map[uuid.UUID]T, len(list))
	for _, x := range list {
		m[key(x)] = x
	}
	return m
}

func badQuery(name, msg string) error {
	return &fault.Error{Kind: fault.KindBadRequest, Violations: []fault.Violation{{Path: "query." + name, Code: "invalid_parameter", Message: msg}}}
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

func pageView(path string, q url.Values, page, perPage, total int) api.HydraView {
	link := func(n int) *string {
		v := cloneValues(q)
		v.Set("page", strconv.Itoa(n))
		s := path + "?" + v.Encode()
		return &s
	}
	last := (total + perPage - 1) / perPage
	if last < 1 {
		last = 1
	}
	view := api.HydraView{LdID: *link(page), LdType: "PartialCollectionView", First: link(1), Last: link(last)}
	if page > 1 {
		view.Previous = link(page - 1)
	}
	if page < last {
		view.Next = link(page + 1)
	}
	return view
}

func cursorView(q url.Values, next *catalog.Cursor) api.HydraView {
	self := "/rest/api/products"
	if len(q) > 0 {
		self += "?" + q.Encode()
	}
	view := api.HydraView{LdID: self, LdType: "PartialCollectionView"}
	if next != nil {
		v := cloneValues(q)
		v.Del("page")
		v.Set("cursor", encodeCursor(*next))
		n := "/rest/api/products?" + v.Encode()
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

var productFilters = []string{"status", "vendor", "tags", "title", "channel", "collection", "createdAt[after]", "createdAt[before]", "updatedAt[after]",
	"updatedAt[before]", "order[createdAt]", "order[updatedAt]", "order[title]", "page", "itemsPerPage", "cursor", "expand"}

func productSearch() api.HydraSearch {
	s := api.HydraSearch{LdType: "IriTemplate", VariableRepresentation: "BasicRepresentation",
		Template: "/rest/api/products{?" + strings.Join(productFilters, ",") + "}"}
	for _, f := range productFilters {
		prop := f
		if i := strings.IndexByte(f, '['); i > 0 {
			prop = f[:i]
			if strings.HasPrefix(f, "order[") {
				prop = strings.TrimSuffix(f[i+1:], "]")
			}
		}
		m := struct {
			LdType   string                    `json:"@type"`
			Property nullable.Nullable[string] `json:"property"`
			Required bool                      `json:"required"`
			Variable string                    `json:"variable"`
		}{LdType: "IriTemplateMapping", Variable: f, Property: nullable.NewNullableWithValue(prop)}
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

func productInput(b *api.ProductCreate) catalog.ProductInput {
	in := catalog.ProductInput{Vendor: ptr(b.Vendor), Title: ptr(b.Title), Description: ptr(b.Description), Tags: ptr(b.Tags)}
	if b.Status != nil {
		in.Status = *b.Status
	}
	if b.Options != nil {
		for _, o := range *b.Options {
			in.Options = append(in.Options, catalog.OptionInput{Name: o.Name, Values: o.Values})
		}
	}
	if b.Variants != nil {
		for _, v := range *b.Variants {
			in.Variants = append(in.Variants, variantInput(v))
		}
	}
	if b.Channels != nil {
		for _, c := range *b.Channels {
			in.Channels = append(in.Channels, c.Channel)
		}
	}
	if b.Collections != nil {
		for _, c := range *b.Collections {
			in.Collections = append(in.Collections, c.Collection)
		}
	}
	if b.Medias != nil {
		for _, m := range *b.Medias {
			in.Medias = append(in.Medias, mediaChange(m))
		}
	}
	in.Category = ptr(b.Category)
	if b.AttributeValues != nil {
		in.Values = valueInputs(*b.AttributeValues)
	}
	return in
}

func variantInput(v api.VariantCreate) catalog.VariantInput {
	in := catalog.VariantInput{SKU: v.Sku, Title: ptr(v.Title), Barcode: ptr(v.Barcode), Position: v.Position}
	if v.OptionValues != nil {
		in.OptionValues = valueRefs(*v.OptionValues)
	}
	if v.Prices != nil {
		for _, p := range *v.Prices {
			in.Prices = append(in.Prices, priceInput(p))
		}
	}
	if v.Medias != nil {
		in.Medias = mediaRefs(*v.Medias)
	}
	return in
}

func mediaRefs(list []api.VariantMediaAssignment) []catalog.MediaRef {
	out := make([]catalog.MediaRef, len(list))
	for i, a := range list {
		if a.Media != nil {
			out[i].IRI = *a.Media
		}
		if a.Src != nil {
			out[i].Src = *a.Src
		}
	}
	return out
}

func valueRefs(refs []api.OptionValueReference) []catalog.ValueRef {
	out := make([]catalog.ValueRef, len(refs))
	for i, r := range refs {
		if sel, err := r.AsOptionValueSelector(); err == nil && sel.Option != "" {
			out[i] = catalog.ValueRef{Option: sel.Option, Value: sel.Value}
		} else if iri, err := r.AsIri(); err == nil {
			out[i] = catalog.ValueRef{IRI: iri}
		}
	}
	return out
}

func ptr(n nullable.Nullable[string]) *string {
	if !n.IsSpecified() || n.IsNull() {
		return nil
	}
	v := n.MustGet()
	return &v
}

func (s *Server) CreateProduct(ctx context.Context, req api.CreateProductRequestObject) (api.CreateProductResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	created, err := s.Catalog.CreateProduct(ctx, t.InstanceID, locale, productInput(body))
	if err != nil {
		return nil, err
	}
	loc := catalog.ReadLocale{Code: locale}
	p, err := s.Catalog.Product(ctx, t.InstanceID, created.ID, loc)
	if err != nil {
		return nil, err
	}
	r, err := s.renderer(ctx, t.InstanceID, catalog.Expand{}, []catalog.Product{p}, nil, loc)
	if err != nil {
		return nil, err
	}
	iri := productIRI(p.ID)
	return api.CreateProduct201ApplicationLdPlusJSONResponse{Body: r.product(p, true), Headers: api.CreateProduct201ResponseHeaders{Location: &iri, ETag: precondition.ETag(p.Version)}}, nil
}

func (s *Server) UpdateProduct(ctx context.Context, req api.UpdateProductRequestObject) (api.UpdateProductResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	ifVersion, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c := catalog.ProductChanges{IfVersion: ifVersion}
	var vs fault.Violations
	if b.Status != nil {
		st, ok := catalog.StatusFromInput(*b.Status)
		if !ok {
			vs.Add("status", "invalid_status", "unknown status; use /rest/api/statuses/{draft|active|archived}")
		}
		c.Status = &st
	}
	c.Vendor, c.ClearVendor = patchText(b.Vendor)
	c.Title, c.ClearTitle = patchText(b.Title)
	c.Description, c.ClearDescription = patchText(b.Description)
	if b.Tags.IsSpecified() {
		tags := catalog.ParseTags("tags", ptr(b.Tags), &vs)
		c.Tags = &tags
	}
	c.Category, c.ClearCategory = patchText(b.Category)
	if b.Channels != nil {
		iris := make([]string, len(*b.Channels))
		for i, a := range *b.Channels {
			iris[i] = a.Channel
		}
		c.Channels = &iris
	}
	if b.Collections != nil {
		iris := make([]string, len(*b.Collections))
		for i, a := range *b.Collections {
			iris[i] = a.Collection
		}
		c.Collections = &iris
	}
	if b.Medias != nil {
		iris := make([]string, len(*b.Medias))
		for i, a := range *b.Medias {
			iris[i] = a.Media
		}
		c.Medias = &iris
	}
	if b.AttributeValues != nil {
		values := valueInputs(*b.AttributeValues)
		c.Values = &values
	}
	if err := vs.Err(); err != nil {
		return nil, err
	}
	if err := s.Catalog.UpdateProduct(ctx, t.InstanceID, req.Id, locale, c); err != nil {
		return nil, err
	}
	loc := catalog.ReadLocale{Code: locale}
	p, err := s.Catalog.Product(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	r, err := s.renderer(ctx, t.InstanceID, catalog.Expand{}, []catalog.Product{p}, nil, loc)
	if err != nil {
		return nil, err
	}
	return api.UpdateProduct200ApplicationLdPlusJSONResponse{Body: r.product(p, true), Headers: api.UpdateProduct200ResponseHeaders{ETag: precondition.ETag(p.Version)}}, nil
}

// patchText reads a nullable merge-patch member: a value to set, or a request to clear.
func patchText(n nullable.Nullable[string]) (*string, bool) {
	if !n.IsSpecified() {
		return nil, false
	}
	if n.IsNull() || strings.TrimSpace(n.MustGet()) == "" {
		return nil, true
	}
	v := strings.TrimSpace(n.MustGet())
	return &v, false
}

func (s *Server) DeleteProduct(ctx context.Context, req api.DeleteProductRequestObject) (api.DeleteProductResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	ifVersion, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.DeleteProduct(ctx, t.InstanceID, req.Id, ifVersion); err != nil {
		return nil, err
	}
	return api.DeleteProduct204Response{}, nil
}

// ---- variants ----

func (s *Server) ListProductVariants(ctx context.Context, req api.ListProductVariantsRequestObject) (api.ListProductVariantsResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	p, err := s.Catalog.Product(ctx, t.InstanceID, req.Id, loc)
	if err != nil {
		return nil, err
	}
	page, per := pageOf(req.Params.Page, req.Params.ItemsPerPage)
	ex := expandOf(req.Params.Expand)
	var values map[uuid.UUID]catalog.OptionValue
	if ex.OptionValues {
		values = valueIndex(p)
	}
	r, err := s.renderer(ctx, t.InstanceID, ex, []catalog.Product{p}, nil, loc)
	if err != nil {
		return nil, err
	}
	from, to := min((page-1)*per, len(p.Variants)), min(page*per, len(p.Variants))
	path := productIRI(p.ID) + "/variants"
	out := api.ListProductVariants200ApplicationLdPlusJSONResponse{LdContext: contextOf("Variant"), LdID: path, LdType: "Collection",
		TotalItems: len(p.Variants), Member: make([]api.Variant, 0, to-from), View: pageView(path, requestQuery(ctx), page, per, len(p.Variants))}
	for _, v := range p.Variants[from:to] {
		out.Member = append(out.Member, r.variant(v, values, false))
	}
	return out, nil
}

func (s *Server) CreateProductVariant(ctx context.Context, req api.CreateProductVariantRequestObject) (api.CreateProductVariantResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	v, err := s.Catalog.CreateVariant(ctx, t.InstanceID, req.Id, locale, variantInput(*body))
	if err != nil {
		return nil, err
	}
	out, version, err := s.loadVariant(ctx, t, v.ID, catalog.ReadLocale{Code: locale}, catalog.Expand{})
	if err != nil {
		return nil, err
	}
	iri := variantIRI(v.ID)
	return api.CreateProductVariant201ApplicationLdPlusJSONResponse{Body: out, Headers: api.CreateProductVariant201ResponseHeaders{Location: &iri, ETag: precondition.ETag(version)}}, nil
}

// loadVariant reads a variant through its product's graph (one batch), with its version.
func (s *Server) loadVariant(ctx context.Context, t tenant.Tenant, id uuid.UUID, loc catalog.ReadLocale, ex catalog.Expand) (api.Variant, int64, error) {
	pid, err := s.Catalog.Store().VariantProduct(ctx, t.InstanceID, id)
	if err != nil {
		return api.Variant{}, 0, err
	}
	p, err := s.Catalog.Product(ctx, t.InstanceID, pid, loc)
	if err != nil {
		return api.Variant{}, 0, err
	}
	var values map[uuid.UUID]catalog.OptionValue
	if ex.OptionValues {
		values = valueIndex(p)
	}
	for _, v := range p.Variants {
		if v.ID == id {
			r, err := s.renderer(ctx, t.InstanceID, ex, []catalog.Product{p}, nil, loc)
			if err != nil {
				return api.Variant{}, 0, err
			}
			return r.variant(v, values, true), v.Version, nil
		}
	}
	return api.Variant{}, 0, fault.NotFound("no such variant")
}

func (s *Server) GetVariant(ctx context.Context, req api.GetVariantRequestObject) (api.GetVariantResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	v, version, err := s.loadVariant(ctx, t, req.Id, loc, expandOf(req.Params.Expand))
	if err != nil {
		return nil, err
	}
	return api.GetVariant200ApplicationLdPlusJSONResponse{Body: v, Headers: api.GetVariant200ResponseHeaders{ETag: precondition.ETag(version)}}, nil
}

func (s *Server) UpdateVariant(ctx context.Context, req api.UpdateVariantRequestObject) (api.UpdateVariantResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	ifVersion, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c := catalog.VariantChanges{SKU: b.Sku, Position: b.Position, IfVersion: ifVersion}
	c.Title, c.ClearTitle = patchText(b.Title)
	c.Barcode, c.ClearBarcode = patchText(b.Barcode)
	if b.OptionValues != nil {
		refs := valueRefs(*b.OptionValues)
		c.OptionValues = &refs
	}
	if b.Medias != nil {
		refs := mediaRefs(*b.Medias)
		c.Medias = &refs
	}
	if _, err := s.Catalog.UpdateVariant(ctx, t.InstanceID, req.Id, locale, c); err != nil {
		return nil, err
	}
	v, version, err := s.loadVariant(ctx, t, req.Id, catalog.ReadLocale{Code: locale}, catalog.Expand{})
	if err != nil {
		return nil, err
	}
	return api.UpdateVariant200ApplicationLdPlusJSONResponse{Body: v, Headers: api.UpdateVariant200ResponseHeaders{ETag: precondition.ETag(version)}}, nil
}

func (s *Server) DeleteVariant(ctx context.Context, req api.DeleteVariantRequestObject) (api.DeleteVariantResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	ifVersion, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DeleteVariant(ctx, t.InstanceID, req.Id, ifVersion); err != nil {
		return nil, err
	}
	return api.DeleteVariant204Response{}, nil
}

// ---- options and values ----

func (s *Server) findOption(ctx context.Context, t tenant.Tenant, id uuid.UUID, loc catalog.ReadLocale) (catalog.Option, error) {
	pid, err := s.Catalog.Store().OptionProduct(ctx, t.InstanceID, id)
	if err != nil {
		return catalog.Option{}, err
	}
	p, err := s.Catalog.Product(ctx, t.InstanceID, pid, loc)
	if err != nil {
		return catalog.Option{}, err
	}
	for _, o := range p.Options {
		if o.ID == id {
			return o, nil
		}
	}
	return catalog.Option{}, fault.NotFound("no such product option")
}

func (s *Server) findValue(ctx context.Context, t tenant.Tenant, id uuid.UUID, loc catalog.ReadLocale) (catalog.OptionValue, error) {
	pid, err := s.Catalog.Store().OptionValueProduct(ctx, t.InstanceID, id)
	if err != nil {
		return catalog.OptionValue{}, err
	}
	p, err := s.Catalog.Product(ctx, t.InstanceID, pid, loc)
	if err != nil {
		return catalog.OptionValue{}, err
	}
	if v, ok := valueIndex(p)[id]; ok {
		return v, nil
	}
	return catalog.OptionValue{}, fault.NotFound("no such option value")
}

func (s *Server) GetProductOption(ctx context.Context, req api.GetProductOptionRequestObject) (api.GetProductOptionResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	o, err := s.findOption(ctx, t, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetProductOption200ApplicationLdPlusJSONResponse(renderer{expand: expandOf(req.Params.Expand)}.option(o, true)), nil
}

func (s *Server) UpdateProductOption(ctx context.Context, req api.UpdateProductOptionRequestObject) (api.UpdateProductOptionResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	name, err := requiredText("name", req.Body.Name)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().UpdateOption(ctx, t.InstanceID, req.Id, locale, name, req.Body.Position); err != nil {
		return nil, err
	}
	o, err := s.findOption(ctx, t, req.Id, catalog.ReadLocale{Code: locale})
	if err != nil {
		return nil, err
	}
	return api.UpdateProductOption200ApplicationLdPlusJSONResponse(renderer{}.option(o, true)), nil
}

func (s *Server) GetOptionValue(ctx context.Context, req api.GetOptionValueRequestObject) (api.GetOptionValueResponseObject, error) {
	t, loc, err := s.reading(ctx, req.Params.XFlowkiwiLocale, req.Params.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	v, err := s.findValue(ctx, t, req.Id, loc)
	if err != nil {
		return nil, err
	}
	return api.GetOptionValue200ApplicationLdPlusJSONResponse(renderer{}.value(v, true)), nil
}

func (s *Server) UpdateOptionValue(ctx context.Context, req api.UpdateOptionValueRequestObject) (api.UpdateOptionValueResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	value, err := requiredText("value", req.Body.Value)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().UpdateOptionValue(ctx, t.InstanceID, req.Id, locale, value, req.Body.Position); err != nil {
		return nil, err
	}
	v, err := s.findValue(ctx, t, req.Id, catalog.ReadLocale{Code: locale})
	if err != nil {
		return nil, err
	}
	return api.UpdateOptionValue200ApplicationLdPlusJSONResponse(renderer{}.value(v, true)), nil
}

// requiredText trims a patched text that may be absent but not blank.
func requiredText(path string, p *string) (*string, error) {
	if p == nil {
		return nil, nil
	}
	v := strings.TrimSpace(*p)
	if v == "" {
		return nil, fault.Invalid(path, "required", "this text must not be empty")
	}
	return &v, nil
}

// ---- statuses ----

func (s *Server) ListStatuses(ctx context.Context, _ api.ListStatusesRequestObject) (api.ListStatusesResponseObject, error) {
	if _, err := authorize(ctx, permRead); err != nil {
		return nil, err
	}
	out := api.ListStatuses200ApplicationLdPlusJSONResponse{LdContext: contextOf("Status"), LdID: "/rest/api/statuses", LdType: "Collection"}
	for _, st := range catalog.Statuses() {
		out.Member = append(out.Member, renderStatus(st, false))
	}
	out.TotalItems = len(out.Member)
	return out, nil
}

func (s *Server) GetStatus(ctx context.Context, req api.GetStatusRequestObject) (api.GetStatusResponseObject, error) {
	if _, err := authorize(ctx, permRead); err != nil {
		return nil, err
	}
	st := catalog.Status(req.Code)
	if !st.Valid() {
		return nil, fault.NotFound("no such status")
	}
	return api.GetStatus200ApplicationLdPlusJSONResponse(renderStatus(st, true)), nil
}

// ---- locales ----

func (s *Server) ListLocales(ctx context.Context, _ api.ListLocalesRequestObject) (api.ListLocalesResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	ls, err := s.Catalog.Store().Locales(ctx, t.InstanceID)
	if err != nil {
		return nil, err
	}
	out := api.ListLocales200ApplicationLdPlusJSONResponse{LdContext: contextOf("Locale"), LdID: "/rest/api/locales", LdType: "Collection", Member: []api.Locale{}}
	for _, l := range sortedLocales(ls) {
		out.Member = append(out.Member, renderLocale(l, false))
	}
	out.TotalItems = len(out.Member)
	return out, nil
}

func sortedLocales(ls catalog.Locales) []catalog.Locale {
	out := make([]catalog.Locale, 0, len(ls.Enabled))
	for code, at := range ls.Enabled {
		out = append(out, catalog.Locale{Code: code, IsDefault: code == ls.Default, CreatedAt: at})
	}
	// Default first, then by code.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && less(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func less(a, b catalog.Locale) bool {
	if a.IsDefault != b.IsDefault {
		return a.IsDefault
	}
	return a.Code < b.Code
}

// enabledLocale returns an enabled locale of the tenant, or not found.
func (s *Server) enabledLocale(ctx context.Context, t tenant.Tenant, code string) (catalog.Locale, error) {
	ls, err := s.Catalog.Store().Locales(ctx, t.InstanceID)
	if err != nil {
		return catalog.Locale{}, err
	}
	at, ok := ls.Enabled[code]
	if !ok {
		return catalog.Locale{}, fault.NotFound("the locale %s is not enabled", code)
	}
	return catalog.Locale{Code: code, IsDefault: code == ls.Default, CreatedAt: at}, nil
}

func (s *Server) GetLocale(ctx context.Context, req api.GetLocaleRequestObject) (api.GetLocaleResponseObject, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return nil, err
	}
	l, err := s.enabledLocale(ctx, t, req.Code)
	if err != nil {
		return nil, err
	}
	return api.GetLocale200ApplicationLdPlusJSONResponse(renderLocale(l, true)), nil
}

func (s *Server) CreateLocale(ctx context.Context, req api.CreateLocaleRequestObject) (api.CreateLocaleResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	l, err := s.Catalog.EnableLocale(ctx, t.InstanceID, body.Code, body.IsDefault != nil && *body.IsDefault)
	if err != nil {
		return nil, err
	}
	iri := localeIRI(l.Code)
	return api.CreateLocale201ApplicationLdPlusJSONResponse{Body: renderLocale(l, true), Headers: api.CreateLocale201ResponseHeaders{Location: &iri}}, nil
}

func (s *Server) UpdateLocale(ctx context.Context, req api.UpdateLocaleRequestObject) (api.UpdateLocaleResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if req.Body.IsDefault != nil && !*req.Body.IsDefault {
		return nil, fault.Invalid("isDefault", "invalid_choice", "make another locale the default instead")
	}
	if req.Body.IsDefault == nil {
		l, err := s.enabledLocale(ctx, t, req.Code)
		if err != nil {
			return nil, err
		}
		return api.UpdateLocale200ApplicationLdPlusJSONResponse(renderLocale(l, true)), nil
	}
	l, err := s.Catalog.Store().SetDefaultLocale(ctx, t.InstanceID, req.Code)
	if err != nil {
		return nil, err
	}
	return api.UpdateLocale200ApplicationLdPlusJSONResponse(renderLocale(l, true)), nil
}

func (s *Server) DeleteLocale(ctx context.Context, req api.DeleteLocaleRequestObject) (api.DeleteLocaleResponseObject, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return nil, err
	}
	if err := s.Catalog.Store().DisableLocale(ctx, t.InstanceID, req.Code); err != nil {
		return nil, err
	}
	return api.DeleteLocale204Response{}, nil
}

// requestBody returns the body of a request that accepts application/json and
// application/ld+json (the generated wrappers bind one or the other).
func requestBody[T any](json, ld *T) (*T, error) {
	if json != nil {
		return json, nil
	}
	if ld != nil {
		return ld, nil
	}
	return nil, fault.BadRequest("a request body is required")
}

package httpapi

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/precondition"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
	"github.com/flowkiwi/platform/services/product-management/internal/render"
)

func (s *Server) GetProduct(ctx context.Context, req api.GetProductRequestObject) (api.GetProductResponseObject, error) {
	p := req.Params
	t, loc, err := s.reading(ctx, p.XFlowkiwiLocale, p.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	res, err := resolution(p.ResolveContextChannel, p.ResolveContextCountry, p.ResolveContextAt)
	if err != nil {
		return nil, err
	}
	read := catalog.Read{Locale: loc, Expand: expandOf(p.Expand), Resolution: res}
	if read.Keepable() {
		return s.keptProduct(ctx, t.InstanceID, req.Id, read, p.IfNoneMatch)
	}
	v, err := s.Catalog.Product(ctx, t.InstanceID, req.Id, read)
	if err != nil {
		return nil, err
	}
	pr := v.Products[0]
	return api.GetProduct200ApplicationLdPlusJSONResponse{Body: render.Of(v).Product(pr, true),
		Headers: api.GetProduct200ResponseHeaders{ETag: precondition.RepresentationETag(pr.Version, loc.Code, loc.Fallback)}}, nil
}

// keptProduct answers a keepable read from the rendering this replica keeps of it while what it was
// made from still holds, else renders it (and keeps it); If-None-Match with its ETag answers 304
// when the read follows the product's version.
func (s *Server) keptProduct(ctx context.Context, instance uuid.UUID, id uuid.UUID, read catalog.Read, ifNoneMatch *string) (api.GetProductResponseObject, error) {
	key := representationOf(instance, id, read, false)
	kept := s.kept(key)
	r, v, err := s.Catalog.KeptProduct(ctx, instance, id, read, kept.from)
	if err != nil {
		return nil, err
	}
	if !r.Unchanged {
		pr := v.Products[0]
		body, err := encodeProduct(render.Of(v).Product(pr, true))
		if err != nil {
			return nil, err
		}
		kept = rendering{from: r.Kept, etag: *precondition.RepresentationETag(pr.Version, read.Locale.Code, read.Locale.Fallback), body: body}
		s.keep(key, kept)
	}
	if read.FollowsProductVersion() && precondition.NoneMatch(ifNoneMatch, &kept.etag) {
		return api.GetProduct304Response{Headers: api.GetProduct304ResponseHeaders{ETag: &kept.etag}}, nil
	}
	return encodedProduct{body: kept.body, etag: kept.etag}, nil
}

// kept is the encoding kept of key (zero: none, or keeping is off).
func (s *Server) kept(key representation) rendering {
	if s.rendered == nil {
		return rendering{}
	}
	r, _ := s.rendered.Get(key)
	return r
}

func (s *Server) keep(key representation, r rendering) {
	if s.rendered != nil {
		s.rendered.Add(key, r)
	}
}

func (s *Server) ListProducts(ctx context.Context, req api.ListProductsRequestObject) (api.ListProductsResponseObject, error) {
	p := req.Params
	t, loc, err := s.reading(ctx, p.XFlowkiwiLocale, p.XFlowkiwiLocaleFallback)
	if err != nil {
		return nil, err
	}
	type listed struct {
		q   catalog.ListQuery
		err error
	}
	l, err := resolving(ctx, s, t.InstanceID, func(r *refReader) listed { q, err := listQuery(p, r); return listed{q, err} })
	if err == nil {
		err = l.err
	}
	if err != nil {
		return nil, err
	}
	q := l.q
	res, err := resolution(p.ResolveContextChannel, p.ResolveContextCountry, p.ResolveContextAt)
	if err != nil {
		return nil, err
	}
	read := catalog.Read{Locale: loc, Expand: expandOf(p.Expand), Resolution: res}
	out := api.ListProducts200ApplicationLdPlusJSONResponse{
		LdContext: render.Context("Product"), LdID: iri.Products.Path(), LdType: hydraCollection, Search: productSearch(),
	}
	var members [][]byte
	var total catalog.Total
	var next *catalog.Cursor
	if read.Keepable() {
		if members, total, next, err = s.keptMembers(ctx, t.InstanceID, q, read); err != nil {
			return nil, err
		}
	} else {
		var v catalog.View
		if v, total, next, err = s.Catalog.ListProducts(ctx, t.InstanceID, q, read); err != nil {
			return nil, err
		}
		out.Member = make([]api.Product, len(v.Products))
		for i, pr := range v.Products {
			out.Member[i] = render.Of(v).Product(pr, false)
		}
	}
	query := requestQuery(ctx)
	if q.Cursor != nil {
		out.View = cursorView(query, next)
	} else {
		out.TotalItems = &total.Items
		if total.Estimated {
			out.TotalItemsEstimated = &total.Estimated
		}
		out.View = pageView(iri.Products.Path(), query, q.Page, q.PerPage, total.Items)
	}
	if read.Keepable() {
		return productPage{page: out, members: members, writers: &s.pageWriters}, nil
	}
	return out, nil
}

// keptMembers reads a page of a keepable list: each member's encoding is the one this replica
// keeps while its product's document is at what it was made from, else rendered (and kept).
func (s *Server) keptMembers(ctx context.Context, instance uuid.UUID, q catalog.ListQuery, read catalog.Read) ([][]byte, catalog.Total, *catalog.Cursor, error) {
	base := representationOf(instance, uuid.Nil, read, true)
	keyOf := func(id uuid.UUID) representation { k := base; k.product = id; return k }
	kept := make(map[uuid.UUID]rendering, q.PerPage) // what the page's members were looked up to hold
	keptOf := func(id uuid.UUID) catalog.Kept {
		r, ok := kept[id]
		if !ok {
			r = s.kept(keyOf(id))
			kept[id] = r
		}
		return r.from
	}
	page, err := s.Catalog.ListKeptProducts(ctx, instance, q, read, keptOf)
	if err != nil {
		return nil, catalog.Total{}, nil, err
	}
	members := make([][]byte, 0, len(page.Checked))
	built := page.View.Products
	for _, r := range page.Checked {
		if r.Unchanged {
			members = append(members, kept[r.ID].body)
			continue
		}
		pr := built[0]
		built = built[1:]
		body, err := json.Marshal(render.Of(page.View).Product(pr, false))
		if err != nil {
			return nil, catalog.Total{}, nil, err
		}
		s.keep(keyOf(r.ID), rendering{from: r.Kept, body: body})
		members = append(members, body)
	}
	return members, page.Total, page.Next, nil
}

// listQuery reads the product list's filters, order and paging.
func listQuery(p api.ListProductsParams, r *refReader) (catalog.ListQuery, error) {
	q := catalog.ListQuery{Page: 1, PerPage: 30, Vendor: p.Vendor, Title: p.Title,
		CreatedAfter: p.CreatedAtAfter, CreatedBefore: p.CreatedAtBefore, UpdatedAfter: p.UpdatedAtAfter, UpdatedBefore: p.UpdatedAtBefore}
	if p.Page != nil {
		q.Page = *p.Page
	}
	if p.ItemsPerPage != nil {
		q.PerPage = *p.ItemsPerPage
	}
	if p.Status != nil {
		st, ok := catalog.StatusOf(iri.Statuses.Code(*p.Status))
		if !ok {
			return q, badQuery("status", "unknown status")
		}
		q.Status = &st
	}
	if p.Tags != nil {
		var vs fault.Violations
		q.Tags = catalog.ParseTags("query.tags", p.Tags, &vs)
		if err := vs.Err(); err != nil {
			return q, badQuery("tags", "too many or too long tags")
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
		return q, badQuery("order", "order by one field at a time")
	}
	if p.Cursor != nil {
		c := catalog.Cursor{} // "first": from the start
		if *p.Cursor != "first" {
			var err error
			if c, err = decodeCursor(*p.Cursor); err != nil {
				return q, err
			}
		}
		q.Cursor = &c
	}
	if p.Channel != nil {
		id, ok := iri.Channels.Parse(*p.Channel)
		if !ok {
			return q, badQuery("channel", "a channel IRI or id")
		}
		q.Channel = &id
	}
	if p.Collection != nil {
		_, byKey := iri.Collections.Key(*p.Collection)
		id, ok := iri.Collections.Parse(*p.Collection)
		if !ok && !byKey {
			return q, badQuery("collection", "a collection IRI (by id or key) or id")
		}
		id = r.of(iri.Collections)(*p.Collection) // a key that names nothing selects nothing
		q.Collection = &id
	}
	return q, nil
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
	in, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.ProductInput { return productInput(body, r) })
	if err != nil {
		return nil, err
	}
	v, err := s.Catalog.CreateProduct(ctx, t.InstanceID, locale, in)
	if err != nil {
		return nil, err
	}
	p := v.Products[0]
	location := iri.Products.Of(p.ID)
	return api.CreateProduct201ApplicationLdPlusJSONResponse{Body: render.Of(v).Product(p, true),
		Headers: api.CreateProduct201ResponseHeaders{Location: &location, ETag: precondition.RepresentationETag(p.Version, locale, "")}}, nil
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
	c, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.ProductChanges { return productChanges(req.Body, ifVersion, r) })
	if err != nil {
		return nil, err
	}
	v, err := s.Catalog.UpdateProduct(ctx, t.InstanceID, req.Id, locale, c)
	if err != nil {
		return nil, err
	}
	p := v.Products[0]
	etag := precondition.RepresentationETag(p.Version, locale, "")
	if v.Encoded != nil {
		return writtenProduct{body: v.Encoded, etag: etag}, nil
	}
	return api.UpdateProduct200ApplicationLdPlusJSONResponse{Body: render.Of(v).Product(p, true),
		Headers: api.UpdateProduct200ResponseHeaders{ETag: etag}}, nil
}

// SetProductByKey sets a product's whole state from a body in the create's shape.
func (s *Server) SetProductByKey(ctx context.Context, req api.SetProductByKeyRequestObject) (api.SetProductByKeyResponseObject, error) {
	t, locale, err := s.writing(ctx, req.Params.XFlowkiwiLocale)
	if err != nil {
		return nil, err
	}
	ifVersion, err := precondition.IfMatch(req.Params.IfMatch)
	if err != nil {
		return nil, err
	}
	body, err := requestBody(req.JSONBody, req.ApplicationLdPlusJSONBody)
	if err != nil {
		return nil, err
	}
	in, err := resolving(ctx, s, t.InstanceID, func(r *refReader) catalog.ProductInput { return productInput(body, r) })
	if err != nil {
		return nil, err
	}
	v, outcome, err := s.Catalog.SetProduct(ctx, t.InstanceID, locale, req.Key, in, ifVersion)
	if err != nil {
		return nil, err
	}
	p := v.Products[0]
	etag := precondition.RepresentationETag(p.Version, locale, "")
	if outcome == catalog.SetCreated {
		location := iri.Products.Of(p.ID)
		return api.SetProductByKey201ApplicationLdPlusJSONResponse{Body: render.Of(v).Product(p, true),
			Headers: api.SetProductByKey201ResponseHeaders{Location: &location, ETag: etag}}, nil
	}
	if v.Encoded != nil {
		return writtenProduct{body: v.Encoded, etag: etag}, nil
	}
	return api.SetProductByKey200ApplicationLdPlusJSONResponse{Body: render.Of(v).Product(p, true),
		Headers: api.SetProductByKey200ResponseHeaders{ETag: etag}}, nil
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

func productInput(b *api.ProductCreate, r *refReader) catalog.ProductInput {
	in := catalog.ProductInput{Key: optional(b.Key), Vendor: optional(b.Vendor), ProductTexts: createTexts(b), Tags: optional(b.Tags)}
	if b.Status != nil {
		in.Status = iri.Statuses.Code(*b.Status)
	}
	if b.Options != nil {
		for _, o := range *b.Options {
			in.Options = append(in.Options, catalog.OptionInput{Name: o.Name, Values: o.Values})
		}
	}
	if b.Variants != nil {
		for _, v := range *b.Variants {
			in.Variants = append(in.Variants, variantInput(v, r))
		}
	}
	if b.Channels != nil {
		in.Channels = ids(*b.Channels, func(a api.ChannelAssignment) string { return a.Channel }, r.of(iri.Channels))
	}
	if b.Collections != nil {
		in.Collections = ids(*b.Collections, func(a api.CollectionAssignment) string { return a.Collection }, r.of(iri.Collections))
	}
	if b.Medias != nil {
		for _, m := range *b.Medias {
			in.Medias = append(in.Medias, mediaChange(m))
		}
	}
	if c := optional(b.Category); c != nil {
		id := r.of(iri.Categories)(*c)
		in.Category = &id
	}
	if b.AttributeValues != nil {
		in.Values = valueInputs(*b.AttributeValues, r)
	}
	return in
}

func productChanges(b *api.ProductPatch, ifVersion int64, r *refReader) catalog.ProductChanges {
	c := catalog.ProductChanges{Key: patch(b.Key), Vendor: textPatch(b.Vendor), ProductTextChanges: patchTexts(b),
		Category: refPatch(b.Category, r.of(iri.Categories)), IfVersion: ifVersion}
	if b.Status != nil {
		code := iri.Statuses.Code(*b.Status)
		c.Status = &code
	}
	if b.Tags.IsSpecified() {
		tags := ""
		if t := optional(b.Tags); t != nil {
			tags = *t
		}
		c.Tags = &tags
	}
	if b.Channels != nil {
		list := ids(*b.Channels, func(a api.ChannelAssignment) string { return a.Channel }, r.of(iri.Channels))
		c.Channels = &list
	}
	if b.Collections != nil {
		list := ids(*b.Collections, func(a api.CollectionAssignment) string { return a.Collection }, r.of(iri.Collections))
		c.Collections = &list
	}
	if b.Medias != nil {
		list := ids(*b.Medias, func(a api.MediaAssignment) string { return a.Media }, iri.Medias.ID)
		c.Medias = &list
	}
	if b.AttributeValues != nil {
		values := valueInputs(*b.AttributeValues, r)
		c.Values = &values
	}
	return c
}

package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/piprate/json-gold/ld"

	"github.com/flowkiwi/platform/pkg/apitest"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/testenv"
)

const (
	hydraNS   = "http://www.w3.org/ns/hydra/core#"
	docsLink  = `</rest/api/docs.jsonld>; rel="http://www.w3.org/ns/hydra/core#apiDocumentation"`
	jsonLDCtx = "application/ld+json"
)

// ldTypes are the types documents name as their @context (grep render.Context( and iri.Context().
var ldTypes = []string{"Product", "Variant", "ProductOption", "OptionValue", "Status", "Locale", "Channel", "Country", "Price",
	"Collection", "Media", "Attribute", "Category", "MetaobjectDefinition", "Metaobject", "Metafield", "Error", "ConstraintViolation", "Entrypoint"}

// processor expands documents of one world with json-gold, a JSON-LD 1.1 processor. Documents are
// addressed as a client sees them (http://{handle}.{base domain}/...); its loader fetches their
// contexts from the test server under that host, through a client that validates every response
// against the spec.
type processor struct {
	t      testing.TB
	pm     *testenv.PM
	origin string // http://acme-eu.product-management.test
	client *http.Client

	mu      sync.Mutex
	fetched map[string]int
}

func newProcessor(t testing.TB, w *world) *processor {
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	return &processor{t: t, pm: w.pm, origin: "http://" + w.handle + "." + testenv.BaseDomain,
		client: apitest.NewValidatingTransport(t, doc).Client(), fetched: map[string]int{}}
}

// vocab is the vocabulary of the documents: the API documentation on the instance's host.
func (p *processor) vocab() string { return p.origin + "/rest/api/docs.jsonld#" }

// LoadDocument fetches a context: no token, no organization, the host of its IRI.
func (p *processor) LoadDocument(u string) (*ld.RemoteDocument, error) {
	parsed, err := url.Parse(u)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodGet, p.pm.URL+parsed.RequestURI(), nil)
	if err != nil {
		return nil, err
	}
	req.Host = parsed.Host
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != jsonLDCtx {
		p.t.Errorf("context %s: %d %s", u, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.fetched[parsed.Path]++
	p.mu.Unlock()
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// expand expands body, a document read at path, with the request URL as its base IRI.
func (p *processor) expand(path string, body []byte) []any {
	p.t.Helper()
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		p.t.Fatalf("%s: %v", path, err)
	}
	opts := ld.NewJsonLdOptions(p.origin + path)
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = p
	out, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		p.t.Fatalf("expand %s: %v\n%s", path, err, body)
	}
	if len(out) != 1 {
		p.t.Fatalf("expand %s: %d top nodes, want 1", path, len(out))
	}
	return out
}

// check holds an expansion to the compact document it came from: every @id is kept (absolute),
// every @type is a class of the vocabulary (or Hydra's), every property is a term of the
// vocabulary (or Hydra's), and every relation (a string naming /rest/api/...) is a node reference,
// never a literal. It returns the expanded top node.
func (p *processor) check(path string, body []byte) map[string]any {
	p.t.Helper()
	out := p.expand(path, body)
	var compact any
	_ = json.Unmarshal(body, &compact)
	ids, types, literals, props := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	walk(out, func(key string, v any) {
		switch key {
		case "@id":
			ids[v.(string)] = true
		case "@type":
			types[v.(string)] = true
		case "@value":
			if s, ok := v.(string); ok {
				literals[s] = true
			}
		case "":
		default:
			if !strings.HasPrefix(key, "@") {
				props[key] = true
			}
		}
	})
	abs := func(iri string) string {
		if strings.HasPrefix(iri, "_:") {
			return iri
		}
		return p.origin + iri
	}
	walk(compact, func(key string, v any) {
		s, ok := v.(string)
		if !ok || key == "@context" {
			return
		}
		switch {
		case key == "@id":
			if !ids[abs(s)] {
				p.t.Errorf("%s: @id %s lost in the expansion", path, s)
			}
		case key == "@type":
			want := p.vocab() + s
			if strings.HasPrefix(s, "hydra:") {
				want = hydraNS + strings.TrimPrefix(s, "hydra:")
			} else if slices.Contains([]string{"PartialCollectionView", "IriTemplate", "IriTemplateMapping"}, s) {
				want = hydraNS + s
			}
			if !types[want] {
				p.t.Errorf("%s: @type %s did not expand to %s", path, s, want)
			}
		case strings.HasPrefix(s, "/rest/api/") && !slices.Contains(literalKeys, key):
			if !ids[abs(s)] || literals[s] || literals[abs(s)] {
				p.t.Errorf("%s: %s %s is not a node reference in the expansion", path, key, s)
			}
		}
	})
	for prop := range props {
		if !strings.HasPrefix(prop, p.vocab()) && !strings.HasPrefix(prop, hydraNS) {
			p.t.Errorf("%s: property %s is outside the vocabulary", path, prop)
		}
	}
	return out[0].(map[string]any)
}

var rfc6570Varname = regexp.MustCompile(`^(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+(?:\.(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})+)*$`)

// literalKeys hold strings that may name /rest/api/... and are rightly literals: a search template,
// a problem's instance (the request path), a metafield's value (a reference metafield's value is the
// metaobject's IRI as text; the reference itself is its metaobjects).
var literalKeys = []string{"template", "instance", "value"}

// walk calls f with every member (key, value) of every object in v (once per type of an expanded
// @type), and "" for array elements that are not objects. It does not look into contexts and JSON
// literals.
func walk(v any, f func(key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if types, ok := x.([]any); ok && k == "@type" {
				for _, t := range types {
					f(k, t)
				}
				continue
			}
			f(k, x)
			if k != "@context" && !(k == "@value" && v["@type"] == "@json") {
				walk(x, f)
			}
		}
	case []any:
		for _, x := range v {
			if _, ok := x.(map[string]any); !ok {
				f("", x)
			}
			walk(x, f)
		}
	}
}

// values are the values of prop (a vocabulary or Hydra term) of an expanded node.
func (p *processor) values(node map[string]any, prop string) []map[string]any {
	p.t.Helper()
	key := p.vocab() + prop
	if strings.HasPrefix(prop, "hydra:") {
		key = hydraNS + strings.TrimPrefix(prop, "hydra:")
	}
	list, _ := node[key].([]any)
	out := make([]map[string]any, len(list))
	for i, x := range list {
		out[i], _ = x.(map[string]any)
	}
	return out
}

func (p *processor) expectType(node map[string]any, typ string) {
	p.t.Helper()
	if got, _ := node["@type"].([]any); len(got) != 1 || got[0] != typ {
		p.t.Errorf("%v: @type = %v, want %s", node["@id"], node["@type"], typ)
	}
}

func iriOf[T any](t testing.TB, items []T, as func(T) (string, error)) []string {
	t.Helper()
	out := make([]string, len(items))
	for i, it := range items {
		s, err := as(it)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = s
	}
	return out
}

// TestJSONLDExpansion: a JSON-LD processor expands every kind of document (a product with
// everything embedded, a paged list with its search template, a channel, the statuses, a 404 and a
// 422 problem, the entrypoint and the API documentation), keeping ids and types.
func TestJSONLDExpansion(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	p := newProcessor(t, w)
	created := w.richProduct(t, "LD", 2, w.metaobject(t, "Ada"))
	w.create(t, w.c, tshirt("LD2", 1))
	channels := iriOf(t, *created.Channels, pm.ChannelOrIri.AsIri)

	t.Run("product with every expansion", func(t *testing.T) {
		expand := "variants,options,optionValues,medias,category,collections,channels,metafields,metaobject"
		resp, err := w.c.GetProductWithResponse(ctx, created.Id, &pm.GetProductParams{Expand: &expand,
			ResolveContextChannel: &channels[0], ResolveContextCountry: ptr("DE")})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		path := "/rest/api/products/" + created.Id.String() + "?" + url.Values{"expand": {expand},
			"resolveContext[channel]": {channels[0]}, "resolveContext[country]": {"DE"}}.Encode()
		node := p.check(path, resp.Body)
		if node["@id"] != p.origin+created.LdID {
			t.Errorf("@id = %v, want %s", node["@id"], p.origin+created.LdID)
		}
		p.expectType(node, p.vocab()+"Product")
		if st := p.values(node, "Product/status"); len(st) != 1 || len(st[0]) != 1 || st[0]["@id"] != p.origin+"/rest/api/statuses/draft" {
			t.Errorf("status = %v, want a reference", st)
		}
		variants := p.values(node, "Product/variants")
		want := iriOf(t, created.Variants, pm.VariantOrIri.AsIri)
		if len(variants) != len(want) {
			t.Fatalf("%d variants, want %d", len(variants), len(want))
		}
		for i, v := range variants {
			if v["@id"] != p.origin+want[i] && !slices.Contains(want, strings.TrimPrefix(v["@id"].(string), p.origin)) {
				t.Errorf("variant @id = %v, want one of %v", v["@id"], want)
			}
			p.expectType(v, p.vocab()+"Variant")
			if ref := p.values(v, "Variant/product"); len(ref) != 1 || ref[0]["@id"] != node["@id"] {
				t.Errorf("variant product = %v", ref)
			}
			if price := p.values(v, "Variant/resolvedPrice"); len(price) != 1 || len(p.values(price[0], "ResolvedPrice/price")) != 1 {
				t.Errorf("variant resolvedPrice = %v, want one with a price reference", price)
			}
			if mf := p.values(v, "Variant/metafields"); len(mf) != 1 || len(p.values(mf[0], "Metafield/metaobjects")) != 1 {
				t.Errorf("variant metafields = %v, want one with its metaobject", mf)
			}
		}
		for prop, typ := range map[string]string{"Product/options": "ProductOption", "Product/channels": "Channel", "Product/collections": "Collection",
			"Product/medias": "Media", "Product/category": "Category", "Product/metafields": "Metafield"} {
			embedded := p.values(node, prop)
			if len(embedded) == 0 {
				t.Errorf("%s: nothing embedded", prop)
			}
			for _, e := range embedded {
				p.expectType(e, p.vocab()+typ)
			}
		}
		values := p.values(p.values(node, "Product/options")[0], "ProductOption/values")
		if len(values) == 0 || len(p.values(values[0], "OptionValue/option")) != 1 {
			t.Errorf("option values = %v, want embedded values with their option", values)
		}
		fields := p.values(p.values(p.values(node, "Product/metafields")[0], "Metafield/metaobjects")[0], "Metaobject/fields")
		if len(fields) != 1 || fields[0]["@type"] != "@json" {
			t.Errorf("metaobject fields = %v, want a JSON literal", fields)
		}
	})

	t.Run("product list with paging and search", func(t *testing.T) {
		resp, err := w.c.ListProductsWithResponse(ctx, &pm.ListProductsParams{ItemsPerPage: ptr(1), Page: ptr(1)})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		// The template is RFC 6570: varname = varchar *( ["."] varchar ), varchar = ALPHA / DIGIT / "_" / pct-encoded.
		s := resp.ApplicationldJSON200.Search
		open, end := strings.Index(s.Template, "{?"), strings.LastIndex(s.Template, "}")
		if open < 0 || end != len(s.Template)-1 {
			t.Fatalf("template %s", s.Template)
		}
		names := strings.Split(s.Template[open+2:end], ",")
		for _, n := range names {
			if !rfc6570Varname.MatchString(n) {
				t.Errorf("template variable %q is not an RFC 6570 varname", n)
			}
		}
		for _, m := range s.Mapping {
			if !slices.Contains(names, m.Variable) {
				t.Errorf("mapping variable %q is not in the template", m.Variable)
			}
			if u, err := url.QueryUnescape(m.Variable); err != nil || (m.Variable != u) != strings.ContainsAny(u, "[]") {
				t.Errorf("mapping variable %q should be the parameter's name with only [ and ] pct-encoded", m.Variable)
			}
		}
		node := p.check("/rest/api/products?itemsPerPage=1&page=1", resp.Body)
		p.expectType(node, hydraNS+"Collection")
		if n := p.values(node, "hydra:totalItems"); len(n) != 1 || n[0]["@value"] != float64(2) {
			t.Errorf("totalItems = %v", n)
		}
		members := p.values(node, "hydra:member")
		if len(members) != 1 {
			t.Fatalf("members = %v", members)
		}
		p.expectType(members[0], p.vocab()+"Product")
		view := p.values(node, "hydra:view")
		if len(view) != 1 || len(p.values(view[0], "hydra:next")) != 1 {
			t.Fatalf("view = %v, want a next page", view)
		}
		p.expectType(view[0], hydraNS+"PartialCollectionView")
		search := p.values(node, "hydra:search")
		if len(search) != 1 {
			t.Fatalf("search = %v", search)
		}
		p.expectType(search[0], hydraNS+"IriTemplate")
		tpl := p.values(search[0], "hydra:template")
		if len(tpl) != 1 || tpl[0]["@type"] != hydraNS+"Rfc6570Template" || !strings.Contains(tpl[0]["@value"].(string), "order%5BcreatedAt%5D") {
			t.Errorf("template = %v", tpl)
		}
		if r := p.values(search[0], "hydra:variableRepresentation"); len(r) != 1 || r[0]["@id"] != hydraNS+"BasicRepresentation" {
			t.Errorf("variableRepresentation = %v", r)
		}
		props := map[string]string{}
		for _, m := range p.values(search[0], "hydra:mapping") {
			p.expectType(m, hydraNS+"IriTemplateMapping")
			v := p.values(m, "hydra:variable")[0]["@value"].(string)
			if prop := p.values(m, "hydra:property"); len(prop) == 1 {
				props[v] = prop[0]["@id"].(string)
			}
		}
		for v, prop := range map[string]string{"createdAt%5Bafter%5D": "Product/createdAt", "order%5Btitle%5D": "Product/title", "collection": "Product/collections", "status": "Product/status"} {
			if props[v] != p.vocab()+prop {
				t.Errorf("mapping %s -> property %q, want %s", v, props[v], p.vocab()+prop)
			}
		}
	})

	t.Run("channel", func(t *testing.T) {
		id := uuid.MustParse(channels[0][strings.LastIndex(channels[0], "/")+1:])
		resp, err := w.c.GetChannelWithResponse(ctx, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		node := p.check(channels[0], resp.Body)
		p.expectType(node, p.vocab()+"Channel")
		if node["@id"] != p.origin+channels[0] {
			t.Errorf("@id = %v", node["@id"])
		}
	})

	t.Run("statuses", func(t *testing.T) {
		resp, err := w.c.ListStatusesWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		node := p.check("/rest/api/statuses", resp.Body)
		members := p.values(node, "hydra:member")
		if len(members) != 3 {
			t.Fatalf("members = %v", members)
		}
		for _, m := range members {
			p.expectType(m, p.vocab()+"Status")
			if code := p.values(m, "Status/code"); len(code) != 1 || m["@id"] != p.origin+"/rest/api/statuses/"+code[0]["@value"].(string) {
				t.Errorf("status %v", m)
			}
		}
	})

	t.Run("problems", func(t *testing.T) {
		missing := uuid.New()
		nf, err := w.c.GetProductWithResponse(ctx, missing, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, nf, 404, "")
		if nf.HTTPResponse.Header.Get("Link") != docsLink {
			t.Errorf("404 Link = %q", nf.HTTPResponse.Header.Get("Link"))
		}
		node := p.check("/rest/api/products/"+missing.String(), nf.Body)
		p.expectType(node, p.vocab()+"Error")
		if id, _ := node["@id"].(string); !strings.HasPrefix(id, "_:") {
			t.Errorf("problem @id = %v, want a blank node", node["@id"])
		}
		if st := p.values(node, "Error/status"); len(st) != 1 || st[0]["@value"] != float64(404) {
			t.Errorf("status = %v", st)
		}

		bad, err := w.c.CreateProductWithBodyWithResponse(ctx, nil, "application/ld+json", strings.NewReader(`{"status":"nope"}`))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, bad, 422, "status")
		node = p.check("/rest/api/products", bad.Body)
		p.expectType(node, p.vocab()+"ConstraintViolation")
		v := p.values(node, "ConstraintViolation/violations")
		if len(v) == 0 || len(p.values(v[0], "Violation/propertyPath")) != 1 {
			t.Errorf("violations = %v", v)
		}
	})

	t.Run("entrypoint and documentation", func(t *testing.T) {
		anon := w.pm.Client(nil, "no-such-instance", uuid.Nil)
		entry, err := anon.GetEntrypointWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, entry, 200)
		node := p.check("/rest/api", entry.Body)
		p.expectType(node, p.vocab()+"Entrypoint")
		if ref := p.values(node, "Entrypoint/products"); len(ref) != 1 || ref[0]["@id"] != p.origin+"/rest/api/products" {
			t.Errorf("entrypoint products = %v", ref)
		}

		docs, err := anon.GetApiDocumentationWithResponse(ctx, func(_ context.Context, r *http.Request) error {
			r.Host = w.handle + "." + testenv.BaseDomain
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, docs, 200)
		out := p.expand("/rest/api/docs.jsonld", docs.Body)
		top := out[0].(map[string]any)
		if top["@id"] != p.origin+"/rest/api/docs.jsonld" {
			t.Errorf("docs @id = %v", top["@id"])
		}
		p.expectType(top, hydraNS+"ApiDocumentation")
		classes := map[string]map[string]any{}
		for _, c := range p.values(top, "hydra:supportedClass") {
			classes[c["@id"].(string)] = c
		}
		for _, typ := range ldTypes {
			// A class of the documentation is the very IRI the documents' @type expands to.
			c, ok := classes[p.vocab()+typ]
			if !ok {
				t.Errorf("no class %s in the documentation", p.vocab()+typ)
				continue
			}
			p.expectType(c, hydraNS+"Class")
			if len(p.values(c, "hydra:supportedProperty")) == 0 {
				t.Errorf("class %s has no properties", typ)
			}
		}
		var title map[string]any
		for _, sp := range p.values(classes[p.vocab()+"Product"], "hydra:supportedProperty") {
			if prop := p.values(sp, "hydra:property"); len(prop) == 1 && prop[0]["@id"] == p.vocab()+"Product/title" {
				title = sp
			}
		}
		if title == nil {
			t.Fatal("Product has no supported property Product/title")
		}
		if w := p.values(title, "hydra:writeable"); len(w) != 1 || w[0]["@value"] != true {
			t.Errorf("Product/title writeable = %v", w)
		}
		var methods []string
		for _, op := range p.values(classes[p.vocab()+"Product"], "hydra:supportedOperation") {
			methods = append(methods, p.values(op, "hydra:method")[0]["@value"].(string))
		}
		for _, m := range []string{"GET", "POST", "PATCH", "DELETE"} {
			if !slices.Contains(methods, m) {
				t.Errorf("Product operations %v lack %s", methods, m)
			}
		}
	})

	// Every context was fetched, and once per type would do: they are the same for every document.
	for _, typ := range []string{"Product", "Channel", "Status", "Error", "ConstraintViolation", "Entrypoint"} {
		if p.fetched["/rest/api/contexts/"+typ] == 0 {
			t.Errorf("the context of %s was never fetched", typ)
		}
	}
}

// TestJSONLDPublicDocuments: contexts, documentation and entrypoint answer without a token or an
// organization on any host, an unknown type is a 404 problem, and every response links the
// documentation.
func TestJSONLDPublicDocuments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	host := func(h string) pm.RequestEditorFn {
		return func(_ context.Context, r *http.Request) error { r.Host = h; return nil }
	}
	anon := w.pm.Client(nil, "", uuid.Nil)

	for _, h := range []string{"shop.example.com", "127.0.0.1", "nobody-here." + testenv.BaseDomain} {
		resp, err := anon.GetJsonLdContextWithResponse(ctx, "Product", host(h))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if ct := resp.HTTPResponse.Header.Get("Content-Type"); ct != jsonLDCtx {
			t.Errorf("%s: Content-Type %q", h, ct)
		}
		if l := resp.HTTPResponse.Header.Get("Link"); l != docsLink {
			t.Errorf("%s: Link %q", h, l)
		}
		c := resp.ApplicationldJSON200.LdContext
		if c["@vocab"] != "http://"+h+"/rest/api/docs.jsonld#" || c["hydra"] != hydraNS {
			t.Errorf("%s: @vocab %v, hydra %v", h, c["@vocab"], c["hydra"])
		}
		if c["title"] != "Product/title" {
			t.Errorf("%s: title = %v", h, c["title"])
		}
		for term, want := range map[string]string{"status": "@id", "variants": "@id", "options": "@id", "channels": "@id", "category": "@id", "member": "@id"} {
			if def, _ := c[term].(map[string]any); def == nil || def["@type"] != want {
				t.Errorf("%s: %s = %v, want @type %s", h, term, c[term], want)
			}
		}
		if def, _ := c["member"].(map[string]any); def == nil || def["@id"] != "hydra:member" {
			t.Errorf("member = %v", c["member"])
		}
	}
	for _, typ := range ldTypes {
		resp, err := anon.GetJsonLdContextWithResponse(ctx, typ)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if _, ok := resp.ApplicationldJSON200.LdContext["@vocab"]; !ok {
			t.Errorf("%s: no @vocab", typ)
		}
	}

	t.Run("unknown type", func(t *testing.T) {
		resp, err := anon.GetJsonLdContextWithResponse(ctx, "Nope")
		if err != nil {
			t.Fatal(err)
		}
		p := expectProblem(t, resp, 404, "")
		if p.LdType == nil || *p.LdType != "Error" || resp.HTTPResponse.Header.Get("Link") != docsLink {
			t.Errorf("problem %s, Link %q", resp.Body, resp.HTTPResponse.Header.Get("Link"))
		}
		bad, err := anon.GetJsonLdContextWithResponse(ctx, "Pro-duct")
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, bad, 400, "path.type")
	})

	t.Run("documentation and entrypoint", func(t *testing.T) {
		docs, err := anon.GetApiDocumentationWithResponse(ctx, host("shop.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, docs, 200)
		d := docs.ApplicationldJSON200
		if d.LdType != "hydra:ApiDocumentation" || d.LdID != "/rest/api/docs.jsonld" || d.HydraEntrypoint == nil || *d.HydraEntrypoint != "/rest/api" ||
			d.LdContext["@vocab"] != "http://shop.example.com/rest/api/docs.jsonld#" {
			t.Errorf("documentation = %.500s", docs.Body)
		}
		entry, err := anon.GetEntrypointWithResponse(ctx, host("shop.example.com"))
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, entry, 200)
		// Every link of the entrypoint is a collection the owner can read.
		var links map[string]any
		_ = json.Unmarshal(entry.Body, &links)
		doc, _ := api.GetSpec()
		client := apitest.NewValidatingTransport(t, doc).Client()
		for k, v := range links {
			if strings.HasPrefix(k, "@") {
				continue
			}
			req, _ := http.NewRequest(http.MethodGet, w.pm.URL+v.(string), nil)
			req.Host = w.handle + "." + testenv.BaseDomain
			req.Header.Set("Authorization", "Bearer "+w.owner.Token)
			req.Header.Set("X-Flowkiwi-Organization-Id", w.org.String())
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("entrypoint %s: GET %s answered %d", k, v, resp.StatusCode)
			}
		}
	})

	t.Run("Link on tenant responses", func(t *testing.T) {
		resp, err := w.c.ListStatusesWithResponse(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if l := resp.HTTPResponse.Header.Get("Link"); l != docsLink {
			t.Errorf("Link %q", l)
		}
		// A tenant operation still wants its token.
		noToken, err := anon.ListStatusesWithResponse(ctx, nil, host(w.handle+"."+testenv.BaseDomain))
		if err != nil {
			t.Fatal(err)
		}
		expectProblem(t, noToken, 401, "")
		if l := noToken.HTTPResponse.Header.Get("Link"); l != docsLink {
			t.Errorf("401 Link %q", l)
		}
	})
}

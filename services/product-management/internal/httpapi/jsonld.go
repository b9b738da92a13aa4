package httpapi

// JSON-LD and Hydra beside the resources: the context of every document type
// (/rest/api/contexts/{type}), the Hydra API documentation that is their vocabulary
// (/rest/api/docs.jsonld), the entrypoint (/rest/api), and the Link header that points every
// response at the documentation. Contexts and documentation are derived once, at start-up, from the
// embedded spec: a document type is a component schema with a string @context (plus the problem
// types), its terms are its properties, relations are the properties whose schema is Iri or
// NullableIri (alone, as list items, or in a composition), and what a property can embed brings its
// own terms as a property-scoped context.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/iri"
)

const (
	hydraNS = "http://www.w3.org/ns/hydra/core#"
	// vocabMark stands for the vocabulary in the prepared documents; each response replaces it with
	// the absolute IRI of the documentation on the requested host (as API Platform does: JSON-LD
	// 1.0 processors need an absolute @vocab, and some 1.1 ones drop the '#' of a relative one).
	vocabMark = "urn:x-flowkiwi:vocab#"
	// docsLink is the Link header of every response (Hydra API documentation discovery).
	docsLink = "<" + iri.Docs + `>; rel="` + hydraNS + `apiDocumentation"`
)

// problemTypes are the document types of problem documents (jsonLD in errors.go) and the schema
// that describes them.
var problemTypes = map[string]string{"Error": "common_Problem", "ConstraintViolation": "common_Problem"}

// hydraClasses are the Hydra classes documents name by their short name: the @type of views,
// search templates and their mappings, and the variable representation.
var hydraClasses = []string{"PartialCollectionView", "IriTemplate", "IriTemplateMapping", "BasicRepresentation"}

// hydraCoercions are the value types of the Hydra properties, as in Hydra's own context.
var hydraCoercions = map[string]string{
	"member": "@id", "view": "@id", "first": "@id", "last": "@id", "next": "@id", "previous": "@id",
	"property": "@vocab", "variableRepresentation": "@vocab", "template": "hydra:Rfc6570Template",
}

// linkedData holds the prepared documents, each with vocabMark for the vocabulary.
type linkedData struct {
	contexts map[string][]byte // document type -> {"@context": {...}}
	docs     []byte
}

// newLinkedData derives the contexts and the API documentation from the spec.
func newLinkedData(doc *openapi3.T) (*linkedData, error) {
	d := &deriver{doc: doc, schemas: map[string]*openapi3.Schema{}, names: map[*openapi3.Schema]string{},
		types: map[string]*openapi3.Schema{}, lists: map[string][]string{}}
	for name, ref := range doc.Components.Schemas {
		d.schemas[name], d.names[ref.Value] = ref.Value, name
	}
	for name, s := range d.schemas {
		if c := s.Properties["@context"]; c != nil && c.Value.Type.Is("string") && !strings.HasPrefix(name, "common_") {
			if m := s.Properties["member"]; m != nil {
				if m.Value.Items != nil {
					of := d.name(m.Value.Items)
					d.lists[of] = append(d.lists[of], name)
				}
				continue
			}
			d.types[name] = s
		}
	}
	for typ, schema := range problemTypes {
		s, ok := d.schemas[schema]
		if !ok {
			return nil, fmt.Errorf("jsonld: no schema %s for %s", schema, typ)
		}
		d.types[typ] = s
	}
	ld := &linkedData{contexts: map[string][]byte{}}
	for typ := range d.types {
		ctx, err := d.context(typ)
		if err != nil {
			return nil, err
		}
		if ld.contexts[typ], err = json.Marshal(map[string]any{"@context": ctx}); err != nil {
			return nil, err
		}
	}
	var err error
	if ld.docs, err = json.Marshal(d.documentation()); err != nil {
		return nil, err
	}
	return ld, nil
}

// deriver reads the JSON-LD vocabulary off the spec.
type deriver struct {
	doc     *openapi3.T
	schemas map[string]*openapi3.Schema // component schemas by name
	names   map[*openapi3.Schema]string
	types   map[string]*openapi3.Schema // document types (Product, Error...) and their schema
	lists   map[string][]string         // document type -> the collections of it (ProductCollection)
}

// name is the component name of the schema ref stands for, or "" for an inline schema.
func (d *deriver) name(ref *openapi3.SchemaRef) string {
	if i := strings.LastIndex(ref.Ref, "/"); i >= 0 {
		return ref.Ref[i+1:]
	}
	return d.names[ref.Value]
}

// isIRI reports whether ref's values are IRIs: the Iri or NullableIri schema, a list of them, or a
// composition (oneOf, anyOf, allOf) with one of them.
func (d *deriver) isIRI(ref *openapi3.SchemaRef) bool {
	if n := d.name(ref); n == "Iri" || n == "NullableIri" {
		return true
	}
	s := ref.Value
	if s.Items != nil && d.isIRI(s.Items) {
		return true
	}
	return slices.ContainsFunc(slices.Concat(s.AllOf, s.OneOf, s.AnyOf), d.isIRI)
}

// embedded lists the object schemas (with properties) ref's values can be: itself, its items, the
// alternatives of a composition.
func (d *deriver) embedded(ref *openapi3.SchemaRef) []*openapi3.SchemaRef {
	s := ref.Value
	if len(s.Properties) > 0 {
		return []*openapi3.SchemaRef{ref}
	}
	var out []*openapi3.SchemaRef
	if s.Items != nil {
		out = append(out, d.embedded(s.Items)...)
	}
	for _, c := range slices.Concat(s.AllOf, s.OneOf, s.AnyOf) {
		out = append(out, d.embedded(c)...)
	}
	return out
}

// opaque reports whether s declares nothing of its values (any JSON, or an object of undeclared
// members such as a metaobject's fields): they are JSON literals.
func opaque(s *openapi3.Schema) bool {
	if len(s.Properties) > 0 || s.Items != nil || len(s.AllOf)+len(s.OneOf)+len(s.AnyOf) > 0 {
		return false
	}
	return s.Type.IsEmpty() || s.Type.Is("object")
}

// hydra reports whether the properties of the schema named name are Hydra's (collections, views,
// search templates).
func (d *deriver) hydra(name string) bool {
	if strings.HasPrefix(name, "Hydra") {
		return true
	}
	for _, lists := range d.lists {
		if slices.Contains(lists, name) {
			return true
		}
	}
	return false
}

// terms defines the properties of s, of class class: "class/property" under the vocabulary (or
// hydra:property for Hydra's), coerced to IRIs for relations, with the terms of what they embed as
// a scoped context. outer holds the schemas whose terms are already in scope.
func (d *deriver) terms(class string, s *openapi3.Schema, outer []*openapi3.Schema) (map[string]any, error) {
	out := map[string]any{}
	hydra := d.hydra(class)
	for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
		if strings.HasPrefix(p, "@") {
			continue
		}
		ref := s.Properties[p]
		def := map[string]any{"@id": class + "/" + p}
		if hydra {
			def["@id"] = "hydra:" + p
			if t, ok := hydraCoercions[p]; ok {
				def["@type"] = t
			}
		}
		switch {
		case d.isIRI(ref):
			def["@type"] = "@id"
		case opaque(ref.Value):
			def["@type"] = "@json"
		}
		scoped := map[string]any{}
		for _, e := range d.embedded(ref) {
			if slices.Contains(outer, e.Value) {
				continue // its terms are in scope already
			}
			n := d.name(e)
			if n == "" {
				n = class + "/" + p
			}
			t, err := d.terms(strings.TrimPrefix(n, "common_"), e.Value, append(slices.Clone(outer), e.Value))
			if err != nil {
				return nil, err
			}
			if err := merge(scoped, t, class+"/"+p); err != nil {
				return nil, err
			}
		}
		if len(scoped) > 0 {
			def["@context"] = scoped
		}
		if len(def) == 1 {
			out[p] = def["@id"]
		} else {
			out[p] = def
		}
	}
	return out, nil
}

// merge adds the terms of from to into, refusing a term defined differently in both.
func merge(into, from map[string]any, where string) error {
	for k, v := range from {
		if have, ok := into[k]; ok && !reflect.DeepEqual(have, v) {
			return fmt.Errorf("jsonld: term %q has two meanings in %s", k, where)
		}
		into[k] = v
	}
	return nil
}

// context is the JSON-LD context of the documents of typ: the base (version, vocabulary, Hydra),
// the terms of the type, and those of its collections.
func (d *deriver) context(typ string) (map[string]any, error) {
	ctx := map[string]any{"@version": 1.1, "@vocab": vocabMark, "hydra": hydraNS}
	if len(d.lists[typ]) > 0 {
		for _, c := range hydraClasses {
			ctx[c] = "hydra:" + c
		}
	}
	s := d.types[typ]
	t, err := d.terms(typ, s, []*openapi3.Schema{s})
	if err != nil {
		return nil, err
	}
	if err := merge(ctx, t, typ); err != nil {
		return nil, err
	}
	for _, list := range d.lists[typ] {
		l := d.schemas[list]
		t, err := d.terms(list, l, []*openapi3.Schema{s, l})
		if err != nil {
			return nil, err
		}
		if err := merge(ctx, t, typ); err != nil {
			return nil, err
		}
	}
	return ctx, nil
}

// operation is one operation of the spec and the document type it serves.
type operation struct {
	path, method string
	op           *openapi3.Operation
	class        string
	list         bool // it answers a collection of class
}

// operations lists the spec's operations that serve a document type, by path and method.
func (d *deriver) operations() []operation {
	var out []operation
	paths := d.doc.Paths.Map()
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item := paths[path]
		ops := item.Operations()
		for _, method := range slices.Sorted(maps.Keys(ops)) {
			class, list := d.answers(ops[method])
			if class == "" && item.Get != nil {
				class, list = d.answers(item.Get) // DELETE: the class of what the path serves
				list = list && method == http.MethodGet
			}
			if class != "" {
				out = append(out, operation{path: path, method: method, op: ops[method], class: class, list: list})
			}
		}
	}
	return out
}

// answers is the document type op answers (list: a collection of it), or "".
func (d *deriver) answers(op *openapi3.Operation) (class string, list bool) {
	for _, status := range slices.Sorted(maps.Keys(op.Responses.Map())) {
		if !strings.HasPrefix(status, "2") {
			continue
		}
		mt := op.Responses.Value(status).Value.Content.Get("application/ld+json")
		if mt == nil || mt.Schema == nil {
			continue
		}
		n := d.name(mt.Schema)
		if _, ok := d.types[n]; ok {
			return n, false
		}
		for of, lists := range d.lists {
			if slices.Contains(lists, n) {
				return of, true
			}
		}
	}
	return "", false
}

// rangeOf is the rdfs:range of a property: the class it embeds, or the XML Schema type of its
// values; "" when unknown (a bare IRI, a nested object).
func (d *deriver) rangeOf(ref *openapi3.SchemaRef) string {
	for _, e := range d.embedded(ref) {
		if n := d.name(e); d.types[n] != nil {
			return iri.Class(n)
		}
	}
	s := ref.Value
	switch {
	case d.isIRI(ref):
		return ""
	case s.Items != nil:
		return d.rangeOf(s.Items)
	case len(s.AllOf) == 1:
		return d.rangeOf(s.AllOf[0])
	case s.Type.Is("string") && s.Format == "date-time":
		return "xmls:dateTime"
	case s.Type.Is("string") && s.Format == "date":
		return "xmls:date"
	case s.Type.Is("string"):
		return "xmls:string"
	case s.Type.Is("integer"):
		return "xmls:integer"
	case s.Type.Is("number"):
		return "xmls:decimal"
	case s.Type.Is("boolean"):
		return "xmls:boolean"
	}
	return ""
}

// documentation is the Hydra API documentation: a class per document type with its properties
// and operations.
func (d *deriver) documentation() map[string]any {
	ops := d.operations()
	writable := map[string]map[string]bool{}
	for _, o := range ops {
		if o.op.RequestBody == nil || o.op.RequestBody.Value == nil {
			continue
		}
		for _, mt := range o.op.RequestBody.Value.Content {
			if mt.Schema == nil {
				continue
			}
			if writable[o.class] == nil {
				writable[o.class] = map[string]bool{}
			}
			for p := range mt.Schema.Value.Properties {
				writable[o.class][p] = true
			}
		}
	}
	var classes []any
	for _, typ := range slices.Sorted(maps.Keys(d.types)) {
		s := d.types[typ]
		class := map[string]any{"@id": iri.Class(typ), "@type": "hydra:Class", "rdfs:label": typ, "hydra:title": typ}
		if _, ok := problemTypes[typ]; ok {
			class["subClassOf"] = "hydra:Error"
		}
		if s.Description != "" {
			class["hydra:description"] = s.Description
		}
		props := []any{}
		for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
			if strings.HasPrefix(p, "@") {
				continue
			}
			ref := s.Properties[p]
			prop := map[string]any{"@id": iri.Class(typ + "/" + p), "@type": "rdf:Property", "rdfs:label": p, "domain": iri.Class(typ)}
			if d.isIRI(ref) {
				prop["@type"] = "hydra:Link"
			}
			if r := d.rangeOf(ref); r != "" {
				prop["range"] = r
			}
			if typ == "Entrypoint" {
				// An entrypoint link is a collection: its operations are those of the collection's path.
				prop["range"] = "hydra:Collection"
				if path := iri.Base + snake(p); d.doc.Paths.Value(path) != nil {
					prop["hydra:supportedOperation"] = d.supported(ops, func(o operation) bool { return o.path == path })
				}
			}
			sp := map[string]any{"@type": "hydra:SupportedProperty", "hydra:property": prop, "hydra:title": p,
				"hydra:required": slices.Contains(s.Required, p), "hydra:readable": true, "hydra:writeable": writable[typ][p]}
			if ref.Ref == "" && ref.Value.Description != "" { // not the description of a shared schema (Iri)
				sp["hydra:description"] = ref.Value.Description
			}
			props = append(props, sp)
		}
		class["hydra:supportedProperty"] = props
		class["hydra:supportedOperation"] = d.supported(ops, func(o operation) bool { return o.class == typ })
		classes = append(classes, class)
	}
	return map[string]any{
		"@context": map[string]any{
			"@vocab": vocabMark, "hydra": hydraNS,
			"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
			"xmls": "http://www.w3.org/2001/XMLSchema#", "owl": "http://www.w3.org/2002/07/owl#",
			"domain":     map[string]any{"@id": "rdfs:domain", "@type": "@id"},
			"range":      map[string]any{"@id": "rdfs:range", "@type": "@id"},
			"subClassOf": map[string]any{"@id": "rdfs:subClassOf", "@type": "@id"},
			"expects":    map[string]any{"@id": "hydra:expects", "@type": "@id"},
			"returns":    map[string]any{"@id": "hydra:returns", "@type": "@id"},
		},
		"@id": iri.Docs, "@type": "hydra:ApiDocumentation",
		"hydra:title": d.doc.Info.Title, "hydra:description": d.doc.Info.Description, "hydra:entrypoint": iri.Entrypoint,
		"hydra:supportedClass": classes,
	}
}

// supported renders the operations that keep accepts as hydra:Operations.
func (d *deriver) supported(ops []operation, keep func(operation) bool) []any {
	out := []any{}
	for _, o := range ops {
		if !keep(o) {
			continue
		}
		op := map[string]any{"@type": "hydra:Operation", "hydra:method": o.method, "hydra:title": o.op.Summary, "rdfs:label": o.op.Summary,
			"expects": "owl:Nothing", "returns": iri.Class(o.class)}
		if o.op.Description != "" {
			op["hydra:description"] = strings.TrimSpace(o.op.Description)
		}
		if o.op.RequestBody != nil {
			op["expects"] = iri.Class(o.class)
		}
		if o.list {
			op["returns"] = "hydra:Collection"
		} else if c, _ := d.answers(o.op); c == "" {
			op["returns"] = "owl:Nothing" // 204
		}
		out = append(out, op)
	}
	return out
}

// snake turns an entrypoint property into its collection's path segment (metaobjectDefinitions ->
// metaobject_definitions).
func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// ldDocument is a prepared JSON-LD document, the same for every instance.
type ldDocument []byte

func (b ldDocument) write(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/ld+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(b)
	return err
}

func (b ldDocument) VisitGetJsonLdContextResponse(w http.ResponseWriter) error    { return b.write(w) }
func (b ldDocument) VisitGetApiDocumentationResponse(w http.ResponseWriter) error { return b.write(w) }

// withVocabulary fills the vocabulary of the requested host into a prepared document.
func withVocabulary(ctx context.Context, doc []byte) ldDocument {
	origin, _ := ctx.Value(originKey{}).(string)
	vocab, _ := json.Marshal(origin + iri.Docs + "#")
	return bytes.ReplaceAll(doc, []byte(`"`+vocabMark+`"`), vocab)
}

type originKey struct{}

// keepOrigin puts the scheme and host of the requests for which only holds on their context, for
// the vocabulary's IRI.
func keepOrigin(only func(echo.Context) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if only(c) {
				r := c.Request()
				c.SetRequest(r.WithContext(context.WithValue(r.Context(), originKey{}, c.Scheme()+"://"+r.Host)))
			}
			return next(c)
		}
	}
}

// linkDocs advertises the API documentation on every response.
func linkDocs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Add("Link", docsLink)
		return next(c)
	}
}

func (s *Server) GetJsonLdContext(ctx context.Context, req api.GetJsonLdContextRequestObject) (api.GetJsonLdContextResponseObject, error) {
	if s.ld == nil {
		return nil, fault.Internal(errNoLinkedData)
	}
	doc, ok := s.ld.contexts[req.Type]
	if !ok {
		return nil, fault.NotFound("no document has the type %s", req.Type)
	}
	return withVocabulary(ctx, doc), nil
}

func (s *Server) GetApiDocumentation(ctx context.Context, _ api.GetApiDocumentationRequestObject) (api.GetApiDocumentationResponseObject, error) {
	if s.ld == nil {
		return nil, fault.Internal(errNoLinkedData)
	}
	return withVocabulary(ctx, s.ld.docs), nil
}

func (s *Server) GetEntrypoint(context.Context, api.GetEntrypointRequestObject) (api.GetEntrypointResponseObject, error) {
	return api.GetEntrypoint200ApplicationLdPlusJSONResponse{
		LdContext: iri.Context("Entrypoint"), LdID: iri.Entrypoint, LdType: "Entrypoint",
		Products: iri.Products.Path(), Statuses: iri.Statuses.Path(), Locales: iri.Locales.Path(), Countries: iri.Countries.Path(),
		Channels: iri.Channels.Path(), Prices: iri.Prices.Path(), Collections: iri.Collections.Path(), Medias: iri.Medias.Path(),
		Attributes: iri.Attributes.Path(), Categories: iri.Categories.Path(), MetaobjectDefinitions: iri.MetaobjectDefinitions.Path(),
		Metaobjects: iri.Metaobjects.Path(), Metafields: iri.Metafields.Path(),
	}, nil
}

type ldError string

func (e ldError) Error() string { return string(e) }

const errNoLinkedData = ldError("httpapi: the server was not built by NewHandler")

// Package requestvalidation validates HTTP requests against an OpenAPI document before they reach a
// handler, and reports failures as fault errors whose violations name the offending field.
package requestvalidation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
)

// DefaultBodyLimit is the largest request body accepted (1 MiB).
const DefaultBodyLimit = 1 << 20

// DefaultVerdicts is how many bodiless requests that passed validation a Validator remembers, by
// default.
const DefaultVerdicts = 4096

// Validator checks requests against the operations of one OpenAPI document.
type Validator struct {
	routes    map[string]*routers.Route  // "METHOD /echo/:path" -> route
	queries   map[string]map[string]bool // "METHOD /echo/:path" -> the query parameters it declares
	headers   map[string][]string        // "METHOD /echo/:path" -> the header and cookie parameters its verdict depends on; absent: never kept
	allowed   map[string][]string        // "/echo/:path" -> its methods, for 405's Allow
	options   *openapi3filter.Options
	bodyLimit int64
	limits    map[string]int64         // route -> its operation's body limit
	timeouts  map[string]time.Duration // route -> its operation's time bound
	streamed  map[string][]string      // route -> the media types of its streamed body
	// streamOptions skip the body of streamed routes.
	streamOptions *openapi3filter.Options
	// passed remembers bodiless requests that passed, by everything their verdict depends on, with
	// their query as validation left it (with the defaults it sets): a storefront asks the same
	// reads over and over, and validating one cost some 7% of the service's CPU per read.
	passed   *lru.Cache[string, string] // nil: none remembered
	verdicts int
}

// Option configures a Validator.
type Option func(*Validator)

// WithBodyLimit sets the largest accepted request body in bytes.
func WithBodyLimit(n int64) Option { return func(v *Validator) { v.bodyLimit = n } }

// WithVerdicts remembers n requests that passed (0: none, every request is validated in full).
func WithVerdicts(n int) Option { return func(v *Validator) { v.verdicts = n } }

var paramPattern = regexp.MustCompile(`\{([^}]+)\}`)

// SchemaOptions are the schema validation options every Flowkiwi API uses: formats kin-openapi
// leaves unchecked by default are checked, and error texts never echo the schema or the value.
func SchemaOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{
		openapi3.DisableSchemaErrorDetails(),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)),
		openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
	}
}

// New builds a validator for doc. Routes are keyed by Echo's path syntax, so the route Echo already
// matched is looked up in a map instead of being routed a second time.
func New(doc *openapi3.T, opts ...Option) *Validator {
	v := &Validator{
		routes:    map[string]*routers.Route{},
		queries:   map[string]map[string]bool{},
		headers:   map[string][]string{},
		allowed:   map[string][]string{},
		limits:    map[string]int64{},
		timeouts:  map[string]time.Duration{},
		streamed:  map[string][]string{},
		bodyLimit: DefaultBodyLimit,
		verdicts:  DefaultVerdicts,
		options: &openapi3filter.Options{
			MultiError:              true,
			KeepValidatedValue:      true,
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc, // authentication runs earlier, in its own middleware
			SchemaValidationOptions: SchemaOptions(),
		},
	}
	for _, o := range opts {
		o(v)
	}
	for path, item := range doc.Paths.Map() {
		echoPath := paramPattern.ReplaceAllString(path, ":$1")
		for method, op := range item.Operations() {
			key := method + " " + echoPath
			v.routes[key] = &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op}
			v.queries[key] = map[string]bool{}
			keep := op.RequestBody == nil
			var headers []string
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range ps {
					if p.Value == nil {
						continue
					}
					switch p.Value.In {
					case openapi3.ParameterInQuery:
						v.queries[key][p.Value.Name] = true
					case openapi3.ParameterInHeader:
						headers = append(headers, http.CanonicalHeaderKey(p.Value.Name))
						keep = keep && !hasDefault(p.Value)
					case openapi3.ParameterInCookie:
						headers = append(headers, "Cookie")
						keep = keep && !hasDefault(p.Value)
					}
				}
			}
			if keep { // validation adds a header's or cookie's default to the request itself: not replayed
				v.headers[key] = headers
			}
			v.allowed[echoPath] = append(v.allowed[echoPath], method)
			if l, ok := op.Extensions["x-flowkiwi-body-limit"].(float64); ok && l > 0 {
				v.limits[key] = int64(l)
			}
			if t, ok := op.Extensions["x-flowkiwi-timeout"].(float64); ok && t > 0 {
				v.timeouts[key] = time.Duration(t * float64(time.Second))
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil && streamedOnly(op.RequestBody.Value) {
				for name := range op.RequestBody.Value.Content {
					v.streamed[key] = append(v.streamed[key], name)
				}
				slices.Sort(v.streamed[key])
			}
		}
	}
	if v.verdicts > 0 {
		v.passed, _ = lru.New[string, string](v.verdicts) // only a size below 1 fails
	}
	streamed := *v.options
	streamed.ExcludeRequestBody = true
	v.streamOptions = &streamed
	return v
}

// streamedOnly reports whether a request body is only ever streamed NDJSON.
func streamedOnly(rb *openapi3.RequestBody) bool {
	for name := range rb.Content {
		if name != "application/x-ndjson" {
			return false
		}
	}
	return len(rb.Content) > 0
}

// hasDefault reports whether validation would set p's default when a request leaves p out.
func hasDefault(p *openapi3.Parameter) bool {
	if p.Schema == nil || p.Schema.Value == nil {
		return p.Content != nil // a content parameter's schema is not looked into: assume it may
	}
	if p.Schema.Value.Default != nil {
		return true
	}
	for _, sub := range p.Schema.Value.AllOf {
		if sub.Value != nil && sub.Value.Default != nil {
			return true
		}
	}
	return false
}

// passedKeyLimit is the longest key remembered: a storefront's reads are short, and a key as long
// as a URL and headers may be (64 KiB) would let a caller fill the memory with them.
const passedKeyLimit = 2 << 10

// passedKey is what a bodiless request's verdict depends on (ok false: it is not remembered):
// the route, the path (its parameters), the query and the header and cookie parameters' values,
// each header with its count of values (an empty header is not a missing one).
func (v *Validator) passedKey(req *http.Request, route string) (string, bool) {
	headers, ok := v.headers[route]
	if !ok || (req.Body != nil && req.Body != http.NoBody) || req.ContentLength != 0 {
		return "", false
	}
	path := req.URL.EscapedPath() // what Echo took the path parameters from
	size := len(route) + len(path) + len(req.URL.RawQuery) + 2
	for _, h := range headers { // canonical names (New): the map is read directly
		for _, val := range req.Header[h] {
			size += len(val) + 1
		}
		size += 4
	}
	if size > passedKeyLimit {
		return "", false
	}
	b := make([]byte, 0, size+8)
	b = append(b, route...)
	b = append(b, 0)
	b = append(b, path...)
	b = append(b, '?')
	b = append(b, req.URL.RawQuery...)
	for _, h := range headers {
		vals := req.Header[h]
		b = append(b, 0)
		b = strconv.AppendInt(b, int64(len(vals)), 10)
		for _, val := range vals {
			b = append(b, 1)
			b = append(b, val...)
		}
	}
	return string(b), true
}

// Limit is the largest request body of the route Echo matched: its operation's
// x-flowkiwi-body-limit, else the validator's.
func (v *Validator) Limit(c echo.Context) int64 {
	if l, ok := v.limits[c.Request().Method+" "+c.Path()]; ok {
		return l
	}
	return v.bodyLimit
}

// Timeout is how long a request of the route Echo matched may run: its operation's
// x-flowkiwi-timeout (seconds), else d.
func (v *Validator) Timeout(c echo.Context, d time.Duration) time.Duration {
	if t, ok := v.timeouts[c.Request().Method+" "+c.Path()]; ok {
		return t
	}
	return d
}

// Covers reports whether the document has an operation for the route Echo matched.
func (v *Validator) Covers(c echo.Context) bool {
	_, ok := v.routes[c.Request().Method+" "+c.Path()]
	return ok
}

// Middleware validates every request whose route is in the document; other routes pass untouched.
func (v *Validator) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Method + " " + c.Path()
			limit := v.Limit(c)
			if req.ContentLength > limit {
				return tooLarge(limit)
			}
			if req.Body != nil && req.Body != http.NoBody {
				req.Body = http.MaxBytesReader(c.Response(), req.Body, limit)
			}
			route, ok := v.routes[key]
			if !ok {
				return next(c)
			}
			options := v.options
			if types, ok := v.streamed[key]; ok {
				// A streamed body (NDJSON) is its handler's to read and check, line by line: here
				// only its media type.
				if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); !slices.Contains(types, mt) {
					return &fault.Error{Kind: fault.KindUnsupportedMediaType, Detail: "unsupported Content-Type; this operation accepts " + strings.Join(types, ", ")}
				}
				options = v.streamOptions
			}
			passed, keep := v.passedKey(req, key)
			keep = keep && v.passed != nil
			if keep {
				if query, ok := v.passed.Get(passed); ok {
					req.URL.RawQuery = query
					return next(c)
				}
			}
			if err := checkText(req); err != nil {
				return err
			}
			if err := unknownQuery(req.URL.Query(), v.queries[key]); err != nil {
				return err
			}
			params := make(map[string]string, len(c.ParamNames()))
			for i, name := range c.ParamNames() {
				params[name] = c.ParamValues()[i]
			}
			checked := req
			if options == v.streamOptions {
				// kin-openapi reads a body whole into memory to check security requirements, even
				// with ExcludeRequestBody: a streamed upload (100 MB) must reach its handler unread.
				bodiless := *req
				bodiless.Body = http.NoBody
				checked = &bodiless
			}
			input := &openapi3filter.RequestValidationInput{Request: checked, PathParams: params, Route: route, Options: options}
			if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
				return v.toFault(err)
			}
			if keep {
				v.passed.Add(passed, req.URL.RawQuery)
			}
			return next(c)
		}
	}
}

// unknownQuery refuses query parameters the operation does not declare, naming them: a partner
// whose misspelt filter is ignored believes it applied (Stripe refuses them too).
func unknownQuery(q url.Values, declared map[string]bool) error {
	var vs fault.Violations
	for _, name := range sortedKeys(q) {
		if !declared[name] {
			vs.Add("query."+name, "unknown_parameter", "this operation has no query parameter "+strconv.Quote(name))
		}
	}
	if len(vs) == 0 {
		return nil
	}
	return &fault.Error{Kind: fault.KindBadRequest, Violations: vs}
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Allowed returns the methods the document has for an Echo route path (sorted), for a 405's
// Allow header; nil when it has none.
func (v *Validator) Allowed(echoPath string) []string {
	methods := slices.Clone(v.allowed[echoPath])
	slices.Sort(methods)
	return methods
}

// Validate checks one request outside Echo (used by tests and non-Echo callers).
func (v *Validator) Validate(ctx context.Context, req *http.Request, echoPath string, params map[string]string) error {
	route, ok := v.routes[req.Method+" "+echoPath]
	if !ok {
		return fault.NotFound("no such resource")
	}
	input := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: v.options}
	if err := openapi3filter.ValidateRequest(ctx, input); err != nil {
		return v.toFault(err)
	}
	return nil
}

// lineOptions are SchemaOptions with every violation reported, made once: their format
// validators compile regular expressions (a third of an import line's validation when made for
// each line).
var lineOptions = sync.OnceValue(func() []openapi3.SchemaValidationOption {
	return append(SchemaOptions(), openapi3.MultiErrors())
})

// ValidateJSON checks a decoded JSON value (a line of an NDJSON body) against schema as a JSON
// request body is checked: nil, or a 422 naming each violation's path.
func ValidateJSON(schema *openapi3.Schema, value any) error {
	err := schema.VisitJSON(value, lineOptions()...)
	if err == nil {
		return nil
	}
	vs := schemaViolations("", err)
	if len(vs) == 0 {
		return &fault.Error{Kind: fault.KindUnprocessable, Detail: "the value does not match its schema", Err: err}
	}
	return &fault.Error{Kind: fault.KindUnprocessable, Violations: vs, Err: err}
}

// checkText refuses what no Flowkiwi API accepts and the database cannot store: invalid UTF-8 and
// NUL characters in the query or a JSON body, and JSON bodies with data after the value (which
// kin-openapi's decoder would silently ignore).
func checkText(req *http.Request) error {
	if q := req.URL.RawQuery; q != "" {
		unescaped, err := url.QueryUnescape(q)
		if err != nil || !utf8.ValidString(unescaped) || strings.ContainsRune(unescaped, 0) {
			return &fault.Error{Kind: fault.KindBadRequest, Detail: "the query string must be valid UTF-8 without NUL characters"}
		}
	}
	if req.Body == nil || req.Body == http.NoBody || !isJSON(req.Header.Get("Content-Type")) {
		return nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request body could not be read", Err: err}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	switch {
	case len(body) == 0:
		return nil // the validator reports a missing required body
	case !utf8.Valid(body):
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request body is not valid UTF-8"}
	case !json.Valid(body):
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request body is not valid JSON"}
	case bytes.Contains(body, []byte(`\u0000`)):
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "NUL characters are not allowed in text"}
	}
	return nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

func tooLarge(limit int64) error {
	return &fault.Error{Kind: fault.KindTooLarge, Detail: fmt.Sprintf("the request body is larger than %d bytes", limit)}
}

func (v *Validator) toFault(err error) error {
	// A plain type assertion: errors.As would also find the schema multi-error inside a RequestError.
	if me, ok := err.(openapi3.MultiError); ok && len(me) > 0 {
		// Parameter errors come first in a multi-error; the first decides the status.
		var out *fault.Error
		for _, e := range me {
			var fe *fault.Error
			if !errors.As(v.toFault(e), &fe) {
				continue
			}
			if out == nil {
				out = fe
				continue
			}
			if fe.Kind == out.Kind {
				out.Violations = append(out.Violations, fe.Violations...)
			}
		}
		return out
	}
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		var se *openapi3filter.SecurityRequirementsError
		if errors.As(err, &se) {
			return fault.Unauthenticated("a valid bearer token is required")
		}
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request is invalid", Err: err}
	}
	var mbe *http.MaxBytesError
	if errors.As(re.Err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	if re.Parameter != nil {
		path := re.Parameter.In + "." + re.Parameter.Name
		return &fault.Error{Kind: fault.KindBadRequest, Violations: paramViolations(path, re), Err: err}
	}
	if re.RequestBody == nil {
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request is invalid", Err: err}
	}
	switch {
	case strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
		return &fault.Error{Kind: fault.KindUnsupportedMediaType, Detail: "unsupported Content-Type; this operation accepts " + mediaTypes(re.RequestBody), Err: err}
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "a request body is required", Err: err}
	case re.Reason == "failed to decode request body" || re.Reason == "reading failed":
		if errors.Is(re.Err, io.ErrUnexpectedEOF) {
			return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request body is truncated", Err: err}
		}
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request body is not valid " + mediaTypes(re.RequestBody), Err: err}
	}
	vs := schemaViolations("", re.Err)
	if len(vs) == 0 {
		return &fault.Error{Kind: fault.KindBadRequest, Detail: "the request body is invalid", Err: err}
	}
	return &fault.Error{Kind: fault.KindUnprocessable, Violations: vs, Err: err}
}

func mediaTypes(rb *openapi3.RequestBody) string {
	names := make([]string, 0, len(rb.Content))
	for name := range rb.Content {
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

func paramViolations(path string, re *openapi3filter.RequestError) []fault.Violation {
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return []fault.Violation{{Path: path, Code: "required", Message: "this parameter is required"}}
	case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
		return []fault.Violation{{Path: path, Code: "required", Message: "this parameter must not be empty"}}
	}
	if vs := schemaViolations(path, re.Err); len(vs) > 0 {
		return vs
	}
	return []fault.Violation{{Path: path, Code: "invalid_parameter", Message: "the value is not valid for this parameter"}}
}

var unsupportedProperty = regexp.MustCompile(`^property "(.*)" is unsupported$`)

// schemaViolations flattens kin-openapi schema errors into violations with dotted property paths.
func schemaViolations(prefix string, err error) []fault.Violation {
	if me, ok := err.(openapi3.MultiError); ok {
		var out []fault.Violation
		for _, e := range me {
			out = append(out, schemaViolations(prefix, e)...)
		}
		return out
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		var pe *openapi3filter.ParseError
		if errors.As(err, &pe) {
			return []fault.Violation{{Path: prefix, Code: "invalid_format", Message: "the value cannot be parsed"}}
		}
		return nil
	}
	pointer := se.JSONPointer()
	if se.SchemaField == "allOf" && se.Origin != nil {
		// allOf wraps the real failure (nullable $ref idiom); report the inner one.
		if inner := schemaViolations(prefix, se.Origin); len(inner) > 0 {
			return inner
		}
	}
	code := "invalid"
	msg := se.Reason
	switch se.SchemaField {
	case "required":
		code = "required"
		msg = "this value is required"
	case "properties":
		if m := unsupportedProperty.FindStringSubmatch(se.Reason); m != nil {
			pointer = append(pointer, m[1])
			code = "unknown_property"
			msg = "this property is not allowed here (it is unknown or read-only)"
		}
	case "nullable":
		code = "not_nullable"
		msg = "this value must not be null"
	case "type":
		code = "invalid_type"
	case "enum":
		code = "invalid_choice"
	case "maxLength", "minLength", "maximum", "minimum", "maxItems", "minItems":
		code = "out_of_range"
	case "format":
		code = "invalid_format"
		if se.Schema != nil && se.Schema.Format != "" {
			msg = "must be a valid " + se.Schema.Format
		}
	case "pattern":
		code = "invalid_format"
		msg = "does not have the required format"
	}
	return []fault.Violation{{Path: joinPath(prefix, pointer), Code: code, Message: msg}}
}

// joinPath renders a JSON pointer as a property path: ["variants","1","sku"] -> "variants[1].sku".
func joinPath(prefix string, pointer []string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, p := range pointer {
		if _, err := strconv.Atoi(p); err == nil {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}

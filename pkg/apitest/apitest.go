// Package apitest helps HTTP tests hold a service to its spec: a transport that validates every
// response against the OpenAPI document and fails the test on any drift.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/flowkiwi/platform/pkg/requestvalidation"
)

// ValidatingTransport validates each response against the document it was built for.
type ValidatingTransport struct {
	tb     testing.TB
	router routers.Router
	next   http.RoundTripper
	strict *strictSchemas
}

// NewValidatingTransport returns a transport that reports to tb every response (status, headers,
// body) that the operation in doc does not declare.
func NewValidatingTransport(tb testing.TB, doc *openapi3.T) *ValidatingTransport {
	tb.Helper()
	doc.Servers = nil // match any host
	r, err := legacy.NewRouter(doc)
	if err != nil {
		tb.Fatalf("apitest: router: %v", err)
	}
	return &ValidatingTransport{tb: tb, router: r, next: http.DefaultTransport, strict: newStrictSchemas()}
}

// Client returns an http.Client using the transport.
func (t *ValidatingTransport) Client() *http.Client { return &http.Client{Transport: t} }

func (t *ValidatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := t.router.FindRoute(req)
	if err != nil {
		// Requests outside the spec (probes of unknown paths) must still answer a problem.
		if resp.StatusCode < 400 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.tb.Errorf("apitest: %s %s is not in the spec and answered %d %s", req.Method, req.URL.Path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return resp, nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: requestvalidation.SchemaOptions(),
		},
	}
	if err := openapi3filter.ValidateResponse(req.Context(), in); err != nil {
		t.tb.Errorf("apitest: %s %s -> %d does not match the spec: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "application/x-ndjson" {
		// A file of JSON lines (an export, an import's results): each line one JSON object.
		for i, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
			var obj map[string]any
			if err := json.Unmarshal(line, &obj); err != nil && len(body) > 0 {
				t.tb.Errorf("apitest: %s %s -> %d: line %d is not a JSON object: %v\nline: %.500s", req.Method, req.URL.Path, resp.StatusCode, i+1, err, line)
				break
			}
		}
		return resp, nil
	}
	if err := t.strict.validate(responseSchema(route.Operation, resp), body); err != nil {
		t.tb.Errorf("apitest: %s %s -> %d: a strict JSON Schema validator refuses the body: %v\nbody: %.2000s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// responseSchema is the schema the operation declares for the response's status and media type
// (the default response when the status has none).
func responseSchema(op *openapi3.Operation, resp *http.Response) *openapi3.SchemaRef {
	if op == nil || op.Responses == nil {
		return nil
	}
	r := op.Responses.Status(resp.StatusCode)
	if r == nil {
		r = op.Responses.Default()
	}
	if r == nil || r.Value == nil {
		return nil
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt := r.Value.Content.Get(ct); mt != nil {
		return mt.Schema
	}
	return nil
}

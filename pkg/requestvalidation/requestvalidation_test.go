package requestvalidation

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/fault"
)

const spec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
    get:
      parameters:
        - {name: X-Org, in: header, required: true, schema: {type: string, format: uuid}}
        - {name: X-Flag, in: header, schema: {type: boolean}}
        - {name: size, in: query, schema: {type: integer, minimum: 1, default: 30}}
        - {name: q, in: query, schema: {type: string}}
      responses: {"200": {description: ok}}
    put:
      requestBody: {required: true, content: {application/json: {schema: {type: object}}}}
      responses: {"200": {description: ok}}
  /uploads:
    post:
      x-flowkiwi-body-limit: 67108864
      security: [{bearer: []}]
      requestBody: {required: true, content: {application/x-ndjson: {schema: {type: string}}}}
      responses: {"202": {description: ok}}
  /defaulted:
    get:
      parameters:
        - {name: X-Mode, in: header, schema: {type: string, default: fast}}
      responses: {"200": {description: ok}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
`

// server routes spec's operations through the validator to a handler that echoes the query it
// was handed and the X-Mode header.
func server(t *testing.T, opts ...Option) (*echo.Echo, *Validator) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	v := New(doc, opts...)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		status := http.StatusInternalServerError
		switch fault.KindOf(err) {
		case fault.KindBadRequest:
			status = http.StatusBadRequest
		case fault.KindUnprocessable:
			status = http.StatusUnprocessableEntity
		}
		_ = c.String(status, err.Error())
	}
	e.Use(v.Middleware())
	h := func(c echo.Context) error {
		return c.String(http.StatusOK, c.Request().URL.RawQuery+"|"+c.Request().Header.Get("X-Mode"))
	}
	e.GET("/items/:id", h)
	e.PUT("/items/:id", h)
	e.GET("/defaulted", h)
	e.POST("/uploads", func(c echo.Context) error {
		// How much of the body was read before the handler (the validator must read none), and
		// how much the handler reads.
		var before int64
		if read, ok := c.Request().Context().Value(readKey{}).(*int64); ok {
			before = *read
		}
		n, _ := io.Copy(io.Discard, c.Request().Body)
		return c.String(http.StatusAccepted, fmt.Sprint(before, " ", n))
	})
	return e, v
}

func ask(e *echo.Echo, method, target, org, body string) *httptest.ResponseRecorder {
	var req *http.Request
	if body != "" {
		req = httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	if org != "" {
		req.Header.Set("X-Org", org)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

const (
	item = "/items/0b5d3c7e-6a3f-4f7e-9d5a-3f0c1e2d4b6a"
	org  = "5e1f9b2a-8c4d-4e6f-a1b3-c5d7e9f1a3b5"
)

// A request that passed is remembered, and asked again it reaches the handler as validation left
// it (the query's default set); what fails is never remembered, and a request that differs in a
// path, query or header parameter is validated on its own.
func TestPassedRequestsAreRememberedWithWhatValidationSet(t *testing.T) {
	t.Parallel()
	e, v := server(t)
	for i := range 2 {
		rec := ask(e, http.MethodGet, item, org, "")
		if rec.Code != http.StatusOK || rec.Body.String() != "size=30|" {
			t.Fatalf("ask %d: %d %q, want 200 with the default size", i, rec.Code, rec.Body.String())
		}
		if n := v.passed.Len(); n != 1 {
			t.Fatalf("ask %d: %d requests remembered, want 1", i, n)
		}
	}
	// The second ask was answered from memory: what is remembered is what the handler is handed.
	v.passed.Add(v.passed.Keys()[0], "size=30&remembered=1")
	if rec := ask(e, http.MethodGet, item, org, ""); rec.Body.String() != "size=30&remembered=1|" {
		t.Fatalf("a remembered request reached the handler with %q, want the remembered query", rec.Body.String())
	}
	v.passed.Add(v.passed.Keys()[0], "size=30")
	for _, c := range []struct{ name, target, org string }{
		{"another header value", item, "not-a-uuid"},
		{"no header", item, ""},
		{"another path parameter", "/items/not-a-uuid", org},
		{"another query", item + "?size=0", org},
		{"an undeclared query parameter", item + "?colour=red", org},
	} {
		for i := range 2 {
			if rec := ask(e, http.MethodGet, c.target, c.org, ""); rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%s, ask %d: %d %q, want it refused", c.name, i, rec.Code, rec.Body.String())
			}
		}
	}
	if n := v.passed.Len(); n != 1 {
		t.Fatalf("%d requests remembered after refusals, want 1", n)
	}
	if rec := ask(e, http.MethodGet, item+"?size=5", org, ""); rec.Code != http.StatusOK || rec.Body.String() != "size=5|" {
		t.Fatalf("another valid query: %d %q", rec.Code, rec.Body.String())
	}
	if n := v.passed.Len(); n != 2 {
		t.Fatalf("%d requests remembered, want 2", n)
	}
	// An empty optional header is not a missing one: kin-openapi refuses the empty boolean.
	empty := httptest.NewRequest(http.MethodGet, item, nil)
	empty.Header.Set("X-Org", org)
	empty.Header["X-Flag"] = []string{""}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, empty)
	if rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("an empty X-Flag after a request without one: %d %q, want it refused", rec.Code, rec.Body.String())
	}
	// A long request passes, but is not remembered: a caller could fill the memory with them.
	long := item + "?q=" + strings.Repeat("x", 3000)
	for range 2 {
		if rec := ask(e, http.MethodGet, long, org, ""); rec.Code != http.StatusOK {
			t.Fatalf("a long query: %d", rec.Code)
		}
	}
	if n := v.passed.Len(); n != 2 {
		t.Fatalf("%d requests remembered after a long one, want 2", n)
	}
}

// With no verdicts kept (VALIDATION_VERDICTS=0) every request is validated in full: a handler
// is still handed the query as validation left it, and a bad request is still refused.
func TestNoVerdictsValidatesEveryRequest(t *testing.T) {
	t.Parallel()
	e, v := server(t, WithVerdicts(0))
	if v.passed != nil {
		t.Fatal("verdicts are kept")
	}
	for i := range 2 {
		if rec := ask(e, http.MethodGet, item, org, ""); rec.Code != http.StatusOK || rec.Body.String() != "size=30|" {
			t.Fatalf("ask %d: %d %q, want 200 with the default size", i, rec.Code, rec.Body.String())
		}
		if rec := ask(e, http.MethodGet, item+"?size=0", org, ""); rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("ask %d: a bad query answered %d", i, rec.Code)
		}
	}
}

// Requests with a body, and operations whose validation sets a header's default on the request,
// are validated every time.
func TestBodiesAndHeaderDefaultsAreNeverRemembered(t *testing.T) {
	t.Parallel()
	e, v := server(t)
	for i := range 2 {
		if rec := ask(e, http.MethodPut, item, "", `{"a":1}`); rec.Code != http.StatusOK {
			t.Fatalf("put %d: %d %q", i, rec.Code, rec.Body.String())
		}
		if rec := ask(e, http.MethodPut, item, "", `[1]`); rec.Code == http.StatusOK {
			t.Fatalf("put %d of a body the schema refuses: 200", i)
		}
		if rec := ask(e, http.MethodGet, "/defaulted", "", ""); rec.Code != http.StatusOK || rec.Body.String() != "|fast" {
			t.Fatalf("defaulted %d: %d %q, want the header's default set", i, rec.Code, rec.Body.String())
		}
	}
	if n := v.passed.Len(); n != 0 {
		t.Fatalf("%d requests remembered, want none", n)
	}
}

type readKey struct{}

// countingBody counts what is read of it.
type countingBody struct {
	io.Reader
	read *int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	*b.read += int64(n)
	return n, err
}

func (countingBody) Close() error { return nil }

// TestStreamedBodiesReachTheHandlerUnread: the body of a streamed (NDJSON) operation is its
// handler's to read as it arrives; validation, security requirements included, reads none of it
// (kin-openapi would read it whole into memory).
func TestStreamedBodiesReachTheHandlerUnread(t *testing.T) {
	t.Parallel()
	e, _ := server(t)
	const size = 8 << 20
	var read int64
	body := countingBody{Reader: io.LimitReader(zeros{}, size), read: &read}
	req := httptest.NewRequest(http.MethodPost, "/uploads", nil)
	req = req.WithContext(context.WithValue(req.Context(), readKey{}, &read))
	req.Body = body
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer x")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if want := fmt.Sprint(0, " ", size); rec.Code != http.StatusAccepted || rec.Body.String() != want {
		t.Fatalf("%d: read before the handler, by it: %s; want %s", rec.Code, rec.Body.String(), want)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

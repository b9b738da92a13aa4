package apitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/flowkiwi/platform/pkg/api/common"
)

// Response is what every generated *XxxResponse has.
type Response interface{ StatusCode() int }

// The generated response types share StatusCode() and Body/HTTPResponse fields; these helpers read
// them by reflection so one assertion serves every operation of every client.

func rawBody(r any) []byte {
	v := reflect.ValueOf(r)
	if !v.IsValid() || v.IsNil() {
		return nil
	}
	return v.Elem().FieldByName("Body").Bytes()
}

// Body describes a response for failure messages.
func Body(r any) string {
	if rs, ok := r.(Response); ok && !reflect.ValueOf(r).IsNil() {
		return fmt.Sprintf("%d %s", rs.StatusCode(), rawBody(r))
	}
	return "<no response>"
}

// ExpectStatus fails the test unless r has status want.
func ExpectStatus(t testing.TB, r Response, want int) {
	t.Helper()
	if r.StatusCode() != want {
		t.Fatalf("status = %d, want %d: %s", r.StatusCode(), want, Body(r))
	}
}

// ExpectProblem checks the status and media type of an error response and returns the problem; a
// non-empty path must be named by one of its violations.
func ExpectProblem(t testing.TB, r Response, status int, path string) common.Problem {
	t.Helper()
	ExpectStatus(t, r, status)
	hr := reflect.ValueOf(r).Elem().FieldByName("HTTPResponse").Interface().(*http.Response)
	if ct := hr.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p common.Problem
	if err := json.Unmarshal(rawBody(r), &p); err != nil {
		t.Fatalf("problem: %v", err)
	}
	if p.Status != status {
		t.Fatalf("problem status = %d, want %d", p.Status, status)
	}
	if path != "" && !NamesPath(p, path) {
		t.Fatalf("no violation names %q: %s", path, rawBody(r))
	}
	return p
}

// NamesPath reports whether a violation of p is at path.
func NamesPath(p common.Problem, path string) bool {
	if p.Violations == nil {
		return false
	}
	for _, v := range *p.Violations {
		if v.PropertyPath == path {
			return true
		}
	}
	return false
}

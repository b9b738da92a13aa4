package apitest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/flowkiwi/platform/pkg/api/common"
)

// Response is what every generated *XxxResponse of the oapi-codegen clients has.
type Response interface {
	StatusCode() int
	ContentType() string
	GetBody() []byte
}

// present reports whether r holds a response: the generated clients return a nil pointer with an
// error, and the methods have value receivers.
func present(r Response) bool {
	if r == nil {
		return false
	}
	v := reflect.ValueOf(r)
	return v.Kind() != reflect.Pointer || !v.IsNil()
}

// Body describes a response for failure messages.
func Body(r any) string {
	if rs, ok := r.(Response); ok && present(rs) {
		return fmt.Sprintf("%d %s", rs.StatusCode(), rs.GetBody())
	}
	return "<no response>"
}

// ExpectStatus fails the test unless r has status want.
func ExpectStatus(t testing.TB, r Response, want int) {
	t.Helper()
	if !present(r) {
		t.Fatalf("no response, want %d", want)
	}
	if r.StatusCode() != want {
		t.Fatalf("status = %d, want %d: %s", r.StatusCode(), want, Body(r))
	}
}

// ExpectProblem checks the status and media type of an error response and returns the problem; a
// non-empty path must be named by one of its violations.
func ExpectProblem(t testing.TB, r Response, status int, path string) common.Problem {
	t.Helper()
	ExpectStatus(t, r, status)
	if ct := r.ContentType(); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	var p common.Problem
	if err := json.Unmarshal(r.GetBody(), &p); err != nil {
		t.Fatalf("problem: %v", err)
	}
	if p.Status != status {
		t.Fatalf("problem status = %d, want %d", p.Status, status)
	}
	if path != "" && !NamesPath(p, path) {
		t.Fatalf("no violation names %q: %s", path, r.GetBody())
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

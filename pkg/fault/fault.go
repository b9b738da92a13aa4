// Package fault defines error values that carry a kind, so that domain and storage code can say what
// went wrong (not found, conflict, invalid input...) without knowing about HTTP. One mapper per
// transport (see package problem) turns kinds into responses.
package fault

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error.
type Kind int

const (
	KindInternal             Kind = iota // a bug or an unexpected failure; details are never shown
	KindBadRequest                       // malformed request: unparsable body, bad parameter
	KindUnauthenticated                  // no or bad credentials
	KindForbidden                        // authenticated but lacking permissions
	KindNotFound                         // missing, or invisible to the caller
	KindConflict                         // clashes with the current state
	KindPreconditionFailed               // If-Match did not hold
	KindTooLarge                         // body over the limit
	KindUnsupportedMediaType             // wrong Content-Type
	KindUnprocessable                    // well-formed but violates constraints
	KindRateLimited                      // too many requests
	KindUnavailable                      // a dependency cannot answer now
	KindMethodNotAllowed                 // the resource exists but not with this method (405, with Allow)
)

// Violation is one constraint a request broke. Path names the field: "name", "bank_info.iban",
// "variants[1].sku", or "query.page_size" / "header.X" / "path.id" for parameters.
type Violation struct {
	Path    string
	Message string
	Code    string
}

// Error is an error with a kind and the details a client may see.
type Error struct {
	Kind               Kind
	Detail             string
	Violations         []Violation
	MissingPermissions []string
	RetryAfter         time.Duration
	Err                error // the cause, logged but never shown
}

func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" && len(e.Violations) > 0 {
		msg = e.Violations[0].Path + ": " + e.Violations[0].Message
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", msg, e.Err)
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err, KindInternal when it carries none.
func KindOf(err error) Kind {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Kind
	}
	return KindInternal
}

// Is reports whether err has kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

func NotFound(format string, args ...any) *Error { return New(KindNotFound, format, args...) }
func Conflict(format string, args ...any) *Error { return New(KindConflict, format, args...) }
func BadRequest(format string, args ...any) *Error {
	return New(KindBadRequest, format, args...)
}
func Unauthenticated(format string, args ...any) *Error {
	return New(KindUnauthenticated, format, args...)
}
func PreconditionFailed(format string, args ...any) *Error {
	return New(KindPreconditionFailed, format, args...)
}

// Unavailable says a dependency could not answer; clients should retry after the delay.
func Unavailable(retryAfter time.Duration, format string, args ...any) *Error {
	e := New(KindUnavailable, format, args...)
	e.RetryAfter = retryAfter
	return e
}

// Forbidden lists the permissions the caller lacks.
func Forbidden(missing ...string) *Error {
	return &Error{Kind: KindForbidden, Detail: "you are missing permissions this operation needs", MissingPermissions: missing}
}

// Unprocessable reports constraint violations of a well-formed request.
func Unprocessable(v ...Violation) *Error {
	return &Error{Kind: KindUnprocessable, Violations: v}
}

// Invalid reports one violation at path.
func Invalid(path, code, message string) *Error {
	return Unprocessable(Violation{Path: path, Code: code, Message: message})
}

// Internal wraps an unexpected error.
func Internal(err error) *Error { return &Error{Kind: KindInternal, Err: err} }

// Violations collects violations while validating; Err returns nil when there are none.
type Violations []Violation

func (vs *Violations) Add(path, code, message string) {
	*vs = append(*vs, Violation{Path: path, Code: code, Message: message})
}

// Take adds the violations of err to vs and reports true when err reports constraint violations
// (kind unprocessable); any other error, nil included, is left to the caller (false).
func (vs *Violations) Take(err error) bool {
	var fe *Error
	if err == nil || !errors.As(err, &fe) || fe.Kind != KindUnprocessable {
		return false
	}
	*vs = append(*vs, fe.Violations...)
	return true
}

// Map rewrites the path of every violation err carries (a fault error with violations), in place,
// and returns err.
func Map(err error, path func(string) string) error {
	var fe *Error
	if errors.As(err, &fe) {
		for i := range fe.Violations {
			fe.Violations[i].Path = path(fe.Violations[i].Path)
		}
	}
	return err
}

func (vs Violations) Err() error {
	if len(vs) == 0 {
		return nil
	}
	return Unprocessable(vs...)
}

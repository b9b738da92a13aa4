// Package problem turns errors into RFC 9457 problem documents (application/problem+json). It is the
// one place where error kinds become HTTP statuses, for every service.
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/flowkiwi/platform/pkg/api/common"
	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgerr"
)

// ContentType is the media type of every error response.
const ContentType = "application/problem+json"

const typeBase = "https://docs.flowkiwi.net/problems/"

type kindInfo struct {
	status int
	slug   string
	title  string
}

var kinds = map[fault.Kind]kindInfo{
	fault.KindInternal:             {http.StatusInternalServerError, "internal-error", "Internal server error"},
	fault.KindBadRequest:           {http.StatusBadRequest, "bad-request", "Bad request"},
	fault.KindUnauthenticated:      {http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	fault.KindForbidden:            {http.StatusForbidden, "forbidden", "Forbidden"},
	fault.KindNotFound:             {http.StatusNotFound, "not-found", "Not found"},
	fault.KindConflict:             {http.StatusConflict, "conflict", "Conflict"},
	fault.KindPreconditionFailed:   {http.StatusPreconditionFailed, "precondition-failed", "Precondition failed"},
	fault.KindTooLarge:             {http.StatusRequestEntityTooLarge, "payload-too-large", "Payload too large"},
	fault.KindUnsupportedMediaType: {http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"},
	fault.KindUnprocessable:        {http.StatusUnprocessableEntity, "validation-failed", "Validation failed"},
	fault.KindRateLimited:          {http.StatusTooManyRequests, "too-many-requests", "Too many requests"},
	fault.KindUnavailable:          {http.StatusServiceUnavailable, "service-unavailable", "Service unavailable"},
	fault.KindMethodNotAllowed:     {http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"},
}

// KindForStatus maps an HTTP status (from a router or framework error) to a kind.
func KindForStatus(status int) fault.Kind {
	for k, info := range kinds {
		if info.status == status {
			return k
		}
	}
	switch {
	case status >= 500:
		return fault.KindInternal
	default:
		return fault.KindBadRequest
	}
}

// StatusOf returns the HTTP status for a kind.
func StatusOf(k fault.Kind) int { return kinds[k].status }

// From builds the problem document for err. Internal errors get a generic detail: causes, SQL text
// and stack traces are logged, never sent.
func From(err error) common.Problem {
	fe := Fault(err)
	info, ok := kinds[fe.Kind]
	if !ok {
		info = kinds[fault.KindInternal]
	}
	p := common.Problem{Type: typeBase + info.slug, Title: info.title, Status: info.status}
	detail := fe.Detail
	if fe.Kind == fault.KindInternal {
		detail = "an unexpected error occurred; it has been logged"
	}
	if detail == "" && len(fe.Violations) > 0 {
		parts := make([]string, 0, len(fe.Violations))
		for _, v := range fe.Violations {
			if v.Path == "" {
				parts = append(parts, v.Message)
			} else {
				parts = append(parts, v.Path+": "+v.Message)
			}
		}
		detail = strings.Join(parts, "\n")
	}
	if detail != "" {
		p.Detail = &detail
	}
	if len(fe.Violations) > 0 {
		vs := make([]common.Violation, len(fe.Violations))
		for i, v := range fe.Violations {
			vs[i] = common.Violation{PropertyPath: v.Path, Message: v.Message}
			if v.Code != "" {
				code := v.Code
				vs[i].Code = &code
			}
		}
		p.Violations = &vs
	}
	if len(fe.MissingPermissions) > 0 {
		mp := append([]string(nil), fe.MissingPermissions...)
		p.MissingPermissions = &mp
	}
	return p
}

// Fault returns the fault err carries; an error without one is internal, unless it says the
// database cannot serve now: that stays a 503 the client may retry, never a 500, even when a
// store returned the driver's error unwrapped.
func Fault(err error) *fault.Error {
	fe := &fault.Error{Kind: fault.KindInternal}
	if !errors.As(err, &fe) {
		fe = fault.Internal(err)
	}
	if fe.Kind == fault.KindInternal {
		if u := pgerr.Unavailable(err); u != nil {
			return u
		}
	}
	return fe
}

// Decorator adds service-specific members to a problem (JSON-LD @context/@id/@type, for example).
type Decorator func(p *common.Problem)

// Writer writes problem responses and logs the errors behind them.
type Writer struct {
	Logger   *slog.Logger
	Decorate Decorator
}

// Write sends err as a problem response for r.
func (wr Writer) Write(w http.ResponseWriter, r *http.Request, err error) {
	p := From(err)
	path := r.URL.Path
	p.Instance = &path
	if wr.Decorate != nil {
		wr.Decorate(&p)
	}
	fe := Fault(err)
	h := w.Header()
	if p.Status == http.StatusUnauthorized {
		// RFC 6750 §3: no error code when no credentials were sent.
		if r.Header.Get("Authorization") == "" {
			h.Set("WWW-Authenticate", `Bearer realm="flowkiwi"`)
		} else {
			h.Set("WWW-Authenticate", `Bearer realm="flowkiwi", error="invalid_token"`)
		}
	}
	ErrorHeaders(h, fe, p.Status)
	wr.log(r.Context(), r, p.Status, err)
	h.Set("Content-Type", ContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func (wr Writer) log(ctx context.Context, r *http.Request, status int, err error) {
	if wr.Logger == nil {
		return
	}
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	wr.Logger.Log(ctx, level, "request failed", "method", r.Method, "path", r.URL.Path, "status", status, "error", err.Error())
}

// ErrorHeaders sets what every error answer carries beside its body: `Cache-Control: no-store`
// and, on a 503 and a 429 always and on any other status (a 409 for a request still being
// processed) when its fault says, `Retry-After` in whole seconds, rounded up.
func ErrorHeaders(h http.Header, fe *fault.Error, status int) {
	if fe.RetryAfter > 0 || status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		h.Set("Retry-After", strconv.Itoa(max(1, int((fe.RetryAfter+999_999_999)/1_000_000_000))))
	}
	h.Set("Cache-Control", "no-store")
}

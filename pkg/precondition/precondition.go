// Package precondition holds the optimistic concurrency of the APIs: a resource's version travels
// as its ETag, and a write names the version it expects in If-Match (RFC 9110 §13.1.1).
package precondition

import (
	"strconv"
	"strings"

	"github.com/flowkiwi/platform/pkg/fault"
)

// ETag is the entity tag of a version: a quoted decimal.
func ETag(version int64) *string {
	s := `"` + strconv.FormatInt(version, 10) + `"`
	return &s
}

// RepresentationETag is the entity tag of a version as read in a locale (and its fallback): the
// version decides If-Match, the locales tell representations of one version apart, so a 304 never
// confirms another language's copy (or the default locale's after the default changed).
func RepresentationETag(version int64, locale, fallback string) *string {
	s := `"` + strconv.FormatInt(version, 10) + ";" + locale
	if fallback != "" && fallback != locale {
		s += ";" + fallback
	}
	s += `"`
	return &s
}

// IfMatch parses an If-Match header into the version it names; 0 means "any" (absent or "*").
// A value that names no version can never match, so it fails the precondition. A
// RepresentationETag names its version before the first ';'.
func IfMatch(h *string) (int64, error) {
	if h == nil || strings.TrimSpace(*h) == "*" {
		return 0, nil
	}
	v := strings.Trim(strings.TrimPrefix(strings.TrimSpace(*h), "W/"), `"`)
	v, _, _ = strings.Cut(v, ";")
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, Failed()
	}
	return n, nil
}

// Failed is the error of a write whose If-Match did not hold.
func Failed() error {
	return fault.PreconditionFailed("the resource has changed since you read it (If-Match does not match its ETag); read it again and retry")
}

// NoneMatch reports whether an If-None-Match header (RFC 9110 §13.1.2: a list of entity tags,
// weak or strong, or "*") names the current entity tag: then a read answers 304. Weak
// comparison, as the RFC asks for If-None-Match.
func NoneMatch(h *string, current *string) bool {
	if h == nil || current == nil {
		return false
	}
	want := strings.TrimPrefix(*current, "W/")
	for _, tag := range strings.Split(*h, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}

// Package handle validates instance handles: permanent, URL-safe identifiers that double as DNS
// labels (the tenant subdomain of the product services).
package handle

import (
	"strings"

	"github.com/flowkiwi/platform/pkg/fault"
)

const (
	MinLength = 3
	MaxLength = 63 // a DNS label
)

// reserved are names that must never become tenant subdomains: infrastructure, mail, our own
// services and words that would let a tenant impersonate the platform.
var reserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		www api app apps admin administrator root system identity auth oauth login logout signin signup
		register account accounts billing payment payments checkout status health docs doc help support
		mail email smtp imap pop ftp sftp ssh ns dns mx cdn static assets media images img files
		download downloads upload uploads dev test testing stage staging prod production demo sandbox
		internal localhost local example invalid flowkiwi product products catalog management
		product-management partner partners console dashboard portal webhooks webhook security
		hostmaster postmaster webmaster abuse noc info blog news shop store`) {
		reserved[w] = true
	}
}

// Reserved reports whether h is on the reserved list.
func Reserved(h string) bool { return reserved[h] }

// Validate checks h: lowercase letters and single hyphens (^[a-z]+(-[a-z]+)*$), 3 to 63 characters,
// not reserved. Any "--" is refused, which also keeps out punycode-looking labels ("xn--").
func Validate(h string) error {
	const path = "handle"
	switch {
	case len(h) < MinLength || len(h) > MaxLength:
		return fault.Invalid(path, "invalid_length", "the handle must be 3 to 63 characters long")
	case !wellFormed(h):
		return fault.Invalid(path, "invalid_handle", "the handle may contain lowercase letters and single hyphens only, and must start and end with a letter")
	case reserved[h]:
		return fault.Invalid(path, "reserved_handle", "this handle is reserved")
	}
	return nil
}

func wellFormed(h string) bool {
	prevHyphen := true // a leading hyphen counts as following a hyphen
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z':
			prevHyphen = false
		case c == '-' && !prevHyphen:
			prevHyphen = true
		default:
			return false
		}
	}
	return !prevHyphen
}

package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Targets decides which URLs deliveries may go to. Unless AllowPrivate (development and tests),
// a URL must be https and must not reach loopback, private, link-local or other internal
// addresses: the platform must not be a way into its own network. The check runs when a URL is
// saved (names are resolved then) and again on every connection (Control), so a name that later
// resolves inward is refused too.
type Targets struct {
	AllowPrivate bool
	Resolver     Resolver // nil: net.DefaultResolver
}

// Resolver looks names up (a *net.Resolver).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// internal are the address ranges no delivery may reach, beyond what netip classifies.
var internal = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach IPv4 internals
}

// Internal reports whether a is an address deliveries must not reach.
func Internal(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return true
	}
	for _, p := range internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Check validates a subscription URL and returns it normalized.
func (t *Targets) Check(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return raw, errors.New("an absolute https URL")
	}
	if u.User != nil {
		return raw, errors.New("credentials in the URL are not allowed; authenticate the signature instead")
	}
	u.Fragment = ""
	if t.AllowPrivate {
		return u.String(), nil
	}
	if u.Scheme != "https" {
		return raw, errors.New("the URL must be https")
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if Internal(a) {
			return raw, errors.New("the URL names a loopback, private or internal address")
		}
		return u.String(), nil
	}
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") || strings.HasSuffix(lower, ".internal") || strings.HasSuffix(lower, ".local") || !strings.Contains(lower, ".") {
		return raw, errors.New("the URL names a local or internal host")
	}
	// A name that does not resolve yet is accepted (the receiver may not be up); every connection
	// is checked again.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var r Resolver = net.DefaultResolver
	if t.Resolver != nil {
		r = t.Resolver
	}
	if addrs, err := r.LookupNetIP(ctx, "ip", host); err == nil {
		for _, a := range addrs {
			if Internal(a) {
				return raw, fmt.Errorf("the URL's host resolves to an internal address (%s)", a.Unmap())
			}
		}
	}
	return u.String(), nil
}

// errInternalTarget is what a connection to an internal address fails with.
var errInternalTarget = errors.New("webhook: the target resolved to an internal address")

// Control refuses connections to internal addresses (net.Dialer.Control), unless AllowPrivate.
func (t *Targets) Control(_, address string, _ syscall.RawConn) error {
	if t.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Internal(ap.Addr()) {
		return errInternalTarget
	}
	return nil
}

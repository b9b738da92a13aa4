package webhook

import (
	"context"
	"net/netip"
	"testing"
)

func TestInternalAddresses(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true, "169.254.169.254": true, "100.64.1.1": true,
		"0.0.0.0": true, "::1": true, "fd00::1": true, "fe80::1": true, "::ffff:127.0.0.1": true, "224.0.0.1": true, "64:ff9b::a00:1": true,
		"93.184.215.14": false, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": false, "1.1.1.1": false,
	} {
		if got := Internal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Internal(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestControlRefusesInternalConnections(t *testing.T) {
	t.Parallel()
	strict, dev := &Targets{}, &Targets{AllowPrivate: true}
	if err := strict.Control("tcp", "127.0.0.1:443", nil); err == nil {
		t.Error("a connection to loopback was allowed")
	}
	if err := strict.Control("tcp", "93.184.215.14:443", nil); err != nil {
		t.Errorf("a public address was refused: %v", err)
	}
	if err := dev.Control("tcp", "127.0.0.1:443", nil); err != nil {
		t.Errorf("AllowPrivate refused loopback: %v", err)
	}
	if _, err := dev.Check(context.Background(), "http://127.0.0.1:9/x"); err != nil {
		t.Errorf("AllowPrivate refused an http loopback URL: %v", err)
	}
}

// stubResolver answers every name with its addresses.
type stubResolver []netip.Addr

func (s stubResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return s, nil
}

func TestCheckRefusesInternalTargets(t *testing.T) {
	t.Parallel()
	public := &Targets{Resolver: stubResolver{netip.MustParseAddr("93.184.215.14")}}
	inward := &Targets{Resolver: stubResolver{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("127.0.0.1")}}
	for _, c := range []struct {
		targets *Targets
		url     string
		want    string // the target kept ("": refused)
	}{
		{public, "https://hooks.example.com/x#frag", "https://hooks.example.com/x"}, // without its fragment
		{inward, "https://hooks.example.com/x", ""},                                 // one of its addresses is loopback
		{public, "http://hooks.example.com/x", ""},
		{public, "https://10.0.0.7/x", ""},
		{public, "https://[::1]/x", ""},
		{public, "https://intranet/x", ""},
		{public, "https://db.internal/x", ""},
		{public, "https://printer.local/x", ""},
		{public, "https://a:b@hooks.example.com/x", ""},
		{public, "https://93.184.215.14/x", "https://93.184.215.14/x"},
	} {
		got, err := c.targets.Check(context.Background(), c.url)
		if (err == nil) != (c.want != "") || (err == nil && got != c.want) {
			t.Errorf("Check(%s) = %q, %v; want %q", c.url, got, err, c.want)
		}
	}
}

package httpapi_test

import (
	"context"
	"strings"
	"testing"
)

// TestRateLimit: a partner's burst passes with RateLimit headers counting down, the next request
// is a 429 problem with Retry-After; another partner is not affected.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "RATE_LIMIT_RPS", "0.5", "RATE_LIMIT_BURST", "3")
	p := e.partner("Busy")
	other := e.partner("Calm")
	ctx := context.Background()
	for i := range 3 {
		resp, err := p.GetCurrentPartnerWithResponse(ctx)
		if err != nil {
			t.Fatal(err)
		}
		expectStatus(t, resp, 200)
		if got, want := resp.HTTPResponse.Header.Get("RateLimit"), `"partner";r=`+string(rune('2'-i)); !strings.HasPrefix(got, want) {
			t.Fatalf("request %d: RateLimit = %q, want prefix %q", i, got, want)
		}
		if resp.HTTPResponse.Header.Get("RateLimit-Policy") != `"partner";q=3;w=6` {
			t.Fatalf("RateLimit-Policy = %q", resp.HTTPResponse.Header.Get("RateLimit-Policy"))
		}
	}
	resp, err := p.GetCurrentPartnerWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expectProblem(t, resp, 429, "")
	if resp.HTTPResponse.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	ok, err := other.GetCurrentPartnerWithResponse(ctx)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, ok, 200)
}

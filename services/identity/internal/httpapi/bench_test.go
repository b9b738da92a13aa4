package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/flowkiwi/platform/pkg/clients/identity"
	"github.com/flowkiwi/platform/pkg/testdb"

	identitydb "github.com/flowkiwi/platform/db/identity"
)

// BenchmarkCheckInstanceAccess measures the access check product-management makes, end to end over
// loopback HTTP through the generated client: token verification, request validation, one query.
func BenchmarkCheckInstanceAccess(b *testing.B) {
	e := newEnv(b)
	p := e.partner("Bench")
	org := p.org(b, "Bench")
	p.instance(b, org, "bench-instance")
	// A plain client: the benchmark measures the service, not the test's response validation.
	c, err := identity.NewClientWithResponses(e.url, identity.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+p.token)
		return nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	params := &identity.CheckInstanceAccessParams{OrganizationId: org}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.CheckInstanceAccessWithResponse(ctx, "bench-instance", params)
			if err != nil || resp.StatusCode() != 200 {
				b.Fatalf("access check: %v %s", err, body(resp))
			}
		}
	})
}

// BenchmarkDatabaseRoundTrip is the floor for the benchmark above: one trivial query on the same
// database, same run.
func BenchmarkDatabaseRoundTrip(b *testing.B) {
	pool := testdb.New(b, identitydb.Migrations())
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var one int
		for pb.Next() {
			if err := pool.QueryRow(ctx, "select 1").Scan(&one); err != nil {
				b.Fatal(err)
			}
		}
	})
}

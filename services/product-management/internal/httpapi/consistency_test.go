package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/flowkiwi/platform/pkg/clients/consistencytoken"
	pm "github.com/flowkiwi/platform/pkg/clients/productmanagement"
	"github.com/flowkiwi/platform/pkg/readreplicas"
)

// Every answer of the catalog API carries a consistency token, a read takes one back, and a
// malformed one is refused by the spec's pattern. (Standbys serving reads: faults/replicas_test.go.)
func TestAnswersCarryConsistencyTokens(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	created, err := w.c.CreateProductWithResponse(ctx, nil, pm.ProductCreate{Title: some("Tokened tee")})
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, created, http.StatusCreated)
	written, err := readreplicas.ParseToken(consistencytoken.Of(created.HTTPResponse))
	if err != nil || written == 0 {
		t.Fatalf("the create's token %q: %v", consistencytoken.Of(created.HTTPResponse), err)
	}
	id := created.ApplicationldJSON201.Id

	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"the create's token", written.String(), http.StatusOK},
		{"none", "", http.StatusOK},
		{"ahead of every server", "FFFFFFFF/FFFFFFFF", http.StatusOK}, // answered by the primary
		{"malformed", "yesterday", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read, err := w.c.GetProductWithResponse(ctx, id, nil, consistencytoken.With(tc.token))
			if err != nil {
				t.Fatal(err)
			}
			if tc.status != http.StatusOK {
				expectProblem(t, read, tc.status, "header.Flowkiwi-Consistency-Token")
				return
			}
			expectStatus(t, read, http.StatusOK)
			if _, err := readreplicas.ParseToken(consistencytoken.Of(read.HTTPResponse)); err != nil || consistencytoken.Of(read.HTTPResponse) == "" {
				t.Errorf("the read's token %q: %v", consistencytoken.Of(read.HTTPResponse), err)
			}
		})
	}

	deleted, err := w.c.DeleteProductWithResponse(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectStatus(t, deleted, http.StatusNoContent)
	if after, err := readreplicas.ParseToken(consistencytoken.Of(deleted.HTTPResponse)); err != nil || after <= written {
		t.Errorf("the delete's token %s is not past the create's %s: %v", after, written, err)
	}
}

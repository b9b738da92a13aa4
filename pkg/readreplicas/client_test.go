package readreplicas

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/flowkiwi/platform/pkg/accesstoken"
)

// Sticking follows the client Consistency.Client names, else the access token's API client.
func TestConsistencyNamesTheClient(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest("GET", "/", nil)
	req = req.WithContext(accesstoken.WithPrincipal(context.Background(), accesstoken.Principal{ClientID: "token-client"}))
	ec := echo.New().NewContext(req, httptest.NewRecorder())
	if got := (&Consistency{}).client(ec); got != "token-client" {
		t.Errorf("without Client: %q, want the access token's client", got)
	}
	named := &Consistency{Client: func(echo.Context) string { return "named" }}
	if got := named.client(ec); got != "named" {
		t.Errorf("with Client: %q, want its answer", got)
	}
}

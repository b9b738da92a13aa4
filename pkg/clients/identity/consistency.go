package identity

import (
	"context"
	"net/http"
)

// ConsistencyToken is the Flowkiwi-Consistency-Token of an answer ("" when it carries none): send
// it with a later read (WithConsistencyToken) to read at least what that answer saw, on any
// replica. The generated code leaves the header out (tools/codegen overlay).
func ConsistencyToken(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	return resp.Header.Get("Flowkiwi-Consistency-Token")
}

// WithConsistencyToken sends token with a request ("" sends nothing).
func WithConsistencyToken(token string) RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		if token != "" {
			r.Header.Set("Flowkiwi-Consistency-Token", token)
		}
		return nil
	}
}

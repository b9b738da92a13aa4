// Package consistencytoken reads and sends the Flowkiwi-Consistency-Token of both services'
// answers with their generated clients (the codegen overlay leaves the header to the services'
// middleware, pkg/readreplicas): send an answer's token with a later read to read at least what
// that answer saw, on any replica.
package consistencytoken

import (
	"context"
	"net/http"
)

// Header is the header both ways.
const Header = "Flowkiwi-Consistency-Token"

// Of is the token of an answer ("" when it carries none).
func Of(resp *http.Response) string {
	if resp == nil {
		return ""
	}
	return resp.Header.Get(Header)
}

// With sends token with a request ("" sends nothing). It is a RequestEditorFn of either
// generated client.
func With(token string) func(context.Context, *http.Request) error {
	return func(_ context.Context, r *http.Request) error {
		if token != "" {
			r.Header.Set(Header, token)
		}
		return nil
	}
}

package apiserver

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"
)

// Debug serves Go's profiles (net/http/pprof) on addr until ctx ends: on a listener of its own,
// never the API's, so an operator reaches it only from where addr is bound (loopback, a pod's
// port-forward). An empty addr serves nothing.
func Debug(ctx context.Context, addr string, logger *slog.Logger) error {
	if addr == "" {
		return nil
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	// Serve's listen and shutdown, without a drain delay: nothing balances traffic to it.
	return Serve(ctx, &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}, &Drain{}, 0, time.Second, logger.With("listener", "debug"))
}

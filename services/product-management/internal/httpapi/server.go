// Package httpapi is product-management's HTTP layer: it implements the generated strict-server
// interface, translating requests into catalog calls and catalog values into JSON-LD. IRIs are
// read and built with package iri; errors are returned as they are and become problem documents in
// one place (package problem), with the catalog's parameter names placed in their header or query
// (errors.go).
package httpapi

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/flowkiwi/platform/services/product-management/internal/api"
	"github.com/flowkiwi/platform/services/product-management/internal/bulk"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
	"github.com/flowkiwi/platform/services/product-management/internal/tenant"
	"github.com/flowkiwi/platform/services/product-management/internal/webhook"
)

// The identity permissions that gate the catalog.
const (
	permRead  = "identity:products.read"
	permWrite = "identity:products.write"
)

// Server implements api.StrictServerInterface.
type Server struct {
	Catalog  *catalog.Service
	Webhooks *webhook.Service
	Bulk     *bulk.Service
	// RenderedProducts is how many encoded product reads to keep (0: none): see representation.
	RenderedProducts int
	// RequestTimeout bounds each request (apiserver.Deadline; 0: no bound).
	RequestTimeout time.Duration

	ld          *linkedData                           // the JSON-LD contexts and API documentation (NewHandler derives them)
	pageWriters sync.Pool                             // of *bufio.Writer, for product list pages (productPage)
	rendered    *lru.Cache[representation, rendering] // kept renderings of product reads (NewHandler makes it; nil: off)
}

var _ api.StrictServerInterface = (*Server)(nil)

// authorize returns the tenant when it holds perm.
func authorize(ctx context.Context, perm string) (tenant.Tenant, error) {
	t, err := tenant.FromContext(ctx)
	if err != nil {
		return t, err
	}
	return t, t.Require(perm)
}

// reading authorizes a read and resolves its locale (X-Flowkiwi-Locale, -Fallback).
func (s *Server) reading(ctx context.Context, locale *string, fallback *bool) (tenant.Tenant, catalog.ReadLocale, error) {
	t, err := authorize(ctx, permRead)
	if err != nil {
		return t, catalog.ReadLocale{}, err
	}
	rl, err := s.Catalog.ReadLocale(ctx, t.InstanceID, locale, fallback != nil && *fallback)
	return t, rl, err
}

// writing authorizes a write and resolves the locale its texts are stored in.
func (s *Server) writing(ctx context.Context, locale *string) (tenant.Tenant, string, error) {
	t, err := authorize(ctx, permWrite)
	if err != nil {
		return t, "", err
	}
	code, err := s.Catalog.WriteLocale(ctx, t.InstanceID, locale)
	return t, code, err
}

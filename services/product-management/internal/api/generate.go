// Package api is the generated server side of openapi/product-management.yaml: models and the Echo
// strict-server interface (api.gen.go, through the codegen overlay), and the embedded spec
// (spec.gen.go, from the unmodified file).
package api

//go:generate sh -c "cat ../../../../tools/codegen/product-management.overlay.yaml ../../../../tools/codegen/product-management.server-actions.yaml >server.overlay.gen.yaml"
//go:generate go tool -modfile=../../../../tools/go.mod oapi-codegen -config cfg.yaml ../../../../openapi/product-management.yaml
//go:generate go tool -modfile=../../../../tools/go.mod oapi-codegen -config cfg.spec.yaml ../../../../openapi/product-management.yaml

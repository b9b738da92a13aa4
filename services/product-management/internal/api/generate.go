// Package api is the generated server side of openapi/product-management.yaml: models, the Echo
// strict-server interface and the embedded spec.
package api

//go:generate go tool -modfile=../../../../tools/go.mod oapi-codegen -config cfg.yaml ../../../../openapi/product-management.yaml

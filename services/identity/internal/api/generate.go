// Package api is the generated server side of openapi/identity.yaml: models, the Echo strict-server
// interface and the embedded spec.
package api

//go:generate go tool -modfile=../../../../tools/go.mod oapi-codegen -config cfg.yaml ../../../../openapi/identity.yaml

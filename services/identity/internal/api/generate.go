// Package api is the generated server side of openapi/identity.yaml: models and the Echo
// strict-server interface (api.gen.go, through the codegen overlay), and the embedded spec
// (spec.gen.go, from the unmodified file).
package api

//go:generate go tool -modfile=../../../../tools/go.mod oapi-codegen -config cfg.yaml ../../../../openapi/identity.yaml
//go:generate go tool -modfile=../../../../tools/go.mod oapi-codegen -config cfg.spec.yaml ../../../../openapi/identity.yaml

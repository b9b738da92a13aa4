// Package identity is the generated Go client of the Flowkiwi identity API (openapi/identity.yaml).
package identity

//go:generate go tool -modfile=../../../tools/go.mod oapi-codegen -config cfg.yaml ../../../openapi/identity.yaml

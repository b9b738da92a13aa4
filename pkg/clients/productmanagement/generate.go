// Package productmanagement is the generated Go client of the Flowkiwi Product Management API
// (openapi/product-management.yaml).
package productmanagement

//go:generate go tool -modfile=../../../tools/go.mod oapi-codegen -config cfg.yaml ../../../openapi/product-management.yaml

// Package common holds the types shared by every Flowkiwi API (problem details, violations, paging),
// generated from openapi/common.yaml.
package common

//go:generate go tool -modfile=../../../tools/go.mod oapi-codegen -config cfg.yaml ../../../openapi/common.yaml

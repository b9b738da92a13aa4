package apitest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// ExpectPublishedContract checks what a service serves at /openapi.yaml against its source in the
// repository (sourcePath, which may reference common.yaml): the served document stands alone and
// validates, and has the source's operations under the same operationIds and the source's
// components under the same names, so a client generated from the download matches one
// generated from openapi/.
func ExpectPublishedContract(t testing.TB, served []byte, sourcePath string) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(served) // no external references: it must stand alone
	if err != nil {
		t.Fatalf("the published contract does not load on its own: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the published contract is invalid: %v", err)
	}
	if strings.Contains(string(served), "common.yaml#") {
		t.Fatal("the published contract refers to common.yaml")
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	src, err := loader.LoadFromFile(sourcePath)
	if err != nil {
		t.Fatalf("source %s: %v", sourcePath, err)
	}
	if got, want := operationIDs(doc), operationIDs(src); !slices.Equal(got, want) {
		t.Fatalf("operationIds differ from the source:\n served %v\n source %v", got, want)
	}
	for name := range src.Components.Schemas {
		if doc.Components.Schemas[name] == nil {
			t.Errorf("the published contract lacks the schema %s", name)
		}
	}
	for name := range doc.Components.Schemas {
		if strings.HasPrefix(name, "common_") {
			t.Errorf("the published contract renamed a shared schema: %s", name)
		}
	}
}

func operationIDs(doc *openapi3.T) []string {
	var ids []string
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	slices.Sort(ids)
	return ids
}

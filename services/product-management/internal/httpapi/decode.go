package httpapi

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/services/product-management/internal/catalog"
)

// requestBody returns the body of a request that accepts application/json and
// application/ld+json (the generated wrappers bind one or the other).
func requestBody[T any](json, ld *T) (*T, error) {
	if json != nil {
		return json, nil
	}
	if ld != nil {
		return ld, nil
	}
	return nil, fault.BadRequest("a request body is required")
}

// optional reads a nullable member of a create: absent and null are both nil.
func optional[T any](n nullable.Nullable[T]) *T {
	if !n.IsSpecified() || n.IsNull() {
		return nil
	}
	v := n.MustGet()
	return &v
}

// textPatch reads a nullable merge-patch text: null or blank removes it, anything else is set
// trimmed.
func textPatch(n nullable.Nullable[string]) mergepatch.Field[string] {
	switch {
	case !n.IsSpecified():
		return mergepatch.Absent[string]()
	case n.IsNull() || strings.TrimSpace(n.MustGet()) == "":
		return mergepatch.Null[string]()
	}
	return mergepatch.Value(strings.TrimSpace(n.MustGet()))
}

// patch reads any nullable merge-patch member.
func patch[T any](n nullable.Nullable[T]) mergepatch.Field[T] {
	switch {
	case !n.IsSpecified():
		return mergepatch.Absent[T]()
	case n.IsNull():
		return mergepatch.Null[T]()
	}
	return mergepatch.Value(n.MustGet())
}

// refPatch reads a nullable merge-patch reference (an IRI) with read: null or blank removes it;
// an unreadable one becomes uuid.Nil, which the catalog reports as unknown.
func refPatch(n nullable.Nullable[string], read func(string) uuid.UUID) mergepatch.Field[uuid.UUID] {
	t := textPatch(n)
	if v, ok := t.Get(); ok {
		return mergepatch.Value(read(v))
	}
	if t.IsNull() {
		return mergepatch.Null[uuid.UUID]()
	}
	return mergepatch.Absent[uuid.UUID]()
}

// refOf reads a nullable reference of a create: absent and null name nothing; any value is read
// with read (uuid.Nil when unreadable, which the catalog reports as unknown).
func refOf(n nullable.Nullable[string], read func(string) uuid.UUID) mergepatch.Field[uuid.UUID] {
	if v := optional(n); v != nil {
		return mergepatch.Value(read(*v))
	}
	return mergepatch.Absent[uuid.UUID]()
}

// ids reads a list of references with read.
func ids[T any](list []T, ref func(T) string, read func(string) uuid.UUID) []uuid.UUID {
	out := make([]uuid.UUID, len(list))
	for i, x := range list {
		out[i] = read(ref(x))
	}
	return out
}

// optionalTime reads a nullable date-time of a create.
func optionalTime(n nullable.Nullable[time.Time]) *time.Time { return optional(n) }

// expandOf reads the expand parameter.
func expandOf(p *string) catalog.Expand {
	if p == nil {
		return catalog.Expand{}
	}
	return catalog.ParseExpand(*p)
}

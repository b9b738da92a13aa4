package mergepatch_test

import (
	"testing"

	"github.com/flowkiwi/platform/pkg/mergepatch"
)

func TestField(t *testing.T) {
	t.Parallel()
	cur := "old"
	cases := []struct {
		name          string
		f             mergepatch.Field[string]
		present, null bool
		want          *string
	}{
		{"absent keeps", mergepatch.Absent[string](), false, false, &cur},
		{"null removes", mergepatch.Null[string](), true, true, nil},
		{"value sets", mergepatch.Value("new"), true, false, ptr("new")},
		{"zero value is absent", mergepatch.Field[string]{}, false, false, &cur},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if c.f.Present() != c.present || c.f.IsNull() != c.null {
				t.Fatalf("present %v null %v", c.f.Present(), c.f.IsNull())
			}
			got := c.f.Apply(&cur)
			if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
				t.Fatalf("Apply = %v, want %v", got, c.want)
			}
			if v, ok := c.f.Get(); ok != (c.want != nil && c.present) || ok && v != *c.want {
				t.Fatalf("Get = %q, %v", v, ok)
			}
		})
	}
}

func ptr(s string) *string { return &s }

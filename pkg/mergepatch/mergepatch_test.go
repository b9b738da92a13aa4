package mergepatch_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/pkg/mergepatch"
)

// The test vectors of RFC 7396, Appendix A.
var rfcVectors = []struct{ target, patch, want string }{
	{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
	{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
	{`{"a":"b"}`, `{"a":null}`, `{}`},
	{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
	{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
	{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
	{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
	{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
	{`["a","b"]`, `["c","d"]`, `["c","d"]`},
	{`{"a":"b"}`, `["c"]`, `["c"]`},
	{`{"a":"foo"}`, `null`, `null`},
	{`{"a":"foo"}`, `"bar"`, `"bar"`},
	{`{"e":null}`, `{"a":1}`, `{"e":null,"a":1}`},
	{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
	{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
}

func TestApplyRFC7396Vectors(t *testing.T) {
	t.Parallel()
	for _, tc := range rfcVectors {
		t.Run(tc.target+"+"+tc.patch, func(t *testing.T) {
			got, err := mergepatch.Apply([]byte(tc.target), []byte(tc.patch))
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			assertJSONEqual(t, got, tc.want)
		})
	}
}

func TestApplyRejectsMalformedInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, doc, patch string }{
		{"malformed patch", `{}`, `{"a":`},
		{"trailing data", `{}`, `{} {}`},
		{"malformed doc", `{`, `{}`},
		{"too deep", `{}`, strings.Repeat(`{"a":`, mergepatch.MaxDepth+2) + `1` + strings.Repeat(`}`, mergepatch.MaxDepth+2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := mergepatch.Apply([]byte(tc.doc), []byte(tc.patch)); err == nil {
				t.Fatal("Apply accepted invalid input")
			}
		})
	}
}

// FuzzApply checks that Apply never panics and that, for object patches, every non-null patch member
// ends up in the result and every null member is gone.
func FuzzApply(f *testing.F) {
	for _, v := range rfcVectors {
		f.Add([]byte(v.target), []byte(v.patch))
	}
	f.Add([]byte(`{"name":"x","bank_info":{"iban":"DE"}}`), []byte(`{"bank_info":{"iban":null},"handle":"y"}`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		out, err := mergepatch.Apply(doc, patch)
		if err != nil {
			return
		}
		var p map[string]any
		if json.Unmarshal(patch, &p) != nil {
			return
		}
		var res map[string]any
		if err := json.Unmarshal(out, &res); err != nil {
			t.Fatalf("object patch produced a non-object %s: %v", out, err)
		}
		for k, v := range p {
			_, present := res[k]
			if v == nil && present {
				t.Fatalf("null member %q survived", k)
			}
			if v != nil && !present {
				t.Fatalf("member %q missing from result", k)
			}
		}
	})
}

func assertJSONEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("result is not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got %s, want %s", got, want)
	}
}

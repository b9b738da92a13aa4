// Package mergepatch implements JSON Merge Patch (RFC 7396).
package mergepatch

import (
	"bytes"
	"encoding/json"
	"errors"
)

// MaxDepth bounds the nesting of documents and patches, so a hostile patch cannot exhaust the stack.
const MaxDepth = 64

// ErrTooDeep is returned for documents nested deeper than MaxDepth.
var ErrTooDeep = errors.New("mergepatch: document nested too deeply")

// Apply applies patch to doc and returns the result. Both must be JSON texts; an empty doc is null.
func Apply(doc, patch []byte) ([]byte, error) {
	var target any
	if len(bytes.TrimSpace(doc)) > 0 {
		if err := decode(doc, &target); err != nil {
			return nil, err
		}
	}
	var p any
	if err := decode(patch, &p); err != nil {
		return nil, err
	}
	if depth(p, 0) > MaxDepth || depth(target, 0) > MaxDepth {
		return nil, ErrTooDeep
	}
	return json.Marshal(Merge(target, p))
}

// Merge applies a decoded patch to a decoded target (values as produced by encoding/json into any).
// The target may be modified in place.
func Merge(target, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch // a non-object patch replaces the target wholesale
	}
	tm, ok := target.(map[string]any)
	if !ok {
		tm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
			continue
		}
		tm[k] = Merge(tm[k], v)
	}
	return tm
}

func decode(data []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep numbers exact
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("mergepatch: trailing data after JSON value")
	}
	return nil
}

func depth(v any, d int) int {
	if d > MaxDepth {
		return d
	}
	max := d
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if n := depth(e, d+1); n > max {
				max = n
			}
		}
	case []any:
		for _, e := range x {
			if n := depth(e, d+1); n > max {
				max = n
			}
		}
	}
	return max
}

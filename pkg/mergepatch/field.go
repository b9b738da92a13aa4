package mergepatch

// Field is one member of a merge patch decoded into a domain change: absent (the value stays),
// null (the value is removed) or a new value. Its zero value is absent.
type Field[T any] struct {
	present bool
	value   *T // nil when present: null
}

// Absent leaves a value alone.
func Absent[T any]() Field[T] { return Field[T]{} }

// Null removes a value.
func Null[T any]() Field[T] { return Field[T]{present: true} }

// Value sets v.
func Value[T any](v T) Field[T] { return Field[T]{present: true, value: &v} }

// Present reports whether the patch names the member (with a value or null).
func (f Field[T]) Present() bool { return f.present }

// IsNull reports a removal.
func (f Field[T]) IsNull() bool { return f.present && f.value == nil }

// Get returns the new value, when there is one.
func (f Field[T]) Get() (T, bool) {
	if f.value == nil {
		var zero T
		return zero, false
	}
	return *f.value, true
}

// Apply returns what a value current (nil: none) becomes under the patch.
func (f Field[T]) Apply(current *T) *T {
	switch {
	case !f.present:
		return current
	case f.value == nil:
		return nil
	}
	v := *f.value
	return &v
}

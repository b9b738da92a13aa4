package pgerr_test

import (
	"errors"
	"testing"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/pgerr"
)

type store struct{}

func (store) UpdateThing() error {
	return func() error { return wrap(errors.New("syntax error at or near \"x\"")) }()
}

func (store) ReadThing() error { return pgerr.NotFound(errors.New("boom"), "thing") }

var wrap = pgerr.Wrap

// An internal error names the store method it failed in, through closures and helpers.
func TestWrapNamesTheStoreMethod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{store{}.UpdateThing(), `postgres UpdateThing: syntax error at or near "x"`},
		{store{}.ReadThing(), "postgres ReadThing: boom"},
	} {
		var fe *fault.Error
		if !errors.As(tc.err, &fe) || fe.Kind != fault.KindInternal || fe.Err == nil || fe.Err.Error() != tc.want {
			t.Errorf("got %v (%#v), want an internal error caused by %q", tc.err, fe, tc.want)
		}
	}
}

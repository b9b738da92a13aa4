package precondition

import (
	"testing"

	"github.com/flowkiwi/platform/pkg/fault"
)

func TestIfMatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header *string
		want   int64
		failed bool
	}{
		{nil, 0, false},
		{ptr("*"), 0, false},
		{ptr(`"7"`), 7, false},
		{ptr(`W/"7"`), 7, false},
		{ptr(` "12" `), 12, false},
		{ptr(`"0"`), 0, true},
		{ptr(`"-3"`), 0, true},
		{ptr(`"abc"`), 0, true},
		{ptr(``), 0, true},
	} {
		got, err := IfMatch(tc.header)
		if got != tc.want || fault.Is(err, fault.KindPreconditionFailed) != tc.failed {
			t.Errorf("IfMatch(%v) = %d, %v", tc.header, got, err)
		}
	}
	if v, _ := IfMatch(ETag(42)); v != 42 {
		t.Errorf("an ETag does not round-trip: %d", v)
	}
}

func ptr(s string) *string { return &s }

func TestNoneMatch(t *testing.T) {
	t.Parallel()
	cur := RepresentationETag(7, "de", "en") // "7;de;en"
	for _, c := range []struct {
		header *string
		want   bool
	}{
		{nil, false},
		{ptr(`"7;de;en"`), true},
		{ptr(`W/"7;de;en"`), true},
		{ptr(`"6;de;en", "7;de;en"`), true},
		{ptr(`"6;de;en"`), false},
		{ptr(`"7;fr;en"`), false},
		{ptr(`"7;de"`), false},
		{ptr(`"7"`), false},
		{ptr(`*`), true},
		{ptr(``), false},
	} {
		if got := NoneMatch(c.header, cur); got != c.want {
			t.Errorf("NoneMatch(%v, %s) = %v, want %v", c.header, *cur, got, c.want)
		}
	}
	if v, err := IfMatch(cur); err != nil || v != 7 {
		t.Errorf("IfMatch(%s) = %d, %v; want 7", *cur, v, err)
	}
	if *RepresentationETag(3, "en", "en") != `"3;en"` {
		t.Errorf("a fallback equal to the locale is left out: %s", *RepresentationETag(3, "en", "en"))
	}
}

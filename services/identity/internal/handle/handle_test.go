package handle_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/services/identity/internal/handle"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		handle string
		code   string // "" when valid
	}{
		{"acme", ""},
		{"acme-eu", ""},
		{"a-b-c", ""},
		{"abc", ""},
		{strings.Repeat("a", 63), ""},
		{"ab", "invalid_length"},
		{strings.Repeat("a", 64), "invalid_length"},
		{"", "invalid_length"},
		{"Acme", "invalid_handle"},
		{"acme_eu", "invalid_handle"},
		{"acme1", "invalid_handle"},
		{"-acme", "invalid_handle"},
		{"acme-", "invalid_handle"},
		{"ac--me", "invalid_handle"},
		{"xn--abc", "invalid_handle"},
		{"acme.eu", "invalid_handle"},
		{"acmé", "invalid_handle"},
		{"www", "reserved_handle"},
		{"api", "reserved_handle"},
		{"admin", "reserved_handle"},
		{"identity", "reserved_handle"},
	} {
		t.Run(tc.handle, func(t *testing.T) {
			err := handle.Validate(tc.handle)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("Validate(%q) = %v, want valid", tc.handle, err)
				}
				return
			}
			var fe *fault.Error
			if err == nil || !errors.As(err, &fe) || fe.Kind != fault.KindUnprocessable {
				t.Fatalf("Validate(%q) = %v, want a 422 violation", tc.handle, err)
			}
			if got := fe.Violations[0]; got.Code != tc.code || got.Path != "handle" {
				t.Fatalf("Validate(%q) violation = %+v, want code %s at handle", tc.handle, got, tc.code)
			}
		})
	}
}

var spec = regexp.MustCompile(`^[a-z]+(-[a-z]+)*$`)

// FuzzValidate checks Validate against the published rule: the pattern, 3 to 63 bytes, no "--",
// not reserved; and that it never panics on any input.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"acme-eu", "xn--abc", "a", "www", "ab-", "-ab", "a--b", "ÄBC", "\x00\xff", strings.Repeat("z", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		err := handle.Validate(h)
		want := spec.MatchString(h) && len(h) >= 3 && len(h) <= 63 && !strings.Contains(h, "--") && !handle.Reserved(h)
		if (err == nil) != want {
			t.Fatalf("Validate(%q) = %v, want valid=%v", h, err, want)
		}
		if err != nil && fault.KindOf(err) != fault.KindUnprocessable {
			t.Fatalf("Validate(%q) returned kind %v", h, fault.KindOf(err))
		}
	})
}

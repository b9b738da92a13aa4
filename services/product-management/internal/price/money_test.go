package price_test

import (
	"testing"

	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

func TestAmounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in    string
		units int
		want  int64
		ok    bool
		out   string
	}{
		{"19.99", 2, 1999, true, "19.99"},
		{"19.9", 2, 1990, true, "19.90"},
		{"19", 2, 1900, true, "19.00"},
		{"0.05", 2, 5, true, "0.05"},
		{"0", 2, 0, true, "0.00"},
		{"1500", 0, 1500, true, "1500"},
		{"1.234", 3, 1234, true, "1.234"},
		{"19.999", 2, 0, false, ""},
		{"-1.00", 2, 0, false, ""},
		{"+1.00", 2, 0, false, ""},
		{"1e3", 2, 0, false, ""},
		{"1.", 2, 0, false, ""},
		{".5", 2, 0, false, ""},
		{"1,00", 2, 0, false, ""},
		{" 1.00", 2, 0, false, ""},
		{"1.5", 0, 0, false, ""},
		{"9999999999999999", 2, 0, false, ""},
	} {
		got, err := price.ParseAmount(tc.in, tc.units)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAmount(%q, %d) = %d, %v", tc.in, tc.units, got, err)
			continue
		}
		if tc.ok && price.FormatAmount(got, tc.units) != tc.out {
			t.Errorf("FormatAmount(%d, %d) = %q, want %q", got, tc.units, price.FormatAmount(got, tc.units), tc.out)
		}
	}
}

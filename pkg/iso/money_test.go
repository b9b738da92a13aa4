package iso_test

import (
	"testing"

	"github.com/flowkiwi/platform/pkg/iso"
)

func TestCurrencies(t *testing.T) {
	t.Parallel()
	for code, units := range map[string]int{"EUR": 2, "USD": 2, "JPY": 0, "KWD": 3, "CHF": 2} {
		c, ok := iso.CurrencyByCode(code)
		if !ok || c.MinorUnits != units {
			t.Errorf("%s = %+v %v, want %d minor units", code, c, ok, units)
		}
	}
	if _, ok := iso.CurrencyByCode("XAU"); ok {
		t.Error("gold is not a currency prices are set in")
	}
}

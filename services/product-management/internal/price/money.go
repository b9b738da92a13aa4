package price

import (
	"errors"
	"strconv"
	"strings"
)

// ErrAmount is returned for amounts that are not plain non-negative decimals in the currency's
// precision.
var ErrAmount = errors.New("price: not a valid amount")

// ParseAmount reads a decimal string ("19.99") into minor units of a currency with units decimal
// places. Fewer decimals are fine ("19.9", "19"); more are refused rather than rounded.
func ParseAmount(s string, units int) (int64, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 15 || (hasDot && (frac == "" || len(frac) > units)) {
		return 0, ErrAmount
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, ErrAmount
			}
		}
	}
	frac += strings.Repeat("0", units-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, ErrAmount
	}
	return n, nil
}

// FormatAmount writes minor units as a decimal string with exactly units decimal places.
func FormatAmount(minor int64, units int) string {
	s := strconv.FormatInt(minor, 10)
	if units == 0 {
		return s
	}
	if len(s) <= units {
		s = strings.Repeat("0", units-len(s)+1) + s
	}
	return s[:len(s)-units] + "." + s[len(s)-units:]
}

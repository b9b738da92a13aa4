package organization

import (
	"encoding/json"
	"testing"

	"github.com/flowkiwi/platform/pkg/fault"
)

func TestValidIBAN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		iban string
		ok   bool
	}{
		{"DE89370400440532013000", true},
		{"GB82WEST12345698765432", true},
		{"NL91ABNA0417164300", true},
		{"FR1420041010050500013M02606", true},
		{"NO9386011117947", true},
		{"DE88370400440532013000", false}, // check digits
		{"DE8937040044053201300", false},  // length
		{"XX89370400440532013000", false}, // country
		{"DE89-370400440532013000", false},
		{"", false},
		{"DE", false},
	} {
		if got := ValidIBAN(tc.iban); got != tc.ok {
			t.Errorf("ValidIBAN(%q) = %v, want %v", tc.iban, got, tc.ok)
		}
	}
}

func TestValidBIC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		bic string
		ok  bool
	}{
		{"COBADEFFXXX", true},
		{"COBADEFF", true},
		{"DEUTDEDB101", true},
		{"COBADEF", false},
		{"COBADEFFXX", false},
		{"COBAQQFF", false}, // no such country
		{"C0BADEFF", false}, // digit in the bank code
		{"cobadeff", false}, // callers upper-case first
	} {
		if got := ValidBIC(tc.bic); got != tc.ok {
			t.Errorf("ValidBIC(%q) = %v, want %v", tc.bic, got, tc.ok)
		}
	}
}

// FuzzApplyPatch decodes arbitrary merge patches against an organization: it never panics, and it
// either yields fields that validate or an error of a client-facing kind.
func FuzzApplyPatch(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":null}`, `{"bank_info":{"iban":null}}`, `{"bank_info":null}`, `{"city":1}`,
		`[1]`, `null`, `"x"`, `{"handle":"x"}`, `{"is_active":null}`, `{"bank_info":{"iban":"DE89370400440532013000"}}`, `{"name":"\u0000"}`} {
		f.Add([]byte(s))
	}
	city, iban := "Bonn", "DE89370400440532013000"
	base := Fields{Name: "Acme", IsActive: true, City: &city, BankInfo: &BankInfo{IBAN: &iban}}
	f.Fuzz(func(t *testing.T, patch []byte) {
		out, err := applyPatch(base, patch)
		if err == nil {
			err = out.normalizeAndValidate()
			if err == nil {
				if out.Name == "" {
					t.Fatal("a valid result lost its name")
				}
				if _, jerr := json.Marshal(out); jerr != nil {
					t.Fatal(jerr)
				}
				return
			}
		}
		if k := fault.KindOf(err); k != fault.KindUnprocessable {
			t.Fatalf("patch %q: error kind %v (%v), want a 422", patch, k, err)
		}
	})
}

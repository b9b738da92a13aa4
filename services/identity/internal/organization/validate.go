package organization

import (
	"math/big"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/iso"
)

// normalizeAndValidate trims text, upper-cases codes, drops empty optional values and checks every
// field, reporting all violations at once.
func (f *Fields) normalizeAndValidate() error {
	var vs fault.Violations
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" || utf8.RuneCountInString(f.Name) > 200 {
		vs.Add("name", "invalid_length", "the name must be 1 to 200 characters long")
	}
	for _, t := range []struct {
		path string
		v    **string
		max  int
	}{
		{"external_id", &f.ExternalID, 200}, {"address", &f.Address, 500}, {"city", &f.City, 200},
		{"postal_code", &f.PostalCode, 32}, {"phone", &f.Phone, 32}, {"vat_number", &f.VATNumber, 32},
		{"email", &f.Email, 254}, {"website_url", &f.WebsiteURL, 2048}, {"country_code", &f.CountryCode, 2},
	} {
		trim(t.v)
		if *t.v != nil && utf8.RuneCountInString(**t.v) > t.max {
			vs.Add(t.path, "too_long", "this value is too long")
		}
	}
	if f.CountryCode != nil {
		up := strings.ToUpper(*f.CountryCode)
		f.CountryCode = &up
		if _, ok := iso.CountryByCode(up); !ok {
			vs.Add("country_code", "invalid_country", "not an ISO 3166-1 alpha-2 country code")
		}
	}
	if f.Email != nil && !validEmail(*f.Email) {
		vs.Add("email", "invalid_email", "not a valid email address")
	}
	if f.WebsiteURL != nil && !validURL(*f.WebsiteURL) {
		vs.Add("website_url", "invalid_url", "not an absolute http or https URL")
	}
	if f.Phone != nil && !phonePattern.MatchString(*f.Phone) {
		vs.Add("phone", "invalid_phone", "a phone number may contain digits, spaces and + ( ) - / . only")
	}
	if b := f.BankInfo; b != nil {
		trim(&b.AccountNumber)
		trim(&b.BankName)
		trim(&b.IBAN)
		trim(&b.SWIFT)
		if b.AccountNumber != nil && len(*b.AccountNumber) > 64 {
			vs.Add("bank_info.account_number", "too_long", "this value is too long")
		}
		if b.BankName != nil && utf8.RuneCountInString(*b.BankName) > 200 {
			vs.Add("bank_info.bank_name", "too_long", "this value is too long")
		}
		if b.IBAN != nil {
			iban := strings.ToUpper(strings.ReplaceAll(*b.IBAN, " ", ""))
			b.IBAN = &iban
			if !ValidIBAN(iban) {
				vs.Add("bank_info.iban", "invalid_iban", "not a valid IBAN (country, length or check digits are wrong)")
			}
		}
		if b.SWIFT != nil {
			bic := strings.ToUpper(*b.SWIFT)
			b.SWIFT = &bic
			if !ValidBIC(bic) {
				vs.Add("bank_info.swift", "invalid_bic", "not a valid BIC: 8 or 11 characters, bank code, ISO country, location, optional branch")
			}
		}
		if b.empty() {
			f.BankInfo = nil
		}
	}
	return vs.Err()
}

func trim(p **string) {
	if *p == nil {
		return
	}
	s := strings.TrimSpace(**p)
	if s == "" {
		*p = nil
		return
	}
	*p = &s
}

var phonePattern = regexp.MustCompile(`^\+?[0-9 ()./-]{3,32}$`)

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	// ParseAddress accepts display names ("Bob <b@x>"); only a bare address is an email field.
	return err == nil && a.Name == "" && a.Address == s && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// ibanLengths is the IBAN length per country (SWIFT IBAN registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
	"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
	"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
	"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
	"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
	"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// ValidIBAN checks an IBAN (upper case, no spaces): country, registry length and mod-97 check digits.
func ValidIBAN(iban string) bool {
	if len(iban) < 5 {
		return false
	}
	if n, ok := ibanLengths[iban[:2]]; !ok || n != len(iban) {
		return false
	}
	var digits strings.Builder
	for _, c := range iban[4:] + iban[:4] {
		switch {
		case c >= '0' && c <= '9':
			digits.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			digits.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

var bicPattern = regexp.MustCompile(`^[A-Z]{4}([A-Z]{2})[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// ValidBIC checks a BIC (ISO 9362): 4-letter bank code, ISO country, 2-character location, optional
// 3-character branch.
func ValidBIC(bic string) bool {
	m := bicPattern.FindStringSubmatch(bic)
	if m == nil {
		return false
	}
	_, ok := iso.CountryByCode(m[1])
	return ok || m[1] == "XK" // Kosovo uses XK in BICs
}

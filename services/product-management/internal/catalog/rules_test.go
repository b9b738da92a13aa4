package catalog

// Table tests of the catalog's pure rules: no database, no HTTP.

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/flowkiwi/platform/pkg/fault"
	"github.com/flowkiwi/platform/pkg/mergepatch"
	"github.com/flowkiwi/platform/services/product-management/internal/price"
)

// paths returns the violation paths of err (nil when it reports none).
func paths(err error) []string {
	var vs fault.Violations
	if !vs.Take(err) {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Path
	}
	return out
}

func sizes(values ...string) []VariantInput {
	out := make([]VariantInput, len(values))
	for i, v := range values {
		out[i] = VariantInput{SKU: "TS-" + v, OptionValues: []ValueRef{{Option: "Size", Value: v}}}
	}
	return out
}

func TestBuildProduct(t *testing.T) {
	t.Parallel()
	size := []OptionInput{{Name: "Size", Values: []string{"S", "M"}}}
	var distinct []string
	for i := 0; i <= MaxTags; i++ {
		distinct = append(distinct, fmt.Sprint("tag", i))
	}
	manyTags := strings.Join(distinct, ",")
	cases := []struct {
		name string
		in   ProductInput
		want []string // violation paths; nil: valid
	}{
		{"a bare product is a draft", ProductInput{}, nil},
		{"options and variants", ProductInput{Options: size, Variants: sizes("S", "M")}, nil},
		{"names match case-insensitively", ProductInput{Options: size, Variants: []VariantInput{{SKU: "A", OptionValues: []ValueRef{{Option: "size", Value: "m"}}}}}, nil},
		{"unknown status", ProductInput{Status: "deleted"}, []string{"status"}},
		{"too many options", ProductInput{Options: make([]OptionInput, MaxOptions+1)}, []string{"options"}},
		{"too many tags", ProductInput{Tags: &manyTags}, []string{"tags"}},
		{"duplicate option names", ProductInput{Options: []OptionInput{{Name: "Size", Values: []string{"S"}}, {Name: "SIZE", Values: []string{"M"}}}}, []string{"options[1].name"}},
		{"empty option name and value", ProductInput{Options: []OptionInput{{Name: " ", Values: []string{""}}}}, []string{"options[0].name", "options[0].values[0]"}},
		{"an option without values", ProductInput{Options: []OptionInput{{Name: "Size"}}}, []string{"options[0].values"}},
		{"duplicate values", ProductInput{Options: []OptionInput{{Name: "Size", Values: []string{"S", "s"}}}}, []string{"options[0].values[1]"}},
		{"duplicate SKU", ProductInput{Options: size, Variants: []VariantInput{sizes("S")[0], {SKU: "TS-S", OptionValues: []ValueRef{{Option: "Size", Value: "M"}}}}}, []string{"variants[1].sku"}},
		{"duplicate combination", ProductInput{Options: size, Variants: []VariantInput{sizes("S")[0], {SKU: "other", OptionValues: []ValueRef{{Option: "Size", Value: "S"}}}}}, []string{"variants[1].optionValues"}},
		{"missing option value", ProductInput{Options: size, Variants: []VariantInput{{SKU: "A"}}}, []string{"variants[0].optionValues"}},
		{"unknown option", ProductInput{Options: size, Variants: []VariantInput{{SKU: "A", OptionValues: []ValueRef{{Option: "Color", Value: "S"}}}}}, []string{"variants[0].optionValues[0].option"}},
		{"unknown value", ProductInput{Options: size, Variants: []VariantInput{{SKU: "A", OptionValues: []ValueRef{{Option: "Size", Value: "XL"}}}}}, []string{"variants[0].optionValues[0].value"}},
		{"values by id are not allowed at creation", ProductInput{Options: size, Variants: []VariantInput{{SKU: "A", OptionValues: []ValueRef{{ByID: true, ID: uuid.New()}}}}}, []string{"variants[0].optionValues[0]"}},
		{"two values of one option", ProductInput{Options: size, Variants: []VariantInput{{SKU: "A", OptionValues: []ValueRef{{Option: "Size", Value: "S"}, {Option: "Size", Value: "M"}}}}}, []string{"variants[0].optionValues[1]"}},
		{"blank SKU", ProductInput{Variants: []VariantInput{{SKU: "  "}}}, []string{"variants[0].sku"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := buildProduct(c.in)
			if diff := cmp.Diff(c.want, paths(err)); diff != "" {
				t.Fatalf("violations (-want +got):\n%s\nerr: %v", diff, err)
			}
			if c.want == nil && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if err == nil && (p.Status != Draft && c.in.Status == "" || len(p.Variants) != len(c.in.Variants)) {
				t.Fatalf("product %+v", p)
			}
		})
	}
}

func TestBuildProductOrdersValuesByOption(t *testing.T) {
	t.Parallel()
	in := ProductInput{
		Options:  []OptionInput{{Name: "Size", Values: []string{"S"}}, {Name: "Color", Values: []string{"Red"}}},
		Variants: []VariantInput{{SKU: "A", OptionValues: []ValueRef{{Option: "Color", Value: "Red"}, {Option: "Size", Value: "S"}}}},
	}
	p, err := buildProduct(in)
	if err != nil {
		t.Fatal(err)
	}
	want := []uuid.UUID{p.Options[0].Values[0].ID, p.Options[1].Values[0].ID}
	if diff := cmp.Diff(want, p.Variants[0].OptionValueIDs); diff != "" {
		t.Fatalf("option values are not in option order (-want +got):\n%s", diff)
	}
	if p.Variants[0].Position != 0 || *p.Options[1].Name != "Color" || p.Options[1].Position != 1 {
		t.Fatalf("positions: %+v", p)
	}
}

func TestCombinationIgnoresOptionOrder(t *testing.T) {
	t.Parallel()
	a, b := uuid.New(), uuid.New()
	if Combination([]uuid.UUID{a, b}) != Combination([]uuid.UUID{b, a}) {
		t.Fatal("the same values in another order make another combination")
	}
	if Combination([]uuid.UUID{a}) == Combination([]uuid.UUID{b}) {
		t.Fatal("different values make the same combination")
	}
}

func TestParseTags(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 256)
	cases := []struct {
		in   string
		want []string
		bad  bool
	}{
		{"summer, cotton", []string{"summer", "cotton"}, false},
		{" a ,, b , ", []string{"a", "b"}, false},
		{"Sale, sale, SALE", []string{"Sale"}, false},
		{"", []string{}, false},
		{long, []string{}, true},
	}
	for _, c := range cases {
		var vs fault.Violations
		got := ParseTags("tags", &c.in, &vs)
		if diff := cmp.Diff(c.want, got); diff != "" || (len(vs) > 0) != c.bad {
			t.Errorf("ParseTags(%.20q): %v, violations %v (-want +got):\n%s", c.in, got, vs, diff)
		}
	}
	var vs fault.Violations
	if got := ParseTags("tags", nil, &vs); got == nil || len(got) != 0 {
		t.Errorf("no tags: %v", got)
	}
}

func TestParseExpand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Expand
	}{
		{"", Expand{}},
		{"variants,options", Expand{Variants: true, Options: true}},
		{" variants , optionValues ,unknown", Expand{Variants: true, OptionValues: true}},
		{"channels,collections,medias,category,metafields,metaobject", Expand{Channels: true, Collections: true, Medias: true, Category: true, Metafields: true, Metaobject: true}},
		{"Variants", Expand{}}, // tokens are case-sensitive, unknown ones ignored
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, ParseExpand(c.in)); diff != "" {
			t.Errorf("ParseExpand(%q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func TestCheckValue(t *testing.T) {
	t.Parallel()
	sel := Attribute{Type: "select", Options: []string{"cotton", "wool"}}
	multi := Attribute{Type: "multiselect", Options: []string{"cotton", "wool"}}
	cases := []struct {
		name string
		a    Attribute
		v    any
		ok   bool
	}{
		{"text", Attribute{Type: "text"}, "hello", true},
		{"text too long", Attribute{Type: "text"}, strings.Repeat("x", 256), false},
		{"textarea allows more", Attribute{Type: "textarea"}, strings.Repeat("x", 256), true},
		{"text must be a string", Attribute{Type: "text"}, 12.0, false},
		{"number", Attribute{Type: "number"}, 12.5, true},
		{"number as string", Attribute{Type: "number"}, "12", false},
		{"boolean", Attribute{Type: "boolean"}, true, true},
		{"date", Attribute{Type: "date"}, "2026-02-28", true},
		{"impossible date", Attribute{Type: "date"}, "2026-02-30", false},
		{"date with time", Attribute{Type: "date"}, "2026-02-28T10:00:00Z", false},
		{"url", Attribute{Type: "url"}, "https://example.com/a", true},
		{"relative url", Attribute{Type: "url"}, "/a", false},
		{"select option", sel, "wool", true},
		{"unknown select option", sel, "silk", false},
		{"multiselect", multi, []any{"wool", "cotton"}, true},
		{"multiselect with an unknown option", multi, []any{"wool", "silk"}, false},
		{"multiselect needs a list", multi, "wool", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if _, _, ok := checkValue(c.a, c.v); ok != c.ok {
				t.Fatalf("checkValue(%s, %v) = %v, want %v", c.a.Type, c.v, ok, c.ok)
			}
		})
	}
}

func TestAttributeValues(t *testing.T) {
	t.Parallel()
	material := Attribute{ID: uuid.New(), Code: "material", Type: "text", Required: true}
	weight := Attribute{ID: uuid.New(), Code: "weight", Type: "number"}
	set := []Attribute{material, weight}
	cases := []struct {
		name   string
		in     []AttributeValueInput
		active bool
		want   []string
	}{
		{"values of the set", []AttributeValueInput{{Attribute: material.ID, Value: "cotton"}, {Attribute: weight.ID, Value: 0.2}}, true, nil},
		{"not in the set", []AttributeValueInput{{Attribute: uuid.New(), Value: "x"}}, false, []string{"attributeValues[0].attribute"}},
		{"an unreadable attribute", []AttributeValueInput{{Attribute: uuid.Nil, Value: "x"}}, false, []string{"attributeValues[0].attribute"}},
		{"twice", []AttributeValueInput{{Attribute: weight.ID, Value: 1.0}, {Attribute: weight.ID, Value: 2.0}}, false, []string{"attributeValues[1].attribute"}},
		{"wrong type", []AttributeValueInput{{Attribute: weight.ID, Value: "heavy"}}, false, []string{"attributeValues[0].value"}},
		{"required missing on an active product", []AttributeValueInput{{Attribute: weight.ID, Value: 1.0}}, true, []string{"attributeValues"}},
		{"required missing on a draft", nil, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			values, err := attributeValues(set, c.in, c.active)
			if diff := cmp.Diff(c.want, paths(err)); diff != "" {
				t.Fatalf("violations (-want +got):\n%s", diff)
			}
			if err == nil {
				for i, v := range values {
					var got any
					if json.Unmarshal(v.Value, &got) != nil || v.Attribute != c.in[i].Attribute {
						t.Fatalf("value %d: %+v", i, v)
					}
				}
			}
		})
	}
}

func TestApplyAttribute(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	cases := []struct {
		name string
		ch   AttributeChange
		want []string
	}{
		{"text", AttributeChange{Code: str("material"), Type: str("text"), Name: mergepatch.Value("Material")}, nil},
		{"select with options", AttributeChange{Code: str("fit"), Type: str("select"), Options: &[]string{"slim", "regular"}}, nil},
		{"select without options", AttributeChange{Code: str("fit"), Type: str("select")}, []string{"options"}},
		{"duplicate options", AttributeChange{Code: str("fit"), Type: str("select"), Options: &[]string{"slim", "slim"}}, []string{"options[1]"}},
		{"bad code", AttributeChange{Code: str("Fit!"), Type: str("text")}, []string{"code"}},
		{"unknown type", AttributeChange{Code: str("fit"), Type: str("color")}, []string{"type"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := ApplyAttribute(Attribute{}, c.ch)
			if diff := cmp.Diff(c.want, paths(err)); diff != "" {
				t.Fatalf("violations (-want +got):\n%s", diff)
			}
		})
	}
	// A patch never changes the code or the type, and a null name removes it.
	cur := Attribute{ID: uuid.New(), Code: "fit", Type: "text", Name: str("Fit")}
	got, err := ApplyAttribute(cur, AttributeChange{Code: str("other"), Type: str("number"), Name: mergepatch.Null[string]()})
	if err != nil || got.Code != "fit" || got.Type != "text" || got.Name != nil {
		t.Fatalf("patched %+v, %v", got, err)
	}
}

func TestCheckTyped(t *testing.T) {
	t.Parallel()
	s := &Service{parseRef: func(v string) (uuid.UUID, bool) {
		id, err := uuid.Parse(strings.TrimPrefix(v, "ref:"))
		return id, err == nil && strings.HasPrefix(v, "ref:")
	}}
	id := uuid.New()
	ref := "ref:" + id.String()
	cases := []struct {
		typ, value string
		refs       int
		ok         bool
	}{
		{"single_line_text_field", "one line", 0, true},
		{"single_line_text_field", "a\nb", 0, false},
		{"multi_line_text_field", "a\nb", 0, true},
		{"number_integer", "42", 0, true},
		{"number_integer", "4.2", 0, false},
		{"number_decimal", "12.50", 0, true},
		{"number_decimal", "1e5", 0, false},
		{"boolean", "true", 0, true},
		{"boolean", "yes", 0, false},
		{"date", "2026-11-23", 0, true},
		{"date_time", "2026-11-23T10:00:00Z", 0, true},
		{"date_time", "2026-11-23", 0, false},
		{"json", `{"a":[1,2]}`, 0, true},
		{"json", `{"a":`, 0, false},
		{"url", "https://example.com/x", 0, true},
		{"url", "//example.com/x", 0, false},
		{"color", "#A0b1C2", 0, true},
		{"color", "red", 0, false},
		{"metaobject_reference", ref, 1, true},
		{"metaobject_reference", id.String(), 0, false},
		{"list__single_line_text_field", `["a","b"]`, 0, true},
		{"list__single_line_text_field", `"a"`, 0, false},
		{"list__metaobject_reference", `["` + ref + `","` + ref + `"]`, 2, true},
		{"list__metaobject_reference", `["x"]`, 0, false},
		{"unknown_type", "x", 0, false},
		{"single_line_text_field", strings.Repeat("x", MaxMetafieldValue+1), 0, false},
		{"json", `"` + strings.Repeat("x", MaxMetafieldValue) + `"`, 0, true}, // json may be larger
	}
	for _, c := range cases {
		refs, bad := s.checkTyped("value", c.typ, c.value)
		if (bad == nil) != c.ok || len(refs) != c.refs {
			t.Errorf("%s %.30q: refs %v, violation %v; want ok=%v with %d refs", c.typ, c.value, refs, bad, c.ok, c.refs)
		}
	}
}

func TestBuildPrice(t *testing.T) {
	t.Parallel()
	eu := Channel{ID: uuid.New(), Currency: "EUR"}
	channels := map[uuid.UUID]Channel{eu.ID: eu}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	str := func(s string) *string { return &s }
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	cases := []struct {
		name   string
		in     PriceInput
		want   []string
		amount int64
	}{
		{"undated base price", PriceInput{Currency: "eur", Amount: "19.99"}, nil, 1999},
		{"channel and country", PriceInput{Channel: &eu.ID, Country: str("de"), Currency: "EUR", Amount: "10"}, nil, 1000},
		{"yen has no minor units", PriceInput{Currency: "JPY", Amount: "1500"}, nil, 1500},
		{"too many decimals are refused, never rounded", PriceInput{Currency: "EUR", Amount: "1.999"}, []string{"amount"}, 0},
		{"unknown currency", PriceInput{Currency: "EUX", Amount: "1"}, []string{"currency"}, 0},
		{"unknown channel", PriceInput{Channel: ptrID(uuid.New()), Currency: "EUR", Amount: "1"}, []string{"channel"}, 0},
		{"another currency than the channel's", PriceInput{Channel: &eu.ID, Currency: "USD", Amount: "1"}, []string{"currency"}, 0},
		{"unknown country", PriceInput{Country: str("XX"), Currency: "EUR", Amount: "1"}, []string{"country"}, 0},
		{"ends before it starts", PriceInput{Currency: "EUR", Amount: "1", ValidFrom: at(time.Hour), ValidUntil: at(time.Minute)}, []string{"validUntil"}, 0},
		{"bad compare-at amount", PriceInput{Currency: "EUR", Amount: "1", CompareAt: str("x")}, []string{"compareAtAmount"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := BuildPrice("", c.in, channels, now)
			if diff := cmp.Diff(c.want, paths(err)); diff != "" {
				t.Fatalf("violations (-want +got):\n%s", diff)
			}
			if err == nil && (r.Amount != c.amount || r.Revision != 1 || !r.Start.Equal(now) && c.in.ValidFrom == nil) {
				t.Fatalf("row %+v", r)
			}
		})
	}
	if _, err := BuildPrice("variants[2].prices[0].", PriceInput{Currency: "EUX"}, nil, now); paths(err)[0] != "variants[2].prices[0].currency" {
		t.Fatalf("paths are not prefixed: %v", err)
	}
}

func ptrID(id uuid.UUID) *uuid.UUID { return &id }

func TestNextRevision(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ca := int64(2500)
	cur := price.Row{ID: uuid.New(), Revision: 3, Currency: "EUR", Amount: 1999, CompareAt: &ca, Start: now.Add(-time.Hour)}
	str := func(s string) *string { return &s }
	cases := []struct {
		name  string
		cur   price.Row
		c     PriceChange
		check func(t *testing.T, next price.Row)
		want  []string
	}{
		{"a new amount starts now", cur, PriceChange{Amount: str("17.50")}, func(t *testing.T, n price.Row) {
			if n.Amount != 1750 || n.Revision != 4 || !n.Start.Equal(now) || n.CompareAt == nil {
				t.Fatalf("%+v", n)
			}
		}, nil},
		{"a scheduled price keeps its start", price.Row{Currency: "EUR", Start: now.Add(time.Hour), Dated: true}, PriceChange{Amount: str("1")}, func(t *testing.T, n price.Row) {
			if !n.Start.Equal(now.Add(time.Hour)) {
				t.Fatalf("start %v", n.Start)
			}
		}, nil},
		{"null removes the compare-at amount", cur, PriceChange{CompareAt: mergepatch.Null[string]()}, func(t *testing.T, n price.Row) {
			if n.CompareAt != nil {
				t.Fatalf("%+v", n)
			}
		}, nil},
		{"null removes the end", price.Row{Currency: "EUR", Start: now, End: now.Add(time.Hour)}, PriceChange{ValidUntil: mergepatch.Null[time.Time]()}, func(t *testing.T, n price.Row) {
			if !n.End.IsZero() {
				t.Fatalf("%+v", n)
			}
		}, nil},
		{"an end before the change", cur, PriceChange{ValidUntil: mergepatch.Value(now.Add(-time.Minute))}, nil, []string{"validUntil"}},
		{"an amount in the wrong precision", cur, PriceChange{Amount: str("1.001")}, nil, []string{"amount"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			next, err := nextRevision(c.cur, c.c, now)
			if diff := cmp.Diff(c.want, paths(err)); diff != "" {
				t.Fatalf("violations (-want +got):\n%s", diff)
			}
			if c.check != nil {
				c.check(t, next)
			}
		})
	}
}

// TestPriceTimes: a price's times are cut to the stored precision (microseconds) where they are
// made: created and updated at the same moment, validity as given; a change keeps createdAt and
// moves updatedAt.
func TestPriceTimes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 1, 12, 0, 0, 123456789, time.UTC)
	us := now.Truncate(time.Microsecond)
	from, until := now.Add(time.Hour), now.Add(2*time.Hour)
	r, err := BuildPrice("", PriceInput{Currency: "EUR", Amount: "1", ValidFrom: &from, ValidUntil: &until}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if !r.CreatedAt.Equal(us) || !r.UpdatedAt.Equal(us) || !r.Start.Equal(from.Truncate(time.Microsecond)) || !r.End.Equal(until.Truncate(time.Microsecond)) {
		t.Fatalf("row %+v", r)
	}
	undated, _ := BuildPrice("", PriceInput{Currency: "EUR", Amount: "1"}, nil, now)
	if !undated.Start.Equal(us) || undated.Dated {
		t.Fatalf("undated %+v", undated)
	}
	later := now.Add(time.Minute)
	next, err := nextRevision(undated, PriceChange{ValidUntil: mergepatch.Value(later.Add(time.Hour))}, later)
	if err != nil {
		t.Fatal(err)
	}
	if !next.CreatedAt.Equal(us) || !next.UpdatedAt.Equal(later.Truncate(time.Microsecond)) || !next.Start.Equal(next.UpdatedAt) ||
		next.End.Nanosecond()%1000 != 0 {
		t.Fatalf("next %+v", next)
	}
}

// TestPricesOfOneRequest: two prices of one request in the same slot over overlapping validities
// are a violation at the later one; other slots, and prices one after another, are not.
func TestPricesOfOneRequest(t *testing.T) {
	t.Parallel()
	eu := Channel{ID: uuid.New(), Currency: "EUR"}
	channels := map[uuid.UUID]Channel{eu.ID: eu}
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	str := func(s string) *string { return &s }
	at := func(days int) *time.Time { t := now.Add(time.Duration(days) * 24 * time.Hour); return &t }
	undated := PriceInput{Currency: "EUR", Amount: "1"}
	dated := func(from, until int) PriceInput {
		return PriceInput{Currency: "EUR", Amount: "1", ValidFrom: at(from), ValidUntil: at(until)}
	}
	inChannel := PriceInput{Channel: &eu.ID, Currency: "EUR", Amount: "1"}
	inCountry := PriceInput{Country: str("DE"), Currency: "EUR", Amount: "1"}
	for _, c := range []struct {
		name string
		in   []PriceInput
		want []string
	}{
		{"one price per slot", []PriceInput{undated, inChannel, inCountry, {Currency: "USD", Amount: "1"}}, nil},
		{"undated beside dated", []PriceInput{undated, dated(1, 5)}, nil},
		{"dated one after the other", []PriceInput{dated(1, 5), dated(5, 9), dated(9, 12)}, nil},
		{"two undated", []PriceInput{undated, inChannel, undated}, []string{"prices[2]"}},
		{"overlapping dated", []PriceInput{dated(1, 5), dated(4, 9)}, []string{"prices[1]"}},
		{"one inside another", []PriceInput{dated(1, 9), dated(5, 9), dated(2, 3)}, []string{"prices[1]", "prices[2]"}},
		{"an invalid price is reported for itself only", []PriceInput{undated, {Currency: "EUR", Amount: "x"}, undated}, []string{"prices[1].amount", "prices[2]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := pricesOf("prices", uuid.New(), c.in, channels, now)
			if diff := cmp.Diff(c.want, paths(err)); diff != "" {
				t.Fatalf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMergeFields: a merge patch of metaobject fields (RFC 7396) sets, removes and keeps keys.
func TestMergeFields(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	cur := map[string]string{"name": "Acme", "founded": "1901", "city": "Auckland"}
	for _, c := range []struct {
		name  string
		patch map[string]*string
		want  map[string]string
	}{
		{"a value sets its key, the others stay", map[string]*string{"founded": str("1902")}, map[string]string{"name": "Acme", "founded": "1902", "city": "Auckland"}},
		{"a new key is added", map[string]*string{"motto": str("Kia kaha")}, map[string]string{"name": "Acme", "founded": "1901", "city": "Auckland", "motto": "Kia kaha"}},
		{"null removes a key", map[string]*string{"city": nil}, map[string]string{"name": "Acme", "founded": "1901"}},
		{"null for a key that is not there", map[string]*string{"nope": nil}, cur},
		{"an empty patch changes nothing", map[string]*string{}, cur},
		{"an empty string is a value", map[string]*string{"city": str("")}, map[string]string{"name": "Acme", "founded": "1901", "city": ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			before := maps.Clone(cur)
			if diff := cmp.Diff(c.want, MergeFields(cur, c.patch)); diff != "" {
				t.Fatalf("merged (-want +got):\n%s", diff)
			}
			if !maps.Equal(before, cur) {
				t.Fatal("the current fields were changed in place")
			}
		})
	}
}

func TestApplyCollectionAndMedia(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	if _, err := ApplyCollection(Collection{}, CollectionChange{Handle: str("Summer Sale")}); cmp.Diff([]string{"handle"}, paths(err)) != "" {
		t.Errorf("a handle with capitals and a space: %v", err)
	}
	c, err := ApplyCollection(Collection{}, CollectionChange{Handle: str("summer-sale"), Title: mergepatch.Value("  Summer  ")})
	if err != nil || c.ID == uuid.Nil || *c.Title != "Summer" {
		t.Errorf("collection %+v, %v", c, err)
	}
	cases := []struct {
		name string
		ch   MediaChange
		want []string
	}{
		{"image", MediaChange{Type: str("image"), Src: str("https://cdn.example.com/a.jpg"), MimeType: mergepatch.Value("IMAGE/JPEG")}, nil},
		{"video", MediaChange{Type: str("video"), Src: str("https://cdn.example.com/a.mp4")}, nil},
		{"unknown type", MediaChange{Type: str("pdf"), Src: str("https://cdn.example.com/a.pdf")}, []string{"type"}},
		{"relative src", MediaChange{Type: str("image"), Src: str("/a.jpg")}, []string{"src"}},
		{"credentials in src", MediaChange{Type: str("image"), Src: str("https://u:p@cdn.example.com/a.jpg")}, []string{"src"}},
		{"an image that is not image/*", MediaChange{Type: str("image"), Src: str("https://cdn.example.com/a"), MimeType: mergepatch.Value("video/mp4")}, []string{"mimeType"}},
	}
	for _, c := range cases {
		m, err := ApplyMedia("", Media{}, c.ch)
		if diff := cmp.Diff(c.want, paths(err)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
		if err == nil && c.ch.MimeType.Present() && *m.MimeType != "image/jpeg" {
			t.Errorf("%s: mime type %q not normalised", c.name, *m.MimeType)
		}
	}
	medias, err := productMedias([]MediaChange{{Type: str("image"), Src: str("https://cdn.example.com/a.jpg")}, {Type: str("video"), Src: str("https://cdn.example.com/a.mp4")}})
	if cmp.Diff([]string{"medias[1]"}, paths(err)) != "" || len(medias) != 1 {
		t.Errorf("a product's inline medias must be images: %v %v", medias, err)
	}
}

func TestLocaleRules(t *testing.T) {
	t.Parallel()
	ls := Locales{Default: "en", Enabled: map[string]time.Time{"en": {}, "de-DE": {}}}
	str := func(s string) *string { return &s }
	for _, c := range []struct {
		requested *string
		want      string
		param     bool
	}{
		{nil, "en", false}, {str(""), "en", false}, {str("de-DE"), "de-DE", false}, {str("fr"), "", true},
	} {
		got, err := pick(ls, c.requested)
		if got != c.want || fault.Is(err, fault.KindBadRequest) != c.param {
			t.Errorf("pick(%v) = %q, %v", c.requested, got, err)
		}
		if c.param && cmp.Diff([]string{ParamLocale}, badRequestPaths(err)) != "" {
			t.Errorf("a locale not enabled must name the locale parameter: %v", err)
		}
	}
	for tag, ok := range map[string]bool{"de": true, "de-DE": true, "zh-Hant-TW": true, "es-419": true, "DE": false, "de_DE": false, "english": false} {
		if localePattern.MatchString(tag) != ok {
			t.Errorf("locale %q: valid %v", tag, !ok)
		}
	}
}

func badRequestPaths(err error) []string {
	var fe *fault.Error
	if !fault.Is(err, fault.KindBadRequest) || !errors.As(err, &fe) {
		return nil
	}
	out := make([]string, len(fe.Violations))
	for i, v := range fe.Violations {
		out[i] = v.Path
	}
	return out
}

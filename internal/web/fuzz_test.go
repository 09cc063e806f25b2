package web

import (
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/staff"
)

// Fuzz targets of the forms' parsers (docs/design.md, "Fuzz targets"): `go test` runs their
// seeds; `go test -run '^$' -fuzz FuzzX -fuzztime 60s ./internal/web/` explores.

// exponentOf is the currency's minor-unit digits, 2 for one Dompet does not know (parseMajor's
// choice).
func exponentOf(currency string) int {
	if c, ok := money.Lookup(currency); ok {
		return c.Exponent
	}
	return 2
}

// ratOf is minor/10^exp, exactly.
func ratOf(minor int64, exp int) *big.Rat {
	return new(big.Rat).SetFrac(big.NewInt(minor), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exp)), nil))
}

// moneySeeds are amounts as people type them and as the pages show them.
var moneySeeds = []string{"25000", "25,000.5", " 1 000.05 ", "5", "5.1", "1.234", "0", "-5", "1e5", "", "10.", ".5",
	"9999999999999999", "999999999999999", "999,999,999,999,999.99", "92233720368547758.07", "9223372036854775807",
	"-9,223,372,036,854,775,808.00", "1_000", "0x10", "1/4", "12.50", "٣", "１２", "1,,2", "00000000000000000001.00",
	"+5", "5 000_000", "1\u00a0000"}

// FuzzParseAmount: the money forms' amount. What it accepts is positive, worth exactly what
// was typed (grouping removed), never more than int64 holds; the page's formatting of it
// (money.FormatMinor) reads back as the same amount; and any int64 the page formats reads back
// as itself or is refused, never as another amount.
func FuzzParseAmount(f *testing.F) {
	for i, s := range moneySeeds {
		f.Add(s, []string{"IDR", "JPY", "USD", "XXX", ""}[i%5], int64(i)*1_000_003)
	}
	f.Add("1", "KRW", int64(math.MaxInt64))
	f.Add("1", "IDR", int64(math.MinInt64))
	f.Add("1", "USD", int64(100_000_000_000_000_000))
	f.Fuzz(func(t *testing.T, s, currency string, n int64) {
		cur, known := money.Lookup(currency)
		if got, ok := parseAmount(s, currency); ok {
			if !known || got <= 0 {
				t.Fatalf("parseAmount(%q, %q) = %d", s, currency, got)
			}
			typed, okR := new(big.Rat).SetString(strings.NewReplacer(",", "", " ", "", "_", "").Replace(strings.TrimSpace(s)))
			if !okR || typed.Cmp(ratOf(got, cur.Exponent)) != 0 {
				t.Fatalf("parseAmount(%q, %s) = %d minor units, not what was typed", s, currency, got)
			}
			if back, ok := parseAmount(money.FormatMinor(got, cur.Exponent), currency); !ok || back != got {
				t.Fatalf("%d %s formats as %q, which reads back as %d %v", got, currency, money.FormatMinor(got, cur.Exponent), back, ok)
			}
		}
		if !known {
			return
		}
		shown := money.FormatMinor(n, cur.Exponent)
		if back, ok := parseAmount(shown, currency); ok && back != n {
			t.Fatalf("%q (%d) reads back as %d", shown, n, back)
		}
	})
}

// FuzzParseMajor: the fee calculator's amount (help guide). What it accepts is exactly what
// was typed in minor units and fits int64; every int64 the page formats reads back as itself.
func FuzzParseMajor(f *testing.F) {
	for i, s := range moneySeeds {
		f.Add(s, []string{"IDR", "JPY", "USD", "XXX", ""}[i%5], int64(i)*-7_000_001)
	}
	f.Add("1e-2", "IDR", int64(math.MaxInt64))
	f.Add("0x1p62", "JPY", int64(math.MinInt64))
	f.Add("92233720368547758.08", "IDR", int64(-1))
	f.Fuzz(func(t *testing.T, s, currency string, n int64) {
		exp := exponentOf(currency)
		if got, ok := parseMajor(s, currency); ok {
			typed, okR := new(big.Rat).SetString(strings.ReplaceAll(strings.TrimSpace(s), ",", ""))
			if !okR || typed.Cmp(ratOf(got, exp)) != 0 {
				t.Fatalf("parseMajor(%q, %q) = %d minor units, not what was typed", s, currency, got)
			}
		}
		shown := money.FormatMinor(n, exp)
		if back, ok := parseMajor(shown, currency); !ok || back != n {
			t.Fatalf("%d formats as %q, which reads back as %d %v", n, shown, back, ok)
		}
	})
}

// FuzzParseMinor: the exchange confirmation's hidden amounts. It accepts decimal digits only,
// reads them as strconv does (no overflow: at most 18 digits), and reads back what
// strconv.FormatInt writes of any amount up to 18 digits.
func FuzzParseMinor(f *testing.F) {
	for _, s := range []string{"0", "1500000", "999999999999999999", "9999999999999999999", "9223372036854775807",
		"-1", "+1", "1.0", "", " 1", "１", "00000000000000000000001"} {
		f.Add(s, int64(len(s))*123_456_789)
	}
	f.Add("1", int64(math.MaxInt64))
	f.Add("1", int64(999_999_999_999_999_999))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		if got, ok := parseMinor(s); ok {
			want, err := strconv.ParseInt(s, 10, 64)
			if err != nil || got != want || got < 0 || strings.Trim(s, "0123456789") != "" {
				t.Fatalf("parseMinor(%q) = %d", s, got)
			}
		}
		if n < 0 {
			return
		}
		text := strconv.FormatInt(n, 10)
		back, ok := parseMinor(text)
		if ok != (len(text) <= 18) || ok && back != n {
			t.Fatalf("parseMinor(%q) = %d %v", text, back, ok)
		}
	})
}

// weekOrder is hoursText's order of days.
var weekOrder = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// FuzzParseHours: the console's business-hours text. parseHours reads anything; what it read,
// written back by hoursText and read again, is the same hours (the time zone, every period of a
// known day, in week order, each day's periods in their order, and every holiday), and writing
// that again gives the same text. Hours as package staff stores them (known days, in week
// order) therefore come back unchanged from the form; a period of an unknown day is not
// written, but staff never stores one (it refuses the form).
func FuzzParseHours(f *testing.F) {
	f.Add(" Asia/Jakarta ", hoursText(staff.DefaultBusinessHours()))
	f.Add("Europe/London", "mon 08:00-12:00 13:00-17:00\nholiday 2026-12-25\nholiday 2026-12-26 2027-01-01\n")
	f.Add("UTC", "FRI 22:00-24:00\nsat 00:00-02:00\r\nsun")
	f.Add("", "tue 9-17\nmon 08:00-12:00\nmonday 9:00\nholiday\n\n  \t \nwed -\nthu 08:00 - 12:00\nfri a-b-c")
	f.Add("Asia/Jakarta", "İ 08:00-10:00\nMON\u00a008:00-09:00\u2028tue 1-2\x85wed\xff 3-4\nholiday ǅ")
	f.Fuzz(func(t *testing.T, tz, text string) {
		h := parseHours(tz, text)
		written := hoursText(h)
		again := parseHours(tz, written)
		want := staff.BusinessHours{TimeZone: h.TimeZone, Weekly: []staff.Period{}, Holidays: h.Holidays}
		for _, day := range weekOrder {
			for _, p := range h.Weekly {
				if p.Day == day {
					want.Weekly = append(want.Weekly, p)
				}
			}
		}
		if !reflect.DeepEqual(again, want) {
			t.Fatalf("%q read as %+v, written as %q, read back as %+v", text, h, written, again)
		}
		if hoursText(again) != written {
			t.Fatalf("%q written twice differs: %q then %q", text, written, hoursText(again))
		}
		inOrder := slices.IsSortedFunc(h.Weekly, func(a, b staff.Period) int {
			return slices.Index(weekOrder, a.Day) - slices.Index(weekOrder, b.Day)
		})
		if inOrder && !slices.ContainsFunc(h.Weekly, func(p staff.Period) bool { return !slices.Contains(weekOrder, p.Day) }) &&
			!reflect.DeepEqual(again, h) {
			t.Fatalf("stored-shape hours %+v came back as %+v", h, again)
		}
	})
}

// Package money holds amounts as integer minor units with an ISO 4217 currency, the currency
// table, and exchange rates as exact decimals. Floats never touch money.
package money

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Currency is an ISO 4217 currency and the number of digits of its minor unit.
type Currency struct {
	Code     string
	Exponent int
}

// Known lists the currencies Dompet can be configured to support.
var known = map[string]Currency{
	"IDR": {"IDR", 2}, "CNY": {"CNY", 2}, "USD": {"USD", 2}, "SGD": {"SGD", 2},
	"JPY": {"JPY", 0}, "MYR": {"MYR", 2}, "EUR": {"EUR", 2}, "PHP": {"PHP", 2},
	"THB": {"THB", 2}, "HKD": {"HKD", 2}, "KRW": {"KRW", 0}, "AUD": {"AUD", 2},
}

// Lookup returns the currency with code.
func Lookup(code string) (Currency, bool) {
	c, ok := known[code]
	return c, ok
}

// Set is the configured list of supported currencies; the first is the default.
type Set []Currency

// ParseSet reads a comma-separated list such as "IDR,CNY,USD,SGD".
func ParseSet(s string) (Set, error) {
	var out Set
	for _, p := range strings.Split(s, ",") {
		p = strings.ToUpper(strings.TrimSpace(p))
		if p == "" {
			continue
		}
		c, ok := Lookup(p)
		if !ok {
			return nil, fmt.Errorf("unknown currency %q", p)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no currency in %q", s)
	}
	return out, nil
}

// Default is the first currency of the set.
func (s Set) Default() Currency { return s[0] }

// Has reports whether code is in the set.
func (s Set) Has(code string) bool {
	for _, c := range s {
		if c.Code == code {
			return true
		}
	}
	return false
}

// Amount is a quantity of a currency in its minor unit: IDR 1,500.00 is {150000, "IDR"}.
type Amount struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// New returns an Amount.
func New(minor int64, currency string) Amount { return Amount{minor, currency} }

// String formats a for people and logs: "IDR 1,500.00".
func (a Amount) String() string {
	c, ok := Lookup(a.Currency)
	if !ok {
		return fmt.Sprintf("%s %d", a.Currency, a.Amount)
	}
	return a.Currency + " " + FormatMinor(a.Amount, c.Exponent)
}

// FormatMinor writes minor units as a decimal with thousands separators.
func FormatMinor(minor int64, exp int) string {
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-minor)
	}
	s := strconv.FormatUint(u, 10)
	for len(s) <= exp {
		s = "0" + s
	}
	whole, frac := s[:len(s)-exp], s[len(s)-exp:]
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if exp > 0 {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// Rate is an exchange rate: units of the quote currency per unit of the base currency,
// exact (a decimal such as "15923.4501").
type Rate struct{ r *big.Rat }

// ParseRate reads a positive decimal rate.
func ParseRate(s string) (Rate, error) {
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Sign() <= 0 {
		return Rate{}, fmt.Errorf("invalid rate %q", s)
	}
	return Rate{r}, nil
}

// MustRate is ParseRate for constants.
func MustRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// IsZero reports whether the rate is unset.
func (r Rate) IsZero() bool { return r.r == nil }

// String prints the rate with up to 10 decimals, trailing zeros dropped.
func (r Rate) String() string {
	if r.r == nil {
		return "0"
	}
	s := r.r.FloatString(10)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// Inverse returns 1/r.
func (r Rate) Inverse() Rate { return Rate{new(big.Rat).Inv(r.r)} }

// Mul returns r·o.
func (r Rate) Mul(o Rate) Rate { return Rate{new(big.Rat).Mul(r.r, o.r)} }

// Adjust returns r·(1 − bps/10000): a rate with a spread of bps basis points taken off.
func (r Rate) Adjust(bps int64) Rate {
	f := big.NewRat(10000-bps, 10000)
	return Rate{new(big.Rat).Mul(r.r, f)}
}

// Convert turns minor units of from into minor units of to at rate r (to per from, in major
// units), rounding down so that Dompet never pays out more than the rate allows.
func (r Rate) Convert(minor int64, from, to Currency) int64 {
	v, _ := r.TryConvert(minor, from, to)
	return v
}

// TryConvert is Convert that also reports whether the result fits in int64; when it does
// not, the value is meaningless.
func (r Rate) TryConvert(minor int64, from, to Currency) (int64, bool) {
	v := new(big.Rat).SetInt64(minor)
	v.Mul(v, r.r)
	shift := to.Exponent - from.Exponent
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(shift))), nil)
	if shift >= 0 {
		v.Mul(v, new(big.Rat).SetInt(p))
	} else {
		v.Quo(v, new(big.Rat).SetInt(p))
	}
	q := new(big.Int).Quo(v.Num(), v.Denom()) // truncates toward zero; amounts are positive
	return q.Int64(), q.IsInt64()
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

package wallet

import (
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/money"
)

// Rates gives mid-market exchange rates. The sandbox table is fixed; a real feed would
// implement the same method.
type Rates map[string]money.Rate // units of currency per 1 USD

// DefaultRates is the sandbox rate table.
func DefaultRates() Rates {
	return Rates{
		"USD": money.MustRate("1"),
		"IDR": money.MustRate("16250"),
		"CNY": money.MustRate("7.12"),
		"SGD": money.MustRate("1.34"),
		"JPY": money.MustRate("152.5"),
		"MYR": money.MustRate("4.45"),
		"EUR": money.MustRate("0.93"),
	}
}

// Rate returns how many units of to one unit of from buys.
func (r Rates) Rate(from, to string) (money.Rate, error) {
	f, ok1 := r[from]
	t, ok2 := r[to]
	if !ok1 || !ok2 || from == to {
		return money.Rate{}, ErrCurrency.Saying(fault.MsgNoRate, from, to)
	}
	return t.Mul(f.Inverse()), nil
}

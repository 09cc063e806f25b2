package web

import (
	"math/big"
	"strings"
	"time"
)

// An exchange rate is stored exactly, as units of the target per unit of the source
// ("0.0000824615" IDR→USD). People read it the way wallets print it: in the direction in which
// the number is at least 1 ("1 USD = 12,127.00 IDR"), digits grouped.

// Rate is the rate (to per from) as "1 X = n Y" in the direction where n ≥ 1, with n in the
// page's number format; a rate that does not parse is shown as it is.
func (v *View) Rate(rate, from, to string) string {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(rate))
	if !ok || r.Sign() <= 0 {
		return rate
	}
	if r.Cmp(big.NewRat(1, 1)) < 0 {
		r.Inv(r)
		from, to = to, from
	}
	// Two decimals once the integer part says enough; four below 100 (1 USD = 1.3514 SGD).
	dec := 4
	if r.Cmp(big.NewRat(100, 1)) >= 0 {
		dec = 2
	}
	return v.T("wallet.fx.rate_line", from, groupDecimal(r.FloatString(dec)), to)
}

// groupDecimal groups the integer part of a plain decimal by thousands. Both of Dompet's
// languages write 12,127.00 (Chinese uses these separators too), as Money does.
func groupDecimal(s string) string {
	sep, point := ",", "."
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(point + frac)
	}
	return b.String()
}

// Until is a moment minutes away (a quote's expiry) in the pages' zone, named: "14:05 WIB
// (UTC+7)"; with the day when it is not today there.
func (v *View) Until(t time.Time) string {
	at, now := t.In(v.site.loc), time.Now().In(v.site.loc)
	clock := at.Format("15:04")
	if at.YearDay() != now.YearDay() || at.Year() != now.Year() {
		clock = v.Date(t) + " " + clock
	}
	return v.T("core.tz.at", clock, v.ZoneShort("Asia/Jakarta"))
}

package wallet

import (
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/money"
)

// Tiers of user accounts.
const (
	TierBasic    = "basic"
	TierVerified = "verified"
)

// Limit is what a tier allows in one currency, in minor units; 0 means no limit.
type Limit struct {
	MaxBalance      int64 `json:"max_balance"`
	PerTransaction  int64 `json:"per_transaction"`
	DailyOutgoing   int64 `json:"daily_outgoing"`
	MonthlyOutgoing int64 `json:"monthly_outgoing"`
	MonthlyIncoming int64 `json:"monthly_incoming"`
}

// Limits maps tier → currency → limit.
type Limits map[string]map[string]Limit

// For returns the limit of tier in currency (the basic tier's when the tier is unknown).
func (l Limits) For(tier, currency string) Limit {
	if m, ok := l[tier]; ok {
		return m[currency]
	}
	return l[TierBasic][currency]
}

// idr are the defaults in rupiah (major units), following Indonesian e-money rules: an
// unverified (basic) account holds at most IDR 2 million and takes in IDR 20 million a month;
// a verified one holds IDR 20 million and takes in IDR 40 million a month.
var idr = map[string]Limit{
	TierBasic:    {MaxBalance: 2_000_000, PerTransaction: 2_000_000, DailyOutgoing: 5_000_000, MonthlyOutgoing: 20_000_000, MonthlyIncoming: 20_000_000},
	TierVerified: {MaxBalance: 20_000_000, PerTransaction: 20_000_000, DailyOutgoing: 20_000_000, MonthlyOutgoing: 40_000_000, MonthlyIncoming: 40_000_000},
}

// DefaultLimits returns the IDR defaults for every supported currency, converted at rates
// and rounded down to a whole unit.
func DefaultLimits(rates Rates, set money.Set) Limits {
	idrCur, _ := money.Lookup("IDR")
	out := Limits{}
	for tier, l := range idr {
		out[tier] = map[string]Limit{}
		for _, c := range set {
			conv := func(major int64) int64 {
				minor := major * 100
				if c.Code == "IDR" {
					return minor
				}
				r, err := rates.Rate("IDR", c.Code)
				if err != nil {
					return 0
				}
				v := r.Convert(minor, idrCur, c)
				unit := int64(1)
				for range c.Exponent {
					unit *= 10
				}
				return v / unit * unit
			}
			out[tier][c.Code] = Limit{conv(l.MaxBalance), conv(l.PerTransaction), conv(l.DailyOutgoing), conv(l.MonthlyOutgoing), conv(l.MonthlyIncoming)}
		}
	}
	return out
}

// LoadLimits reads tier limits from a JSON file shaped like Limits over the defaults.
func LoadLimits(path string, rates Rates, set money.Set) (Limits, error) {
	l := DefaultLimits(rates, set)
	if path == "" {
		return l, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load limits: %w", err)
	}
	var over Limits
	if err := json.Unmarshal(b, &over); err != nil {
		return nil, fmt.Errorf("load limits %s: %w", path, err)
	}
	for tier, m := range over {
		if l[tier] == nil {
			l[tier] = map[string]Limit{}
		}
		for cur, v := range m {
			l[tier][cur] = v
		}
	}
	return l, nil
}

// Prefixes of the wallet's usage counters in the ledger. The keys are built here and read
// back by translate when the ledger refuses a movement over one of them.
const (
	usageDayOut   = "out:d:"  // + day + ":" + user + ":" + currency
	usageMonthOut = "out:m:"  // + month + ":" + user + ":" + currency
	usageMonthIn  = "in:m:"   // + month + ":" + user + ":" + currency
	usageRefund   = "refund:" // + payment id: never refund more than was paid
	usageQuote    = "quote:"  // + quote id: a quote is used once
)

// Counter names: usage counters in the ledger, per user, currency and period. Months start
// on the 1st in the wallet's time zone, days at midnight.
func (w *Wallet) dayKey(userID, currency string, t time.Time) string {
	return usageDayOut + t.In(w.o.Location).Format("2006-01-02") + ":" + userID + ":" + currency
}

func (w *Wallet) monthOutKey(userID, currency string, t time.Time) string {
	return usageMonthOut + t.In(w.o.Location).Format("2006-01") + ":" + userID + ":" + currency
}

func (w *Wallet) monthInKey(userID, currency string, t time.Time) string {
	return usageMonthIn + t.In(w.o.Location).Format("2006-01") + ":" + userID + ":" + currency
}

// refundKey counts what was refunded of a payment.
func refundKey(paymentID string) string { return usageRefund + paymentID }

// outgoing returns the counters an outgoing movement of amount adds to.
func (w *Wallet) outgoing(u Party, currency string, amount int64, at time.Time) []ledger.Usage {
	lim := w.o.Limits.For(u.Tier, currency)
	return []ledger.Usage{
		{Key: w.dayKey(u.ID, currency, at), Amount: amount, Max: lim.DailyOutgoing},
		{Key: w.monthOutKey(u.ID, currency, at), Amount: amount, Max: lim.MonthlyOutgoing},
	}
}

// incoming returns the counter an incoming movement adds to.
func (w *Wallet) incoming(u Party, currency string, amount int64, at time.Time) []ledger.Usage {
	lim := w.o.Limits.For(u.Tier, currency)
	return []ledger.Usage{{Key: w.monthInKey(u.ID, currency, at), Amount: amount, Max: lim.MonthlyIncoming}}
}

// checkPerTransaction refuses an outgoing amount above the tier's single-transaction limit.
func (w *Wallet) checkPerTransaction(u Party, currency string, amount int64) error {
	lim := w.o.Limits.For(u.Tier, currency)
	if lim.PerTransaction > 0 && amount > lim.PerTransaction {
		return ErrLimitExceeded.With("limit", "per_transaction", "max", lim.PerTransaction, "currency", currency)
	}
	return nil
}

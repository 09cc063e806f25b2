package wallet

import (
	"encoding/json"
	"fmt"
	"github.com/dompet/dompet/internal/fault"
	"math"
	"math/big"
	"os"
	"slices"

	"github.com/dompet/dompet/internal/money"
)

// Fee kinds of the schedule.
const (
	FeeTopupBank   = "topup_bank_transfer" // deducted from the amount credited
	FeeTopupCard   = "topup_card"          // deducted from the amount credited
	FeePayment     = "payment"             // paid by the payer on top
	FeeMDR         = "merchant"            // merchant discount rate, taken from what the merchant receives
	FeeTransfer    = "transfer"            // P2P, on top
	FeeWithdrawal  = "withdrawal"          // on top
	FeeRemittance  = "remittance"          // on top, in the source currency
	FeeFX          = "fx"                  // currency conversion, on top, in the source currency
	feeKindsPublic = "payment|withdrawal|transfer|remittance|fx|topup_bank_transfer|topup_card|merchant"
)

// FeeQuoteKinds are the kinds QuoteFee takes: the fee kinds, and "topup" for a bank top-up.
var FeeQuoteKinds = []string{FeePayment, FeeWithdrawal, FeeTransfer, FeeRemittance, FeeFX, FeeTopupBank, FeeTopupCard, FeeMDR, "topup"}

// FeeRule is fixed + a percentage (in basis points) of the amount, clamped to [Min, Max]
// (Max 0 = no maximum). All in minor units of the rule's currency.
type FeeRule struct {
	Fixed int64 `json:"fixed"`
	BPS   int64 `json:"bps"`
	Min   int64 `json:"min"`
	Max   int64 `json:"max"`
}

// Apply returns the fee for amount; the percentage part is rounded half up.
func (r FeeRule) Apply(amount int64) int64 {
	// Computed wide: amount*BPS passes int64 for amounts near 2^63, and a wrapped fee is
	// charged and shown. A fee past int64 saturates (and is more than any amount).
	w := new(big.Int).Mul(big.NewInt(amount), big.NewInt(r.BPS))
	w.Add(w, big.NewInt(5000)).Quo(w, big.NewInt(10000)).Add(w, big.NewInt(r.Fixed))
	var f int64
	switch {
	case w.IsInt64():
		f = w.Int64()
	case w.Sign() > 0:
		f = math.MaxInt64
	}
	if f < r.Min {
		f = r.Min
	}
	if r.Max > 0 && f > r.Max {
		f = r.Max
	}
	if f < 0 {
		f = 0
	}
	return f
}

// Fees is the fee schedule: kind → currency → rule. A missing rule means no fee.
type Fees map[string]map[string]FeeRule

// Fee returns the fee of kind on amount of currency.
func (f Fees) Fee(kind, currency string, amount int64) int64 {
	return f[kind][currency].Apply(amount)
}

// DefaultFees is the schedule Dompet starts with; operators replace it with DOMPET_FEES.
func DefaultFees() Fees {
	return Fees{
		FeeTopupBank: {},
		FeeTopupCard: {
			"IDR": {BPS: 150, Min: 1_000_00}, "CNY": {BPS: 150, Min: 50}, "USD": {BPS: 150, Min: 10}, "SGD": {BPS: 150, Min: 10},
		},
		FeePayment: {},
		FeeMDR: {
			"IDR": {BPS: 70}, "CNY": {BPS: 70}, "USD": {BPS: 70}, "SGD": {BPS: 70},
		},
		FeeTransfer: {},
		FeeWithdrawal: {
			"IDR": {Fixed: 2_500_00}, "CNY": {Fixed: 100}, "USD": {Fixed: 25}, "SGD": {Fixed: 25},
		},
		FeeRemittance: {
			"IDR": {Fixed: 25_000_00, BPS: 50}, "CNY": {Fixed: 1_000, BPS: 50}, "USD": {Fixed: 150, BPS: 50}, "SGD": {Fixed: 200, BPS: 50},
		},
		FeeFX: {
			"IDR": {BPS: 50}, "CNY": {BPS: 50}, "USD": {BPS: 50}, "SGD": {BPS: 50},
		},
	}
}

// LoadFees reads a schedule from a JSON file shaped like Fees; kinds it does not name keep
// their defaults.
func LoadFees(path string) (Fees, error) {
	f := DefaultFees()
	if path == "" {
		return f, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load fees: %w", err)
	}
	var over Fees
	if err := json.Unmarshal(b, &over); err != nil {
		return nil, fmt.Errorf("load fees %s: %w", path, err)
	}
	for k, v := range over {
		f[k] = v
	}
	return f, nil
}

// FeeQuote answers GET /api/v1/fees/quote.
type FeeQuote struct {
	Fee       money.Amount   `json:"fee"`
	Total     money.Amount   `json:"total"`
	Receive   *money.Amount  `json:"receive,omitempty"`
	Rate      string         `json:"rate,omitempty"`
	Breakdown []FeeBreakdown `json:"breakdown"`
}

// FeeBreakdown explains one part of a fee.
type FeeBreakdown struct {
	Kind   string       `json:"kind"`
	Rule   FeeRule      `json:"rule"`
	Amount money.Amount `json:"amount"`
}

// QuoteFee tells what an operation of kind would cost before doing it.
func (w *Wallet) QuoteFee(kind string, amount int64, currency, toCurrency string) (FeeQuote, error) {
	cur, err := w.currency(currency)
	if err != nil {
		return FeeQuote{}, err
	}
	if amount <= 0 {
		return FeeQuote{}, invalidAmount()
	}
	feeKind := kind
	switch {
	case !slices.Contains(FeeQuoteKinds, kind):
		return FeeQuote{}, invalidField("kind", fault.MsgFeeKind, feeKindsPublic)
	case kind == "topup":
		feeKind = FeeTopupBank
	}
	rule := w.o.Fees[feeKind][cur.Code]
	fee := rule.Apply(amount)
	if fee > math.MaxInt64-amount { // the total would pass int64
		return FeeQuote{}, invalidAmount()
	}
	q := FeeQuote{
		Fee:       money.New(fee, cur.Code),
		Total:     money.New(amount+fee, cur.Code),
		Breakdown: []FeeBreakdown{{Kind: feeKind, Rule: rule, Amount: money.New(fee, cur.Code)}},
	}
	switch feeKind {
	case FeeTopupBank, FeeTopupCard, FeeMDR: // taken out of the amount
		q.Total = money.New(amount, cur.Code)
		r := money.New(amount-fee, cur.Code)
		q.Receive = &r
	case FeeFX, FeeRemittance:
		if toCurrency == "" {
			return FeeQuote{}, invalidField("to_currency", fault.MsgRequiredFor, kind)
		}
		to, err := w.currency(toCurrency)
		if err != nil {
			return FeeQuote{}, err
		}
		rate, err := w.o.Rates.Rate(cur.Code, to.Code)
		if err != nil {
			return FeeQuote{}, err
		}
		v, fits := rate.TryConvert(amount, cur, to)
		if !fits {
			return FeeQuote{}, invalidField("amount", fault.MsgAmountTooLarge)
		}
		r := money.New(v, to.Code)
		q.Receive, q.Rate = &r, rate.String()
	}
	return q, nil
}

// FeeSchedule is the schedule in force (kind → currency → rule), for the pages that show it.
// The caller gets its own copy.
func (w *Wallet) FeeSchedule() Fees {
	out := make(Fees, len(w.o.Fees))
	for k, byCur := range w.o.Fees {
		m := make(map[string]FeeRule, len(byCur))
		for c, r := range byCur {
			m[c] = r
		}
		out[k] = m
	}
	return out
}

package wallet_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/dompet/dompet/internal/wallet"
)

// The percentage part must not wrap for amounts near 2^63: a wrapped fee is shown and charged.
func TestFeeRuleApplyLargeAmounts(t *testing.T) {
	for _, amount := range []int64{math.MaxInt64, math.MaxInt64 / 2, 1 << 60, 9_223_372_036_854_775} {
		for _, r := range []wallet.FeeRule{{BPS: 150, Min: 1_000_00}, {Fixed: 25_000_00, BPS: 50}, {BPS: 70}} {
			want := new(big.Int).Mul(big.NewInt(amount), big.NewInt(r.BPS))
			want.Add(want, big.NewInt(5000)).Quo(want, big.NewInt(10000)).Add(want, big.NewInt(r.Fixed))
			if want.Cmp(big.NewInt(r.Min)) < 0 {
				want.SetInt64(r.Min)
			}
			if got := r.Apply(amount); big.NewInt(got).Cmp(want) != 0 {
				t.Errorf("%+v.Apply(%d) = %d, want %s", r, amount, got, want)
			}
		}
	}
}

// A fee quote whose total would pass int64 is refused, not answered with a negative total.
func TestQuoteFeeTotalOverflow(t *testing.T) {
	e := newEnv(t)
	q, err := e.w.QuoteFee("withdrawal", math.MaxInt64-10, "IDR", "")
	if err == nil && q.Total.Amount < q.Fee.Amount {
		t.Fatalf("quote total wrapped: %+v", q)
	}
	if err == nil {
		t.Fatalf("quote accepted: %+v", q)
	}
}

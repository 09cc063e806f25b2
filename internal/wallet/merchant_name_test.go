package wallet_test

import (
	"testing"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/wallet"
)

// A payer sees whom they pay: the merchant's display name before paying, the same refusal as
// a payment for an id nobody has, and the name on a payment refused before the PIN (phone
// not verified).
func TestMerchantNameForPayers(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		id, name, detail string
	}{
		{e.shop, "Warung Kopi", ""},
		{"mch_nobody", "", "merchant not found"},
		{"", "", "merchant not found"},
	} {
		name, err := e.w.MerchantName(e.ctx, tc.id)
		if tc.detail == "" {
			if err != nil || name != tc.name {
				t.Errorf("%q: %q, %v", tc.id, name, err)
			}
			continue
		}
		f, ok := fault.As(err)
		if !ok || f.Code != "not_found" || f.Details["en"] != tc.detail || f.Details["zh-CN"] == "" {
			t.Errorf("%q: %q, %+v", tc.id, name, err)
		}
		// A payment to it is refused in the same words.
		_, perr := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: tc.id, Amount: 1_000, Currency: "IDR", OrderRef: "o-1"})
		if pf, _ := fault.As(perr); tc.id != "" && (pf == nil || pf.Details["en"] != tc.detail) {
			t.Errorf("pay %q: %v", tc.id, perr)
		}
	}
	carol := wallet.Party{ID: "usr_carol", Name: "Carol", Tier: wallet.TierBasic, Status: "active"}
	tx, err := e.w.Pay(e.ctx, e.call(carol), wallet.PayInput{MerchantID: e.shop, Amount: 1_000, Currency: "IDR", OrderRef: "o-2"})
	if fault.Code(err) != "phone_unverified" || tx.Counterparty.Name != "Warung Kopi" || tx.Counterparty.ID != e.shop {
		t.Fatalf("refused payment: %+v, %v", tx.Counterparty, err)
	}
}

package web

import (
	"testing"

	"github.com/dompet/dompet/internal/front"
)

func TestParseAmount(t *testing.T) {
	for _, tt := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"25000", "IDR", 2500000, true}, {"25,000.5", "IDR", 2500050, true}, {" 1 000.05 ", "USD", 100005, true},
		{"5", "JPY", 5, true}, {"5.1", "JPY", 0, false}, {"1.234", "IDR", 0, false}, {"0", "IDR", 0, false},
		{"-5", "IDR", 0, false}, {"1e5", "IDR", 0, false}, {"", "IDR", 0, false}, {"10.", "IDR", 0, false},
		{"10", "XXX", 0, false}, {"9999999999999999", "IDR", 0, false}, {".5", "IDR", 0, false},
	} {
		got, ok := parseAmount(tt.in, tt.cur)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseAmount(%q, %s) = %d %v, want %d %v", tt.in, tt.cur, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWalletKeysBuiltInCode: the messages the wallet pages name from Go (not literally in a
// template, so New cannot check them) exist in every language.
func TestWalletKeysBuiltInCode(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"wallet.done.other", "wallet.done.fx", "wallet.done.remit", "wallet.track.requested", "wallet.track.bank", "wallet.track.settled", "wallet.track.returned"}
	for k := range moneyKinds {
		keys = append(keys, "wallet.done."+k, "wallet.money."+k+".title", "wallet.money."+k+".intro")
	}
	for _, code := range []string{"insufficient_balance", "limit_exceeded", "phone_unverified", "pin_required", "pin_locked",
		"provider_unavailable", "account_restricted", "anything_else"} {
		_, label := nextStep(code, "pay")
		keys = append(keys, label)
	}
	for _, k := range keys {
		for l := range front.NumLocales {
			if _, ok := s.cat[l][k]; !ok {
				t.Errorf("%s has no %s text", k, front.Locale(l))
			}
		}
	}
}

package wallet_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/wallet"
)

var errWrongPIN = fault.New("invalid_pin", "wrong PIN")

// withPIN rebuilds e's wallet with a CheckPIN that wants pin from every user and counts
// its calls.
func withPIN(t *testing.T, e *env, pin string) *atomic.Int64 {
	t.Helper()
	var calls atomic.Int64
	clock := func() time.Time { return time.UnixMicro(e.now.Load()) }
	dir := directory{users: map[string]wallet.Party{"+6281200000001": e.alice, "+6281200000002": e.bob, "usr_bob": e.bob}}
	w, err := wallet.New(wallet.Options{DB: e.d, Ledger: e.l, Users: dir, Merchants: merchants{e.merchant},
		Funding: e.sandbox, Bank: e.sandbox, SettleAfter: time.Second, Now: clock,
		CheckPIN: func(_ context.Context, userID, got string) error {
			calls.Add(1)
			if got != pin {
				return errWrongPIN
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	e.w = w
	return &calls
}

// A wrong PIN refuses before any money moves and leaves no transaction behind, so the same
// Idempotency-Key with the right PIN goes through, once.
func TestPINGuardsOutgoingMoney(t *testing.T) {
	e := newEnv(t)
	calls := withPIN(t, e, "302918")
	e.topup(e.alice, 10_000_000_00)
	before := e.available(e.alice, "IDR")

	q, err := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "SGD", Amount: 1_000_000_00, Purpose: "remittance"})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(c wallet.Call, pin string) (wallet.Transaction, error){
		"payment": func(c wallet.Call, pin string) (wallet.Transaction, error) {
			return e.w.Pay(e.ctx, c, wallet.PayInput{MerchantID: e.shop, Amount: 10_000, Currency: "IDR", OrderRef: "order-1", PIN: pin})
		},
		"transfer": func(c wallet.Call, pin string) (wallet.Transaction, error) {
			return e.w.Transfer(e.ctx, c, wallet.TransferInput{To: "usr_bob", Amount: 10_000, Currency: "IDR", PIN: pin})
		},
		"withdrawal": func(c wallet.Call, pin string) (wallet.Transaction, error) {
			return e.w.Withdraw(e.ctx, c, wallet.WithdrawInput{Amount: 10_000, Currency: "IDR", PIN: pin,
				BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567890", HolderName: "Alice"}})
		},
		"remittance": func(c wallet.Call, pin string) (wallet.Transaction, error) {
			return e.w.Remit(e.ctx, c, wallet.RemitInput{QuoteID: q.ID, PIN: pin,
				Recipient: wallet.Recipient{Name: "Tan", Country: "SG", BankCode: "DBSSSGSG", AccountNumber: "0123456789"}})
		},
	}
	for name, op := range ops {
		c := e.call(e.alice)
		for _, wrong := range []string{"", "000000"} {
			c.Hash = "body-with-pin-" + wrong
			if _, err := op(c, wrong); fault.Code(err) != "invalid_pin" {
				t.Fatalf("%s with PIN %q: %v", name, wrong, err)
			}
		}
		if got := e.available(e.alice, "IDR"); got != before {
			t.Fatalf("%s: balance moved to %d on a wrong PIN", name, got)
		}
		c.Hash = "body-with-right-pin"
		tx, err := op(c, "302918")
		if err != nil {
			t.Fatalf("%s with the right PIN under the same key: %v", name, err)
		}
		n := calls.Load()
		again, err := op(c, "302918")
		if err != nil || again.ID != tx.ID {
			t.Fatalf("%s replay: %+v %v, want %s", name, again, err, tx.ID)
		}
		if calls.Load() != n {
			t.Fatalf("%s: a replay asked for the PIN again", name)
		}
		before = e.available(e.alice, "IDR")
	}
	page, err := e.w.Transactions(e.ctx, e.alice.ID, wallet.Filter{Status: "failed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 {
		t.Fatalf("wrong PINs left failed transactions: %+v", page.Items)
	}
	// Top-ups and conversions between one's own currencies need no PIN.
	n := calls.Load()
	e.topup(e.alice, 1000)
	q2, _ := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "USD", Amount: 1_625_000_00})
	if _, err := e.w.Convert(e.ctx, e.call(e.alice), wallet.ConvertInput{QuoteID: q2.ID}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != n {
		t.Fatal("a top-up or conversion asked for the PIN")
	}
}

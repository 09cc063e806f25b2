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
	conv, err := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "USD", Amount: 1_625_000_00})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(c wallet.Call, pin string) (wallet.Transaction, error){
		"conversion": func(c wallet.Call, pin string) (wallet.Transaction, error) {
			return e.w.Convert(e.ctx, c, wallet.ConvertInput{QuoteID: conv.ID, PIN: pin})
		},
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
	// A top-up brings money in: it needs no PIN.
	n := calls.Load()
	e.topup(e.alice, 1000)
	if calls.Load() != n {
		t.Fatal("a top-up asked for the PIN")
	}
}

// Until the phone is verified, money comes in but does not go out: each outgoing operation is
// refused with phone_unverified before the PIN is asked for, recorded as a failed transaction
// (with its reason in both languages) that keeps no Idempotency-Key, so that the same key goes
// through once the phone is verified.
func TestUnverifiedPhoneReceivesButDoesNotSend(t *testing.T) {
	e := newEnv(t)
	calls := withPIN(t, e, "302918")
	e.topup(e.alice, 10_000_000_00)
	// Carol has not verified her phone; incoming money is accepted.
	carol := wallet.Party{ID: "usr_carol", Name: "Carol", Tier: wallet.TierBasic, Status: "active"}
	e.topup(carol, 1_000_000_00)
	if _, err := e.w.Transfer(e.ctx, e.call(e.alice), wallet.TransferInput{To: "usr_bob", Amount: 10_000, Currency: "IDR", PIN: "302918"}); err != nil {
		t.Fatal(err)
	}
	conv, err := e.w.QuoteFX(e.ctx, carol, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "USD", Amount: 1_625_000})
	if err != nil {
		t.Fatal(err)
	}
	remit, err := e.w.QuoteFX(e.ctx, carol, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "SGD", Amount: 100_000, Purpose: "remittance"})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]func(c wallet.Call) (wallet.Transaction, error){
		"payment": func(c wallet.Call) (wallet.Transaction, error) {
			return e.w.Pay(e.ctx, c, wallet.PayInput{MerchantID: e.shop, Amount: 10_000, Currency: "IDR", OrderRef: "order-1", PIN: "302918"})
		},
		"transfer": func(c wallet.Call) (wallet.Transaction, error) {
			return e.w.Transfer(e.ctx, c, wallet.TransferInput{To: "usr_bob", Amount: 10_000, Currency: "IDR", PIN: "302918"})
		},
		"withdrawal": func(c wallet.Call) (wallet.Transaction, error) {
			return e.w.Withdraw(e.ctx, c, wallet.WithdrawInput{Amount: 10_000, Currency: "IDR", PIN: "302918",
				BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567890", HolderName: "Carol"}})
		},
		"conversion": func(c wallet.Call) (wallet.Transaction, error) {
			return e.w.Convert(e.ctx, c, wallet.ConvertInput{QuoteID: conv.ID, PIN: "302918"})
		},
		"remittance": func(c wallet.Call) (wallet.Transaction, error) {
			return e.w.Remit(e.ctx, c, wallet.RemitInput{QuoteID: remit.ID, PIN: "302918",
				Recipient: wallet.Recipient{Name: "Tan", Country: "SG", BankCode: "DBSSSGSG", AccountNumber: "0123456789"}})
		},
	}
	n := calls.Load()
	keys := map[string]wallet.Call{}
	for name, op := range ops {
		c := e.call(carol)
		keys[name] = c
		tx, err := op(c)
		if fault.Code(err) != "phone_unverified" {
			t.Fatalf("%s from an unverified phone: %v", name, err)
		}
		if tx.Status != wallet.StatusFailed || tx.FailureCode != "phone_unverified" {
			t.Fatalf("%s: recorded %+v", name, tx)
		}
	}
	if calls.Load() != n {
		t.Fatal("an unverified phone was asked for the PIN")
	}
	if got := e.available(carol, "IDR"); got != 1_000_000_00 {
		t.Fatalf("balance moved to %d", got)
	}
	page, err := e.w.Transactions(e.ctx, carol.ID, wallet.Filter{Status: "failed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != len(ops) {
		t.Fatalf("%d failed transactions, want %d", len(page.Items), len(ops))
	}
	for _, tx := range page.Items {
		if tx.FailureCode != "phone_unverified" || wallet.Reason("zh-CN", tx.FailureCode, nil) == wallet.Reason("en", tx.FailureCode, nil) {
			t.Fatalf("failed %s: %+v", tx.Kind, tx)
		}
	}
	// Verified, the same keys go through.
	carol.PhoneVerified = true
	for name, op := range ops {
		c := keys[name]
		c.User = carol
		if tx, err := op(c); err != nil || tx.Status == wallet.StatusFailed {
			t.Fatalf("%s once verified, same key: %+v %v", name, tx, err)
		}
	}
}

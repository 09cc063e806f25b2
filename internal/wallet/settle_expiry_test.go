package wallet_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/wallet"
)

// countingBank counts the payouts the bank made.
type countingBank struct {
	wallet.Sandbox
	paid atomic.Int32
}

func (b *countingBank) Payout(ctx context.Context, p wallet.Payout) error {
	err := b.Sandbox.Payout(ctx, p)
	if err == nil {
		b.paid.Add(1)
	}
	return err
}

// A withdrawal whose hold has expired (the sweeper has not voided it yet) must not be paid
// out by the bank and given back to the user as well.
func TestExpiredHoldIsNotPaidOut(t *testing.T) {
	e := newEnv(t)
	bank := &countingBank{}
	w, err := wallet.New(wallet.Options{DB: e.d, Ledger: e.l, Users: directory{}, Merchants: merchants{e.merchant},
		Funding: e.sandbox, Bank: bank, SettleAfter: time.Second, PendingTTL: time.Hour,
		Now: func() time.Time { return time.UnixMicro(e.now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	e.topup(e.alice, 1_000_000)
	wd, err := w.Withdraw(e.ctx, e.call(e.alice), wallet.WithdrawInput{Amount: 100_000, Currency: "IDR",
		BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567890", HolderName: "Alice"}})
	if err != nil {
		t.Fatal(err)
	}
	e.advance(2 * time.Hour)
	if _, err := w.Settle(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExpireHolds(e.ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := w.Transaction(e.ctx, e.alice.ID, wd.ID)
	back := e.available(e.alice, "IDR") == 1_000_000
	if bank.paid.Load() > 0 && back {
		t.Fatalf("the bank paid out %+v and the user got the money back too", got)
	}
	if !back || got.Status != wallet.StatusFailed || got.FailureCode != wallet.FailExpired {
		t.Fatalf("expired withdrawal: %+v, available %d", got, e.available(e.alice, "IDR"))
	}
}

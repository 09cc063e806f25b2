package wallet_test

import (
	"slices"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/wallet"
)

// A withdrawal or remittance whose hold expires (a bank that never answers) gets its "failed"
// receipt with the void that gives the money back, once, however often the sweeper runs.
func TestExpiredPayoutReceipt(t *testing.T) {
	for _, c := range []struct {
		name          string
		start         func(e *env, w *wallet.Wallet) (wallet.Transaction, error)
		before, after string // the receipt kinds before and after the expiry
		body          string
	}{
		{"withdrawal", func(e *env, w *wallet.Wallet) (wallet.Transaction, error) {
			return w.Withdraw(e.ctx, e.call(e.alice), wallet.WithdrawInput{Amount: 100_000, Currency: "IDR",
				BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567890", HolderName: "Alice"}})
		}, "", wallet.ReceiptWithdrawalFailed, "Your withdrawal of IDR 1,000.00 failed: "},
		{"remittance", func(e *env, w *wallet.Wallet) (wallet.Transaction, error) {
			q, err := w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "SGD", Amount: 100_000, Purpose: wallet.PurposeRemittance})
			if err != nil {
				return wallet.Transaction{}, err
			}
			return w.Remit(e.ctx, e.call(e.alice), wallet.RemitInput{QuoteID: q.ID,
				Recipient: wallet.Recipient{Name: "Tan", Country: "SG", BankCode: "DBSSSGSG", AccountNumber: "0123456789"}})
		}, wallet.ReceiptRemittanceSent, wallet.ReceiptRemittanceFailed, "Your remittance of IDR 1,000.00 to Tan failed: "},
	} {
		t.Run(c.name, func(t *testing.T) { expiredPayoutReceipt(t, c.start, c.before, c.after, c.body) })
	}
}

func expiredPayoutReceipt(t *testing.T, start func(*env, *wallet.Wallet) (wallet.Transaction, error), before, after, body string) {
	e := newEnv(t)
	w, err := wallet.New(wallet.Options{DB: e.d, Ledger: e.l, Users: directory{}, Merchants: merchants{e.merchant},
		Receipts: inbox.New(e.d, inbox.Options{}), Funding: e.sandbox, Bank: e.sandbox, SettleAfter: 24 * time.Hour,
		PendingTTL: time.Hour, Now: func() time.Time { return time.UnixMicro(e.now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	e.topup(e.alice, 1_000_000_00)
	wd, err := start(e, w)
	if err != nil {
		t.Fatal(err)
	}
	kinds := func() []string {
		t.Helper()
		rows, err := e.d.Query(e.ctx, "SELECT kind, transaction_id FROM notifications WHERE user_id = ? ORDER BY created_at, kind", e.alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var k, tx string
			if err := rows.Scan(&k, &tx); err != nil {
				t.Fatal(err)
			}
			if tx != wd.ID {
				t.Fatalf("receipt %s for %s, want for %s", k, tx, wd.ID)
			}
			out = append(out, k)
		}
		return out
	}
	want := []string{}
	if before != "" {
		want = append(want, before)
	}
	if got := kinds(); !slices.Equal(got, want) {
		t.Fatalf("receipts before the payout ended: %v, want %v", got, want)
	}
	e.advance(2 * time.Hour)
	for range 2 {
		if _, err := w.ExpireHolds(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	want = append(want, after)
	if got := kinds(); !slices.Equal(got, want) {
		t.Fatalf("receipts after the expiry: %v, want %v", got, want)
	}
	pg, err := inbox.New(e.d, inbox.Options{}).List(e.ctx, e.alice.ID, "en", inbox.Filter{})
	if err != nil || len(pg.Items) != len(want) || pg.Items[0].Body != body+wallet.Reason("en", wallet.FailExpired, nil) {
		t.Fatalf("%+v %v", pg, err)
	}
}

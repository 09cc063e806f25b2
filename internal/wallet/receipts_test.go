package wallet_test

import (
	"testing"
	"time"

	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/wallet"
)

// A withdrawal whose hold expires (a bank that never answers) gets its "withdrawal failed"
// receipt with the void that gives the money back, once, however often the sweeper runs.
func TestExpiredWithdrawalReceipt(t *testing.T) {
	e := newEnv(t)
	w, err := wallet.New(wallet.Options{DB: e.d, Ledger: e.l, Users: directory{}, Merchants: merchants{e.merchant},
		Receipts: inbox.New(e.d, inbox.Options{}), Funding: e.sandbox, Bank: e.sandbox, SettleAfter: 24 * time.Hour,
		PendingTTL: time.Hour, Now: func() time.Time { return time.UnixMicro(e.now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	e.topup(e.alice, 1_000_000)
	wd, err := w.Withdraw(e.ctx, e.call(e.alice), wallet.WithdrawInput{Amount: 100_000, Currency: "IDR",
		BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567890", HolderName: "Alice"}})
	if err != nil {
		t.Fatal(err)
	}
	count := func() (n int, kind, tx string) {
		t.Helper()
		if err := e.d.QueryRow(e.ctx, "SELECT COUNT(*) FROM notifications WHERE user_id = ?", e.alice.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			_ = e.d.QueryRow(e.ctx, "SELECT kind, transaction_id FROM notifications WHERE user_id = ?", e.alice.ID).Scan(&kind, &tx)
		}
		return
	}
	if n, _, _ := count(); n != 0 {
		t.Fatalf("%d receipts before the withdrawal ended", n)
	}
	e.advance(2 * time.Hour)
	for range 2 {
		if _, err := w.ExpireHolds(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	n, kind, tx := count()
	if n != 1 || kind != wallet.ReceiptWithdrawalFailed || tx != wd.ID {
		t.Fatalf("%d receipts (%s for %s), want one withdrawal_failed for %s", n, kind, tx, wd.ID)
	}
	pg, err := inbox.New(e.d, inbox.Options{}).List(e.ctx, e.alice.ID, "en", inbox.Filter{})
	if err != nil || len(pg.Items) != 1 || pg.Items[0].Body != "Your withdrawal of IDR 1,000.00 failed: "+wallet.Reason("en", wallet.FailExpired, nil) {
		t.Fatalf("%+v %v", pg, err)
	}
}

package wallet_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/wallet"
)

// injector fails the ledger's groups at one step when one of their keys has a prefix.
type injector struct {
	mu     sync.Mutex
	step   ledger.Step
	prefix string
	hits   int
}

func (in *injector) set(step ledger.Step, prefix string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.step, in.prefix, in.hits = step, prefix, 0
}

func (in *injector) hook(step ledger.Step, keys []string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.prefix == "" || step != in.step {
		return nil
	}
	for _, k := range keys {
		if strings.HasPrefix(k, in.prefix) {
			in.hits++
			return fmt.Errorf("injected failure at step %d", step)
		}
	}
	return nil
}

// consistent checks, without running anything that could repair, that status and money
// agree: the ledger verifies, every payout's status is its hold's resolution, and every
// refund request is refunded exactly when its refund was made.
func (e *env) consistent(t *testing.T, stage string) {
	t.Helper()
	rep, err := e.l.Verify(e.ctx)
	if err != nil || !rep.OK() {
		t.Fatalf("%s: ledger: %v %v", stage, err, rep.Problems)
	}
	rows, err := e.d.Query(e.ctx, "SELECT id, status FROM wallet_transactions WHERE kind IN ('withdrawal', 'remittance')")
	if err != nil {
		t.Fatal(err)
	}
	type payout struct{ id, status string }
	var payouts []payout
	for rows.Next() {
		var p payout
		_ = rows.Scan(&p.id, &p.status)
		payouts = append(payouts, p)
	}
	rows.Close()
	want := map[string]string{"": wallet.StatusPending, ledger.PhasePost: wallet.StatusSucceeded, ledger.PhaseVoid: wallet.StatusFailed}
	for _, p := range payouts {
		st, err := e.l.Transfer(e.ctx, p.id)
		if err != nil || st.Phase != ledger.PhasePending {
			continue // refused before it held anything
		}
		if want[st.Resolution] != p.status {
			t.Errorf("%s: payout %s is %s but its hold is %q", stage, p.id, p.status, st.Resolution)
		}
	}
	rows, err = e.d.Query(e.ctx, `SELECT r.id, r.status, r.refund_id, r.decision_reason,
		(SELECT COUNT(*) FROM wallet_transactions t WHERE t.owner = 'merchant:' || r.merchant_id AND t.id = r.refund_id AND t.status = 'succeeded')
		FROM wallet_refund_requests r`)
	if err != nil {
		t.Fatal(err)
	}
	refunded := 0
	for rows.Next() {
		var id, status, refundID, reason string
		var made int
		_ = rows.Scan(&id, &status, &refundID, &reason, &made)
		switch status {
		case wallet.RequestRefunded:
			refunded++
			if made != 1 {
				t.Errorf("%s: request %s is refunded but its refund %q was not made", stage, id, refundID)
			}
		case wallet.RequestSubmitted:
			if refundID != "" || reason != "" {
				t.Errorf("%s: request %s is submitted with refund %q, decision %q", stage, id, refundID, reason)
			}
		}
	}
	rows.Close()
	var refunds int
	if err := e.d.QueryRow(e.ctx, "SELECT COUNT(*) FROM wallet_transactions WHERE kind = 'refund' AND status = 'succeeded' AND owner LIKE 'merchant:%'").Scan(&refunds); err != nil {
		t.Fatal(err)
	}
	if refunds != refunded {
		t.Errorf("%s: %d refunds made for %d refunded requests", stage, refunds, refunded)
	}
}

// The store fails between the steps of settlement, expiry and refund approval: before the
// commit (nothing happened) and after it (everything happened, but the caller never hears).
// Status and money agree at once, without any repair run, and running the operation again
// finishes it exactly once.
func TestStoreFailuresNeedNoRepair(t *testing.T) {
	for _, step := range []ledger.Step{ledger.StepDecided, ledger.StepCommitted} {
		name := map[ledger.Step]string{ledger.StepDecided: "before commit", ledger.StepCommitted: "after commit"}[step]
		t.Run(name, func(t *testing.T) {
			in := &injector{}
			e := newEnvHooked(t, in.hook)
			e.topup(e.alice, 1_900_000)
			withdraw := func(account string) wallet.Transaction {
				t.Helper()
				wd, err := e.w.Withdraw(e.ctx, e.call(e.alice), wallet.WithdrawInput{Amount: 100_000, Currency: "IDR",
					BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: account, HolderName: "Alice"}})
				if err != nil {
					t.Fatal(err)
				}
				return wd
			}
			status := func(id string) string {
				t.Helper()
				tx, err := e.w.Transaction(e.ctx, e.alice.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				return tx.Status
			}
			after := func(op, id, want string) {
				t.Helper()
				if in.hits == 0 {
					t.Fatalf("%s: the failure was never injected", op)
				}
				e.consistent(t, op)
				if got := status(id); got != want {
					t.Fatalf("%s: status %s right after the failure, want %s", op, got, want)
				}
			}
			// Settlement paid by the bank.
			paid := withdraw("1234567890")
			e.advance(2 * time.Second)
			in.set(step, "settle:")
			if _, err := e.w.Settle(e.ctx); err == nil {
				t.Fatal("settle: no error reported")
			}
			after("settle", paid.ID, map[ledger.Step]string{ledger.StepDecided: wallet.StatusPending, ledger.StepCommitted: wallet.StatusSucceeded}[step])
			in.set(step, "")
			if _, err := e.w.Settle(e.ctx); err != nil {
				t.Fatal(err)
			}
			if got := status(paid.ID); got != wallet.StatusSucceeded {
				t.Fatalf("settled payout %s", got)
			}

			// Settlement refused by the bank: the money comes back with the failure.
			refused := withdraw("1234560000")
			e.advance(2 * time.Second)
			in.set(step, "release:")
			if _, err := e.w.Settle(e.ctx); err == nil {
				t.Fatal("release: no error reported")
			}
			after("release", refused.ID, map[ledger.Step]string{ledger.StepDecided: wallet.StatusPending, ledger.StepCommitted: wallet.StatusFailed}[step])
			in.set(step, "")
			if _, err := e.w.Settle(e.ctx); err != nil {
				t.Fatal(err)
			}

			// Expiry: a hold past its timeout is voided by the sweeper.
			expiring := withdraw("1234567891")
			if _, err := e.d.Exec(e.ctx, "UPDATE wallet_transactions SET settle_after = 0 WHERE id = ?", expiring.ID); err != nil {
				t.Fatal(err) // the bank is never asked: only the sweeper acts
			}
			e.advance(8 * 24 * time.Hour)
			in.set(step, "expire:")
			if _, err := e.w.ExpireHolds(e.ctx); err == nil {
				t.Fatal("expire: no error reported")
			}
			after("expire", expiring.ID, map[ledger.Step]string{ledger.StepDecided: wallet.StatusPending, ledger.StepCommitted: wallet.StatusFailed}[step])
			in.set(step, "")
			if _, err := e.w.ExpireHolds(e.ctx); err != nil {
				t.Fatal(err)
			}
			if tx, _ := e.w.Transaction(e.ctx, e.alice.ID, expiring.ID); tx.Status != wallet.StatusFailed || tx.FailureCode != wallet.FailExpired {
				t.Fatalf("expired payout %+v", tx)
			}

			// Refund approval.
			pay, err := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 100_000, Currency: "IDR", OrderRef: "order-1"})
			if err != nil {
				t.Fatal(err)
			}
			rr, err := e.w.RequestRefund(e.ctx, e.alice, wallet.RefundRequestInput{TransactionID: pay.ID, Amount: 50_000, Reason: "cold"})
			if err != nil {
				t.Fatal(err)
			}
			before := e.available(e.alice, "IDR")
			call := e.decision()
			in.set(step, "w:merchant:")
			if _, err := e.w.DecideRefundRequest(e.ctx, call, rr.ID, wallet.Decision{Decision: "approve", Reason: "sorry"}); err == nil {
				t.Fatal("approve: no error reported")
			}
			if in.hits == 0 {
				t.Fatal("approve: the failure was never injected")
			}
			e.consistent(t, "approve")
			got, _ := e.w.RefundRequest(e.ctx, e.alice.ID, rr.ID)
			wantStatus := map[ledger.Step]string{ledger.StepDecided: wallet.RequestSubmitted, ledger.StepCommitted: wallet.RequestRefunded}[step]
			if got.Status != wantStatus {
				t.Fatalf("request %s right after the failure, want %s", got.Status, wantStatus)
			}
			in.set(step, "")
			got, err = e.w.DecideRefundRequest(e.ctx, call, rr.ID, wallet.Decision{Decision: "approve", Reason: "sorry"})
			if err != nil || got.Status != wallet.RequestRefunded {
				t.Fatalf("approval retried under its key: %+v %v", got, err)
			}
			if a := e.available(e.alice, "IDR"); a != before+50_000 {
				t.Fatalf("alice has %d after the refund, want %d (refunded once)", a, before+50_000)
			}
			e.consistent(t, "end")
		})
	}
}

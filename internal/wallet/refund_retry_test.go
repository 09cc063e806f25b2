package wallet_test

import (
	"errors"
	"testing"

	"github.com/dompet/dompet/internal/wallet"
)

// A refund request whose refund the ledger refused goes back to the merchant; approving it
// again once the merchant has the money must refund it, not replay the first refusal.
func TestRefundRequestRetriedAfterRefusal(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 1_000_000)
	e.topup(e.bob, 1_000_000)
	pay, err := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 100_000, Currency: "IDR", OrderRef: "order-1"})
	if err != nil {
		t.Fatal(err)
	}
	// The merchant received the payment less its fee, so it cannot refund all of it yet.
	rr, err := e.w.RequestRefund(e.ctx, e.alice, wallet.RefundRequestInput{TransactionID: pay.ID, Amount: 100_000, Reason: "never delivered"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.w.DecideRefundRequest(e.ctx, e.decision(), rr.ID, wallet.Decision{Decision: "approve", Reason: "sorry"}); !errors.Is(err, wallet.ErrInsufficientBalance) {
		t.Fatalf("first approval: %v, want insufficient_balance", err)
	}
	// A refused approval stores nothing on the request.
	if got, _ := e.w.RefundRequest(e.ctx, e.alice.ID, rr.ID); got.Status != wallet.RequestSubmitted || got.DecisionReason != "" || got.DecidedAt != nil {
		t.Fatalf("after a refused refund the request is %+v, want submitted and undecided", got)
	}
	if _, err := e.w.Pay(e.ctx, e.call(e.bob), wallet.PayInput{MerchantID: e.shop, Amount: 50_000, Currency: "IDR", OrderRef: "order-1"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.w.DecideRefundRequest(e.ctx, e.decision(), rr.ID, wallet.Decision{Decision: "approve", Reason: "ok"})
	if err != nil || got.Status != wallet.RequestRefunded {
		t.Fatalf("second approval: %+v %v", got, err)
	}
	if a := e.available(e.alice, "IDR"); a != 1_000_000 {
		t.Fatalf("alice has %d after the refund, want 1000000", a)
	}
}

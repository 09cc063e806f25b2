package wallet_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/wallet"
)

// A quote already used is refused as used (409 invalid_state), even when the balance no
// longer covers it: the quote's state comes before the balance.
func TestUsedQuoteRefusedBeforeBalance(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 2_000_000_00)
	q, err := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "USD", Amount: 1_625_000_00})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.w.Convert(e.ctx, e.call(e.alice), wallet.ConvertInput{QuoteID: q.ID}); err != nil {
		t.Fatal(err)
	}
	// Alice no longer has enough IDR for the quote's total.
	if e.available(e.alice, "IDR") >= q.Total.Amount {
		t.Fatalf("test setup: alice still has %d", e.available(e.alice, "IDR"))
	}
	tx, err := e.w.Convert(e.ctx, e.call(e.alice), wallet.ConvertInput{QuoteID: q.ID})
	if !errors.Is(err, wallet.ErrInvalidState) {
		t.Fatalf("second use of a quote: %v, want invalid_state", err)
	}
	if tx.FailureCode != "invalid_state" || !strings.Contains(tx.FailureReason+wallet.Reason("en", tx.FailureCode, tx.FailureParams), "quote") {
		t.Errorf("failed conversion %+v", tx)
	}
}

// An FX quote whose total would pass int64 is refused like GET /fees/quote refuses it, and a
// conversion too large for int64 is not called too small.
func TestFXQuoteNearInt64(t *testing.T) {
	e := newEnv(t)
	for _, in := range []wallet.QuoteInput{
		{FromCurrency: "IDR", ToCurrency: "USD", Amount: math.MaxInt64 - 10},
		{FromCurrency: "IDR", ToCurrency: "USD", Amount: math.MaxInt64 - 10, Purpose: wallet.PurposeRemittance},
		{FromCurrency: "USD", ToCurrency: "IDR", Amount: math.MaxInt64},
		{FromCurrency: "USD", ToCurrency: "IDR", Amount: math.MaxInt64 / 1000},
	} {
		q, err := e.w.QuoteFX(e.ctx, e.alice, in)
		if err == nil {
			t.Errorf("%+v: quoted %+v", in, q)
			continue
		}
		if fault.Code(err) != "invalid_request" || strings.Contains(err.Error(), "too small") {
			t.Errorf("%+v: %v", in, err)
		}
		if _, ferr := e.w.QuoteFee("fx", in.Amount, in.FromCurrency, in.ToCurrency); ferr == nil {
			t.Errorf("%+v: GET /fees/quote answers what the FX quote refuses", in)
		}
	}
	if _, err := e.w.QuoteFX(e.ctx, e.alice, wallet.QuoteInput{FromCurrency: "IDR", ToCurrency: "USD", Amount: 1}); err == nil || !strings.Contains(err.Error(), "too small") {
		t.Errorf("IDR 0.01 to USD: %v, want too small", err)
	}
}

// A payout whose details cannot be read is not paid out to a guess: Settle says so, and the
// withdrawal stays pending with its hold.
func TestCorruptPayoutDetailsFailLoudly(t *testing.T) {
	e := newEnv(t)
	bank := &countingBank{}
	w, err := wallet.New(wallet.Options{DB: e.d, Ledger: e.l, Users: directory{}, Merchants: merchants{e.merchant},
		Funding: e.sandbox, Bank: bank, SettleAfter: time.Second, Now: func() time.Time { return time.UnixMicro(e.now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	e.topup(e.alice, 1_000_000)
	wd, err := w.Withdraw(e.ctx, e.call(e.alice), wallet.WithdrawInput{Amount: 100_000, Currency: "IDR",
		BankAccount: wallet.BankAccount{BankCode: "BCA", AccountNumber: "1234567890", HolderName: "Alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.Exec(e.ctx, "UPDATE wallet_transactions SET details = '{\"bank_account\":' WHERE id = ?", wd.ID); err != nil {
		t.Fatal(err)
	}
	e.advance(2 * time.Second)
	n, err := w.Settle(e.ctx)
	if n != 0 || err == nil || !strings.Contains(err.Error(), wd.ID) {
		t.Fatalf("settle with corrupt details: %d, %v", n, err)
	}
	if bank.paid.Load() != 0 {
		t.Fatal("the bank paid out a payout whose details are corrupt")
	}
	got, _ := w.Transaction(e.ctx, e.alice.ID, wd.ID)
	st, _ := e.l.Transfer(e.ctx, wd.ID)
	if got.Status != wallet.StatusPending || st.Resolution != "" {
		t.Fatalf("withdrawal %s, hold resolved %q", got.Status, st.Resolution)
	}
}

// Deciding a refund request takes an Idempotency-Key: the same key and body answer as the
// first time, another body is a conflict, and a key names one request's decision.
func TestRefundDecisionIdempotency(t *testing.T) {
	e := newEnv(t)
	e.topup(e.alice, 1_000_000)
	pay, err := e.w.Pay(e.ctx, e.call(e.alice), wallet.PayInput{MerchantID: e.shop, Amount: 100_000, Currency: "IDR", OrderRef: "order-1"})
	if err != nil {
		t.Fatal(err)
	}
	file := func(amount int64) wallet.RefundRequest {
		t.Helper()
		rr, err := e.w.RequestRefund(e.ctx, e.alice, wallet.RefundRequestInput{TransactionID: pay.ID, Amount: amount, Reason: "cold"})
		if err != nil {
			t.Fatal(err)
		}
		return rr
	}
	approve := wallet.Decision{Decision: "approve", Reason: "sorry"}
	rr := file(10_000)
	if _, err := e.w.DecideRefundRequest(e.ctx, wallet.MerchantCall{MerchantID: e.shop}, rr.ID, approve); fault.Code(err) != "invalid_request" {
		t.Fatalf("decision without a key: %v", err)
	}
	call := e.decision()
	first, err := e.w.DecideRefundRequest(e.ctx, call, rr.ID, approve)
	if err != nil || first.Status != wallet.RequestRefunded || first.DecisionReason != "sorry" || first.DecidedAt == nil {
		t.Fatalf("approve: %+v %v", first, err)
	}
	again, err := e.w.DecideRefundRequest(e.ctx, call, rr.ID, approve)
	if err != nil || again.Status != wallet.RequestRefunded || again.RefundID != first.RefundID {
		t.Fatalf("replay: %+v %v", again, err)
	}
	other := call
	other.Hash = "another body"
	if _, err := e.w.DecideRefundRequest(e.ctx, other, rr.ID, approve); !errors.Is(err, wallet.ErrIdempotencyConflict) {
		t.Fatalf("same key, other body: %v", err)
	}
	rr2 := file(10_000)
	if _, err := e.w.DecideRefundRequest(e.ctx, call, rr2.ID, approve); !errors.Is(err, wallet.ErrIdempotencyConflict) {
		t.Fatalf("same key on another request: %v", err)
	}
	// A rejection replays too.
	reject := wallet.Decision{Decision: "reject", Reason: "no"}
	rcall := e.decision()
	if got, err := e.w.DecideRefundRequest(e.ctx, rcall, rr2.ID, reject); err != nil || got.Status != wallet.RequestRejected {
		t.Fatalf("reject: %+v %v", got, err)
	}
	if got, err := e.w.DecideRefundRequest(e.ctx, rcall, rr2.ID, reject); err != nil || got.Status != wallet.RequestRejected {
		t.Fatalf("replayed reject: %+v %v", got, err)
	}
	if _, err := e.w.DecideRefundRequest(e.ctx, e.decision(), rr2.ID, reject); !errors.Is(err, wallet.ErrInvalidState) {
		t.Fatalf("reject again under a new key: %v", err)
	}
	if a := e.available(e.alice, "IDR"); a != 1_000_000-100_000+10_000 {
		t.Fatalf("alice has %d", a)
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestE2EWithdrawal(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 100_000_00, "IDR")
	withdraw := func(amount int64, account string) apiTx {
		t.Helper()
		r := want(t, e.post(t, "/api/v1/withdrawals", u.Token, map[string]any{"amount": amount, "currency": "IDR",
			"bank_account": map[string]any{"bank_code": "BCA", "account_number": account, "holder_name": "Siti Rahma"}}), http.StatusCreated)
		tx := txOf(t, r)
		if tx.Kind != "withdrawal" || tx.Status != "pending" {
			t.Fatalf("withdrawal answered %+v, want a pending withdrawal", tx)
		}
		return tx
	}
	var q struct {
		Fee   struct{ Amount int64 } `json:"fee"`
		Total struct{ Amount int64 } `json:"total"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/fees/quote?kind=withdrawal&amount=5000000&currency=IDR", "", nil), http.StatusOK), &q)
	if q.Fee.Amount <= 0 || q.Total.Amount != 50_000_00+q.Fee.Amount {
		t.Fatalf("withdrawal fee quote %+v", q)
	}

	t.Run("settles", func(t *testing.T) {
		tx := withdraw(50_000_00, "1234567890")
		if tx.Fee.Amount != q.Fee.Amount {
			t.Errorf("fee %d, quoted %d", tx.Fee.Amount, q.Fee.Amount)
		}
		if done := e.waitTx(t, u.Token, tx.ID); done.Status != "succeeded" {
			t.Fatalf("withdrawal ended %+v, want succeeded", done)
		}
		b := e.balance(t, u.Token, "IDR")
		if b.Available != 100_000_00-50_000_00-q.Fee.Amount || b.Pending != 0 {
			t.Errorf("balance %+v after settlement", b)
		}
	})

	t.Run("bank rejects", func(t *testing.T) {
		before := e.balance(t, u.Token, "IDR").Available
		tx := withdraw(10_000_00, "9876540000")
		done := e.waitTx(t, u.Token, tx.ID)
		if done.Status != "failed" || done.FailureCode != "bank_rejected" || done.FailureReason == "" {
			t.Fatalf("withdrawal ended %+v, want failed with bank_rejected and a reason", done)
		}
		if b := e.balance(t, u.Token, "IDR"); b.Available != before || b.Pending != 0 {
			t.Errorf("balance %+v after a rejection, want %d available and nothing pending", b, before)
		}
		// The rejected amount no longer counts against the daily limit.
		var sum struct {
			Limits map[string]struct {
				Used struct {
					DailyOutgoing int64 `json:"daily_outgoing"`
				} `json:"used"`
			} `json:"limits"`
		}
		decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/wallet", u.Token, nil), http.StatusOK), &sum)
		if got := sum.Limits["IDR"].Used.DailyOutgoing; got != 50_000_00 {
			t.Errorf("daily outgoing used %d, want 5000000 (the settled withdrawal only)", got)
		}
	})

	t.Run("held while pending", func(t *testing.T) {
		before := e.balance(t, u.Token, "IDR").Available
		tx := withdraw(10_000_00, "5555559999") // the sandbox bank does not answer: stays pending
		time.Sleep(2 * e2eSettleAfter)
		b := e.balance(t, u.Token, "IDR")
		if b.Pending != 10_000_00+tx.Fee.Amount || b.Available != before-10_000_00-tx.Fee.Amount {
			t.Errorf("balance %+v while held, want pending %d and available %d", b, 10_000_00+tx.Fee.Amount, before-10_000_00-tx.Fee.Amount)
		}
		if got := e.getTx(t, u.Token, tx.ID); got.Status != "pending" {
			t.Errorf("status %s, want pending", got.Status)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		r := e.post(t, "/api/v1/withdrawals", u.Token, map[string]any{"amount": 1_000_00, "currency": "IDR",
			"bank_account": map[string]any{"bank_code": "B", "account_number": "12", "holder_name": "Siti"}})
		p := wantProblem(t, r, 400, "invalid_request")
		errs, _ := json.Marshal(p["errors"])
		for _, f := range []string{"bank_account.bank_code", "bank_account.account_number"} {
			if !strings.Contains(string(errs), f) {
				t.Errorf("errors %s do not name %s", errs, f)
			}
		}
		before := e.balance(t, u.Token, "IDR")
		r = e.post(t, "/api/v1/withdrawals", u.Token, map[string]any{"amount": before.Available, "currency": "IDR",
			"bank_account": map[string]any{"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti"}})
		wantProblem(t, r, 422, "insufficient_balance") // the fee does not fit
		if after := e.balance(t, u.Token, "IDR"); after != before {
			t.Errorf("balance %+v after a refusal, was %+v", after, before)
		}
	})
}

func TestE2EFX(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	other := e.newUser(t, userOpts{})
	e.topUp(t, u, 300_000_00, "IDR")
	type quote struct {
		ID            string                 `json:"id"`
		Rate          string                 `json:"rate"`
		Fee           struct{ Amount int64 } `json:"fee"`
		RemittanceFee struct{ Amount int64 } `json:"remittance_fee"`
		Receive       struct {
			Amount   int64  `json:"amount"`
			Currency string `json:"currency"`
		} `json:"receive"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	newQuote := func(to string, amount int64, purpose string) quote {
		t.Helper()
		body := map[string]any{"from_currency": "IDR", "to_currency": to, "amount": amount}
		if purpose != "" {
			body["purpose"] = purpose
		}
		var q quote
		decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/fx/quotes", u.Token, body), http.StatusCreated), &q)
		if q.ID == "" || q.Rate == "" || q.Receive.Currency != to || q.Receive.Amount <= 0 || !q.ExpiresAt.After(time.Now()) {
			t.Fatalf("quote %+v", q)
		}
		return q
	}

	t.Run("conversion", func(t *testing.T) {
		q := newQuote("USD", 16_250_00, "") // IDR 16,250 is USD 1 in the sandbox table
		if q.Receive.Amount != 100 {
			t.Errorf("receive %d cents, want 100", q.Receive.Amount)
		}
		before := e.balance(t, u.Token, "IDR").Available
		key := e.key()
		tx := txOf(t, want(t, e.do(t, "POST", "/api/v1/fx/conversions", u.Token, map[string]any{"quote_id": q.ID}, hdr{"Idempotency-Key", key}), http.StatusCreated))
		if tx.Kind != "fx_conversion" || tx.Status != "succeeded" || tx.Amount != 16_250_00 || tx.Fee.Amount != q.Fee.Amount {
			t.Errorf("conversion %+v", tx)
		}
		check := func() {
			t.Helper()
			if got := e.balance(t, u.Token, "IDR").Available; got != before-16_250_00-q.Fee.Amount {
				t.Errorf("IDR available %d, want %d", got, before-16_250_00-q.Fee.Amount)
			}
			if got := e.balance(t, u.Token, "USD").Available; got != 100 {
				t.Errorf("USD available %d, want 100", got)
			}
		}
		check()
		again := txOf(t, want(t, e.do(t, "POST", "/api/v1/fx/conversions", u.Token, map[string]any{"quote_id": q.ID}, hdr{"Idempotency-Key", key}), http.StatusCreated))
		if again.ID != tx.ID {
			t.Errorf("replay gave %s, want %s", again.ID, tx.ID)
		}
		wantProblem(t, e.post(t, "/api/v1/fx/conversions", u.Token, map[string]any{"quote_id": q.ID}), 409, "invalid_state")
		// Another user cannot see or use the quote.
		wantProblem(t, e.post(t, "/api/v1/fx/conversions", other.Token, map[string]any{"quote_id": q.ID}), 404, "not_found")
		check()
	})

	t.Run("one quote, many keys at once", func(t *testing.T) {
		q := newQuote("CNY", 10_000_00, "")
		before := e.balance(t, u.Token, "IDR").Available
		var wg sync.WaitGroup
		rs := make([]reply, 10)
		for i := range rs {
			key := e.key()
			wg.Go(func() {
				rs[i], _ = e.send("POST", "/api/v1/fx/conversions", u.Token, map[string]any{"quote_id": q.ID}, hdr{"Idempotency-Key", key})
			})
		}
		wg.Wait()
		ok := 0
		for _, r := range rs {
			if r.status == http.StatusCreated {
				ok++
			} else {
				wantProblem(t, r, 409, "invalid_state")
			}
		}
		if ok != 1 {
			t.Errorf("%d conversions of one quote succeeded, want 1", ok)
		}
		if got := e.balance(t, u.Token, "CNY").Available; got != q.Receive.Amount {
			t.Errorf("CNY available %d, want %d", got, q.Receive.Amount)
		}
		if got := e.balance(t, u.Token, "IDR").Available; got != before-10_000_00-q.Fee.Amount {
			t.Errorf("IDR available %d, want %d", got, before-10_000_00-q.Fee.Amount)
		}
	})

	t.Run("expired quote", func(t *testing.T) {
		q := newQuote("SGD", 10_000_00, "")
		// app.New has no knob for the quote lifetime: age this quote in the store instead.
		if _, err := e.app.DB.Exec(context.Background(), "UPDATE wallet_fx_quotes SET expires_at = ? WHERE id = ?",
			time.Now().Add(-time.Second).UnixMicro(), q.ID); err != nil {
			t.Fatal(err)
		}
		before := e.balance(t, u.Token, "IDR").Available
		wantProblem(t, e.post(t, "/api/v1/fx/conversions", u.Token, map[string]any{"quote_id": q.ID}), 422, "quote_expired")
		if got := e.balance(t, u.Token, "IDR").Available; got != before {
			t.Errorf("available %d after an expired quote, want %d", got, before)
		}
		if got := e.balance(t, u.Token, "SGD").Available; got != 0 {
			t.Errorf("SGD available %d, want 0", got)
		}
		n := 0
		for _, f := range e.transactions(t, u.Token, "status=failed&kind=fx_conversion") {
			if f.FailureCode == "quote_expired" {
				n++
				if f.Amount != 10_000_00 || f.FailureReason == "" {
					t.Errorf("expired conversion recorded as %+v", f)
				}
			}
		}
		if n != 1 {
			t.Errorf("%d conversions recorded as quote_expired, want 1", n)
		}
	})

	t.Run("remittance", func(t *testing.T) {
		q := newQuote("SGD", 10_000_00, "remittance")
		recipient := map[string]any{"name": "Tan Wei Ming", "country": "SG", "bank_code": "DBSSSGSG", "account_number": "0123456789"}
		if q.RemittanceFee.Amount != q.Fee.Amount {
			t.Fatalf("a remittance quote's fee %d differs from its remittance_fee %d", q.Fee.Amount, q.RemittanceFee.Amount)
		}
		// A quote asked without a purpose (as API.md shows it) can be sent abroad too, and
		// costs the remittance fee it announced.
		conv := newQuote("SGD", 10_000_00, "")
		ctx := txOf(t, want(t, e.post(t, "/api/v1/remittances", u.Token, map[string]any{"quote_id": conv.ID, "recipient": recipient}), http.StatusCreated))
		if ctx.Fee.Amount != conv.RemittanceFee.Amount || conv.RemittanceFee.Amount == conv.Fee.Amount {
			t.Fatalf("remittance at a conversion quote: fee %d, quote announced %d (conversion fee %d)", ctx.Fee.Amount, conv.RemittanceFee.Amount, conv.Fee.Amount)
		}
		if done := e.waitTx(t, u.Token, ctx.ID); done.Status != "succeeded" {
			t.Fatalf("remittance at a conversion quote ended %+v", done)
		}
		before := e.balance(t, u.Token, "IDR").Available
		tx := txOf(t, want(t, e.post(t, "/api/v1/remittances", u.Token, map[string]any{"quote_id": q.ID, "recipient": recipient}), http.StatusCreated))
		if tx.Kind != "remittance" || tx.Status != "pending" || tx.Fee.Amount != q.Fee.Amount {
			t.Fatalf("remittance %+v", tx)
		}
		if done := e.waitTx(t, u.Token, tx.ID); done.Status != "succeeded" {
			t.Fatalf("remittance ended %+v", done)
		}
		if b := e.balance(t, u.Token, "IDR"); b.Available != before-10_000_00-q.Fee.Amount || b.Pending != 0 {
			t.Errorf("balance %+v, want available %d", b, before-10_000_00-q.Fee.Amount)
		}
		wantProblem(t, e.post(t, "/api/v1/remittances", u.Token, map[string]any{"quote_id": q.ID, "recipient": recipient}), 409, "invalid_state")

		// A remittance the bank abroad rejects gives back the amount and the fee.
		q2 := newQuote("SGD", 5_000_00, "remittance")
		before = e.balance(t, u.Token, "IDR").Available
		recipient["account_number"] = "0123450000"
		tx = txOf(t, want(t, e.post(t, "/api/v1/remittances", u.Token, map[string]any{"quote_id": q2.ID, "recipient": recipient}), http.StatusCreated))
		if b := e.balance(t, u.Token, "IDR"); b.Pending == 0 && e.getTx(t, u.Token, tx.ID).Status == "pending" {
			t.Errorf("a pending remittance holds nothing: %+v", b)
		}
		if done := e.waitTx(t, u.Token, tx.ID); done.Status != "failed" || done.FailureCode != "bank_rejected" {
			t.Fatalf("remittance to a rejecting bank ended %+v", done)
		}
		if b := e.balance(t, u.Token, "IDR"); b.Available != before || b.Pending != 0 {
			t.Errorf("balance %+v after a rejected remittance, want %d available", b, before)
		}
	})
}

func TestE2EFeeQuote(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	for _, tc := range []struct {
		query   string
		receive bool // the answer says what arrives
	}{
		{"kind=payment&amount=1000000&currency=IDR", false},
		{"kind=withdrawal&amount=1000000&currency=IDR", false},
		{"kind=transfer&amount=1000000&currency=IDR", false},
		{"kind=remittance&amount=1000000&currency=IDR&to_currency=SGD", true},
		{"kind=fx&amount=1000000&currency=IDR&to_currency=USD", true},
		{"kind=topup&amount=1000000&currency=IDR", true},
		{"kind=withdrawal&amount=1000&currency=USD", false},
		{"kind=payment&amount=1000000", false}, // the default currency
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := want(t, e.do(t, "GET", "/api/v1/fees/quote?"+tc.query, "", nil), http.StatusOK)
			var q struct {
				Fee *struct {
					Amount   int64
					Currency string
				} `json:"fee"`
				Total *struct {
					Amount   int64
					Currency string
				} `json:"total"`
				Receive *struct {
					Amount   int64
					Currency string
				} `json:"receive"`
				Breakdown []map[string]any `json:"breakdown"`
			}
			decodeJSON(t, r, &q)
			if q.Fee == nil || q.Total == nil || len(q.Breakdown) == 0 {
				t.Fatalf("%s: want fee, total and breakdown", r)
			}
			if q.Fee.Amount < 0 || q.Fee.Currency == "" || q.Total.Currency != q.Fee.Currency {
				t.Errorf("%s: fee %+v total %+v", r, *q.Fee, *q.Total)
			}
			if tc.receive != (q.Receive != nil) {
				t.Errorf("%s: receive present = %v, want %v", r, q.Receive != nil, tc.receive)
			}
			if strings.Contains(tc.query, "kind=withdrawal") && (q.Fee.Amount == 0 || q.Total.Amount <= q.Fee.Amount) {
				t.Errorf("%s: a withdrawal has a fee on top", r)
			}
		})
	}
	for _, tc := range []struct {
		query  string
		status int
		code   string
	}{
		{"kind=lottery&amount=100&currency=IDR", 400, "invalid_request"},
		{"amount=100&currency=IDR", 400, "invalid_request"},
		{"kind=payment&currency=IDR", 400, "invalid_request"},
		{"kind=payment&amount=abc&currency=IDR", 400, "invalid_request"},
		{"kind=payment&amount=-5&currency=IDR", 400, "invalid_request"},
		{"kind=fx&amount=100&currency=IDR", 400, "invalid_request"},
		{"kind=payment&amount=100&currency=XXX", 422, "currency_not_supported"},
	} {
		wantProblem(t, e.do(t, "GET", "/api/v1/fees/quote?"+tc.query, "", nil, invalidOnPurpose), tc.status, tc.code)
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// replayConcurrently sends the same POST with one Idempotency-Key from n goroutines at once.
func replayConcurrently(t *testing.T, e *e2eEnv, n int, path, token, key string, body any) []reply {
	t.Helper()
	out := make([]reply, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i], errs[i] = e.send("POST", path, token, body, hdr{"Idempotency-Key", key})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
	}
	return out
}

// sameAnswers checks that every reply has status and the same body (as JSON) as the first,
// and returns the first one's decoded object.
func sameAnswers(t *testing.T, rs []reply, status int) map[string]any {
	t.Helper()
	first := object(t, want(t, rs[0], status))
	for _, r := range rs[1:] {
		want(t, r, status)
		if got := object(t, r); !reflect.DeepEqual(got, first) {
			t.Fatalf("replayed answers differ:\nfirst  %s\nreplay %s", rs[0].body, r.body)
		}
	}
	return first
}

func TestE2EIdempotency(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Warung Idempoten", "")
	a := e.newUser(t, userOpts{})
	b := e.newUser(t, userOpts{})
	e.topUp(t, a, 100_000_00, "IDR")
	const n = 20

	t.Run("payment", func(t *testing.T) {
		key := e.key()
		body := map[string]any{"merchant_id": m.ID, "amount": 10_000_00, "currency": "IDR", "order_ref": "idem-1"}
		first := sameAnswers(t, replayConcurrently(t, e, n, "/api/v1/payments", a.Token, key, body), http.StatusCreated)
		if first["status"] != "succeeded" || first["kind"] != "payment" {
			t.Fatalf("payment: %v", first)
		}
		// A later replay answers the same again.
		sameAnswers(t, replayConcurrently(t, e, 1, "/api/v1/payments", a.Token, key, body), http.StatusCreated)
		if got := e.balance(t, a.Token, "IDR").Available; got != 90_000_00 {
			t.Errorf("payer available = %d, want %d (debited once)", got, 90_000_00)
		}
		pays := e.listAll(t, "/api/v1/merchant/payments", m.APIKey, "")
		if len(pays) != 1 || pays[0].ID != first["id"] {
			t.Fatalf("merchant payments = %+v, want the one payment %v", pays, first["id"])
		}
		if got, want := e.merchantBalance(t, m.APIKey, "IDR").Available, 10_000_00-pays[0].Fee.Amount; got != want {
			t.Errorf("merchant available = %d, want %d (amount less MDR, once)", got, want)
		}
		// Same key, different body.
		body2 := map[string]any{"merchant_id": m.ID, "amount": 10_000_01, "currency": "IDR", "order_ref": "idem-1"}
		wantProblem(t, e.do(t, "POST", "/api/v1/payments", a.Token, body2, hdr{"Idempotency-Key", key}), 409, "idempotency_conflict")
		// Another user's request under the same key is their own.
		e.topUp(t, b, 1_000_00, "IDR")
		rb := want(t, e.do(t, "POST", "/api/v1/payments", b.Token, map[string]any{"merchant_id": m.ID, "amount": 1_000_00, "currency": "IDR", "order_ref": "b"},
			hdr{"Idempotency-Key", key}), http.StatusCreated)
		if txOf(t, rb).ID == first["id"] {
			t.Fatal("another user's request under the same key was answered with the first user's transaction")
		}
	})

	t.Run("transfer", func(t *testing.T) {
		before := e.balance(t, b.Token, "IDR").Available
		key := e.key()
		body := map[string]any{"to": b.Phone, "amount": 5_000_00, "currency": "IDR", "note": "makan siang"}
		first := sameAnswers(t, replayConcurrently(t, e, n, "/api/v1/transfers", a.Token, key, body), http.StatusCreated)
		if first["kind"] != "transfer_out" || first["status"] != "succeeded" {
			t.Fatalf("transfer: %v", first)
		}
		if got := e.balance(t, a.Token, "IDR").Available; got != 85_000_00 {
			t.Errorf("sender available = %d, want %d", got, 85_000_00)
		}
		if got := e.balance(t, b.Token, "IDR").Available; got != before+5_000_00 {
			t.Errorf("recipient available = %d, want %d (credited once)", got, before+5_000_00)
		}
		if in := e.transactions(t, b.Token, "kind=transfer_in"); len(in) != 1 || in[0].Amount != 5_000_00 {
			t.Errorf("recipient transfer_in = %+v, want one of 500000", in)
		}
		body["note"] = "another note"
		wantProblem(t, e.do(t, "POST", "/api/v1/transfers", a.Token, body, hdr{"Idempotency-Key", key}), 409, "idempotency_conflict")
	})

	t.Run("refused attempt replays its refusal", func(t *testing.T) {
		key := e.key()
		body := map[string]any{"merchant_id": m.ID, "amount": 1_000_000_00, "currency": "IDR", "order_ref": "too-much"}
		rs := replayConcurrently(t, e, n, "/api/v1/payments", a.Token, key, body)
		for _, r := range rs {
			wantProblem(t, r, 422, "insufficient_balance")
		}
		failed := 0
		for _, tx := range e.transactions(t, a.Token, "status=failed") {
			if tx.Amount == 1_000_000_00 {
				failed++
			}
		}
		if failed != 1 {
			t.Errorf("%d failed attempts recorded for one key, want 1", failed)
		}
	})

	t.Run("key header", func(t *testing.T) {
		body := map[string]any{"merchant_id": m.ID, "amount": 100, "currency": "IDR", "order_ref": "k"}
		for _, path := range []string{"/api/v1/payments", "/api/v1/transfers", "/api/v1/withdrawals", "/api/v1/topups", "/api/v1/fx/conversions", "/api/v1/remittances"} {
			wantProblem(t, e.do(t, "POST", path, a.Token, body), 400, "idempotency_key_required")
		}
		wantProblem(t, e.do(t, "POST", "/api/v1/merchant/refunds", m.APIKey, map[string]any{"payment_id": "tx_x", "amount": 1}), 400, "idempotency_key_required")
		before := e.balance(t, a.Token, "IDR").Available
		wantProblem(t, e.do(t, "POST", "/api/v1/payments", a.Token, body, hdr{"Idempotency-Key", strings.Repeat("k", 256)}), 400, "invalid_request")
		want(t, e.do(t, "POST", "/api/v1/payments", a.Token, body, hdr{"Idempotency-Key", strings.Repeat("k", 255)}), http.StatusCreated)
		if got := e.balance(t, a.Token, "IDR").Available; got != before-100 {
			t.Errorf("available = %d, want %d: only the 255-character key pays", got, before-100)
		}
	})
}

func TestE2EInsufficientBalance(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Buku", "")
	for _, tc := range []struct {
		locale, acceptLanguage string
		chinese                bool
	}{
		{"zh-CN", "", true},
		{"zh-CN", "en", true}, // the user's setting wins over the header
		{"en", "zh-CN", false},
		{"en", "", false},
	} {
		t.Run(tc.locale+"/"+tc.acceptLanguage, func(t *testing.T) {
			u := e.newUser(t, userOpts{locale: tc.locale})
			e.topUp(t, u, 1_000_00, "IDR")
			var hs []hdr
			if tc.acceptLanguage != "" {
				hs = append(hs, hdr{"Accept-Language", tc.acceptLanguage})
			}
			r := e.post(t, "/api/v1/payments", u.Token, map[string]any{"merchant_id": m.ID, "amount": 5_000_00, "currency": "IDR", "order_ref": "buku"}, hs...)
			p := wantProblem(t, r, 422, "insufficient_balance")
			if title := p["title"].(string); hasHan(title) != tc.chinese {
				t.Errorf("title %q: Chinese = %v, want %v", title, hasHan(title), tc.chinese)
			}
			if got := e.balance(t, u.Token, "IDR").Available; got != 1_000_00 {
				t.Errorf("available = %d after a refused payment, want 100000", got)
			}
			r = want(t, e.do(t, "GET", "/api/v1/transactions?status=failed", u.Token, nil, hs...), http.StatusOK)
			var pg struct {
				Items []apiTx `json:"items"`
			}
			decodeJSON(t, r, &pg)
			if len(pg.Items) != 1 {
				t.Fatalf("failed transactions: %s", r.body)
			}
			tx := pg.Items[0]
			if tx.Kind != "payment" || tx.Status != "failed" || tx.FailureCode != "insufficient_balance" || tx.Amount != 5_000_00 {
				t.Errorf("failed payment = %+v", tx)
			}
			if tx.FailureReason == "" || hasHan(tx.FailureReason) != tc.chinese {
				t.Errorf("failure_reason %q, want Chinese = %v", tx.FailureReason, tc.chinese)
			}
			// The same reason on the transaction itself.
			if one := e.getTx(t, u.Token, tx.ID, hs...); one.FailureReason != tx.FailureReason {
				t.Errorf("GET transaction failure_reason %q, list %q", one.FailureReason, tx.FailureReason)
			}
			// Succeeded ones are not in the failed list.
			for _, s := range e.transactions(t, u.Token, "status=succeeded") {
				if s.Status != "succeeded" {
					t.Errorf("status=succeeded lists %+v", s)
				}
			}
		})
	}
	t.Run("Accept-Language without a user", func(t *testing.T) {
		r := e.do(t, "GET", "/api/v1/fees/quote?kind=nope&amount=100&currency=IDR", "", nil, hdr{"Accept-Language", "zh-CN"})
		if p := wantProblem(t, r, 400, "invalid_request"); !hasHan(p["title"].(string)) {
			t.Errorf("title %q is not Chinese", p["title"])
		}
	})
}

func TestE2ETierLimits(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Elektronik", "")
	u := e.newUser(t, userOpts{})
	const maxBasic = 200_000_000 // IDR 2,000,000 in minor units

	// A new wallet lists the default currency at zero, the tier and its limits.
	var sum struct {
		Balances []apiBalance              `json:"balances"`
		Tier     string                    `json:"tier"`
		Limits   map[string]map[string]any `json:"limits"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/wallet", u.Token, nil), http.StatusOK), &sum)
	if len(sum.Balances) != 1 || sum.Balances[0] != (apiBalance{Currency: "IDR"}) || sum.Tier != "basic" {
		t.Errorf("new wallet %+v", sum)
	}
	if mb, _ := sum.Limits["IDR"]["max_balance"].(float64); int64(mb) != maxBasic {
		t.Errorf("IDR limits %v, want max_balance %d", sum.Limits["IDR"], maxBasic)
	}

	e.topUp(t, u, maxBasic, "IDR") // exactly the ceiling
	r := e.post(t, "/api/v1/topups", u.Token, map[string]any{"amount": 1, "currency": "IDR", "source": map[string]any{"type": "bank_transfer", "reference": "BT-over"}})
	if p := wantProblem(t, r, 422, "limit_exceeded"); p["limit"] != "max_balance" {
		t.Errorf("limit = %v, want max_balance", p["limit"])
	}
	r = e.post(t, "/api/v1/payments", u.Token, map[string]any{"merchant_id": m.ID, "amount": maxBasic + 1, "currency": "IDR", "order_ref": "tv"})
	if p := wantProblem(t, r, 422, "limit_exceeded"); p["limit"] != "per_transaction" {
		t.Errorf("limit = %v, want per_transaction", p["limit"])
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != maxBasic {
		t.Errorf("available = %d, want %d", got, maxBasic)
	}
	failed := e.transactions(t, u.Token, "status=failed")
	kinds := map[string]string{}
	for _, tx := range failed {
		kinds[tx.Kind] = tx.FailureCode
		if tx.FailureReason == "" {
			t.Errorf("failed %s has no failure_reason", tx.Kind)
		}
	}
	if len(failed) != 2 || kinds["topup"] != "limit_exceeded" || kinds["payment"] != "limit_exceeded" {
		t.Errorf("failed transactions = %+v, want a top-up and a payment refused for limit_exceeded", failed)
	}

	// A basic recipient's ceiling refuses a transfer that would overfill it.
	rich := e.newUser(t, userOpts{verified: true})
	e.topUp(t, rich, 300_000_000, "IDR")
	r = e.post(t, "/api/v1/transfers", rich.Token, map[string]any{"to": u.Email, "amount": 1_000_00, "currency": "IDR"})
	wantProblem(t, r, 422, "limit_exceeded")
	if got := e.balance(t, rich.Token, "IDR").Available; got != 300_000_000 {
		t.Errorf("sender available = %d after a refused transfer, want 300000000", got)
	}
	if f := e.transactions(t, rich.Token, "status=failed&kind=transfer_out"); len(f) != 1 || f[0].FailureCode != "limit_exceeded" {
		t.Errorf("refused transfer not recorded: %+v", f)
	}

	// Verified, the same top-up goes through.
	e.verify(t, u)
	e.topUp(t, u, 1, "IDR")
	want(t, e.post(t, "/api/v1/transfers", rich.Token, map[string]any{"to": u.ID, "amount": 1_000_00, "currency": "IDR"}), http.StatusCreated) // by user id
	if got := e.balance(t, u.Token, "IDR").Available; got != maxBasic+1+1_000_00 {
		t.Errorf("available = %d, want %d", got, maxBasic+1+1_000_00)
	}
}

func TestE2EProviderOutage(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 10_000_00, "IDR")
	topup := func(ref string) map[string]any {
		return map[string]any{"amount": 5_000_00, "currency": "IDR", "source": map[string]any{"type": "card", "reference": ref}}
	}
	checkOutage := func(r reply) {
		t.Helper()
		p := wantProblem(t, r, 503, "provider_unavailable")
		ra, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || ra < 1 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
		if v, _ := p["retry_after"].(float64); int(v) != ra {
			t.Errorf("retry_after %v disagrees with Retry-After %d", p["retry_after"], ra)
		}
	}

	checkOutage(e.post(t, "/api/v1/topups", u.Token, topup("sandbox:outage")))
	if got := e.balance(t, u.Token, "IDR").Available; got != 10_000_00 {
		t.Fatalf("available = %d after an outage, want 1000000", got)
	}

	// The whole provider goes down; a retry under the same key after it comes back succeeds.
	e.app.Sandbox.SetDown(true)
	key := e.key()
	checkOutage(e.do(t, "POST", "/api/v1/topups", u.Token, topup("4111-ok"), hdr{"Idempotency-Key", key}))
	checkOutage(e.do(t, "POST", "/api/v1/topups", u.Token, topup("4111-ok"), hdr{"Idempotency-Key", key}))
	if got := e.balance(t, u.Token, "IDR").Available; got != 10_000_00 {
		t.Fatalf("available = %d during an outage, want 1000000", got)
	}
	e.verifyLedger(t)
	e.app.Sandbox.SetDown(false)
	tx := txOf(t, want(t, e.do(t, "POST", "/api/v1/topups", u.Token, topup("4111-ok"), hdr{"Idempotency-Key", key}), http.StatusCreated))
	again := txOf(t, want(t, e.do(t, "POST", "/api/v1/topups", u.Token, topup("4111-ok"), hdr{"Idempotency-Key", key}), http.StatusCreated))
	if again.ID != tx.ID {
		t.Errorf("replay after recovery gave %s, want %s", again.ID, tx.ID)
	}
	if got, want := e.balance(t, u.Token, "IDR").Available, 10_000_00+5_000_00-tx.Fee.Amount; got != want {
		t.Errorf("available = %d, want %d (credited once, less the card fee %d)", got, want, tx.Fee.Amount)
	}

	// A decline is final: the same key answers the decline again.
	key = e.key()
	for range 2 {
		wantProblem(t, e.do(t, "POST", "/api/v1/topups", u.Token, topup("sandbox:decline"), hdr{"Idempotency-Key", key}), 422, "provider_declined")
	}
	declined := e.transactions(t, u.Token, "status=failed&kind=topup")
	n := 0
	for _, d := range declined {
		if d.FailureCode == "provider_declined" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d declined top-ups recorded, want 1: %+v", n, declined)
	}
}

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
	e.topUp(t, u, 100_000_00, "IDR")
	type quote struct {
		ID      string                 `json:"id"`
		Rate    string                 `json:"rate"`
		Fee     struct{ Amount int64 } `json:"fee"`
		Receive struct {
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
		before := e.balance(t, u.Token, "IDR").Available
		recipient := map[string]any{"name": "Tan Wei Ming", "country": "SG", "bank_code": "DBSSSGSG", "account_number": "0123456789"}
		// A conversion quote is not a remittance quote.
		conv := newQuote("SGD", 10_000_00, "")
		wantProblem(t, e.post(t, "/api/v1/remittances", u.Token, map[string]any{"quote_id": conv.ID, "recipient": recipient}), 400, "invalid_request")
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
		wantProblem(t, e.do(t, "GET", "/api/v1/fees/quote?"+tc.query, "", nil), tc.status, tc.code)
	}
}

// holdStore blocks the first request of TestE2EDuplicateOutlivesCanceledFirst in the store:
// on SQLite by holding its one writer connection, on PostgreSQL by locking the transactions
// table. The returned function lets go.
func holdStore(t *testing.T, e *e2eEnv) func() {
	t.Helper()
	ctx := context.Background()
	if e.app.DB.Dialect == db.Postgres {
		tx, err := e.app.DB.W.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "LOCK TABLE wallet_transactions IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback() }
	}
	conn, err := e.app.DB.W.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return func() { _ = conn.Close() }
}

// TestE2EDuplicateOutlivesCanceledFirst: a duplicate that arrives while the first request is
// running waits for it (API.md); when the first one's client goes away before anything was
// decided, the duplicate must still get a real answer, not the first one's cancellation.
func TestE2EDuplicateOutlivesCanceledFirst(t *testing.T) {
	e := newE2E(t)
	m := e.newMerchant(t, "Warung Sabar", "")
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 10_000_00, "IDR")
	key := e.key()
	body := `{"merchant_id":"` + m.ID + `","amount":100000,"currency":"IDR","order_ref":"patience"}`

	release := holdStore(t, e)
	released := false
	defer func() {
		if !released {
			release()
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	go func() {
		defer close(first)
		req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/api/v1/payments", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+u.Token)
		req.Header.Set("Idempotency-Key", key)
		if resp, err := e.http.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(150 * time.Millisecond) // the first holds the key and waits for the store
	second := make(chan reply, 1)
	go func() {
		r, err := e.send("POST", "/api/v1/payments", u.Token, body, hdr{"Idempotency-Key", key})
		if err != nil {
			r = reply{status: -1, body: []byte(err.Error())}
		}
		second <- r
	}()
	time.Sleep(150 * time.Millisecond) // the duplicate waits for the first
	cancel()
	<-first
	time.Sleep(50 * time.Millisecond) // the server notices the first client left
	release()
	released = true

	r := <-second
	tx := txOf(t, want(t, r, http.StatusCreated))
	if tx.Status != "succeeded" {
		t.Errorf("payment %+v", tx)
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != 10_000_00-1_000_00 {
		t.Errorf("available %d, want %d (paid once)", got, 10_000_00-1_000_00)
	}
	again := txOf(t, want(t, e.do(t, "POST", "/api/v1/payments", u.Token, body, hdr{"Idempotency-Key", key}), http.StatusCreated))
	if again.ID != tx.ID {
		t.Errorf("a later replay answered %s, the duplicate %s", again.ID, tx.ID)
	}
}

func TestE2EPaymentPIN(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Apotek", "")
	u := e.newUser(t, userOpts{})
	other := e.newUser(t, userOpts{})
	e.topUp(t, u, 10_000_00, "IDR")
	want(t, e.do(t, "POST", "/api/v1/me/pin", u.Token, map[string]any{"pin": "482915", "password": e2ePassword}), http.StatusNoContent)
	pay := func(pin string, key string) reply {
		body := map[string]any{"merchant_id": m.ID, "amount": 1_000_00, "currency": "IDR", "order_ref": "obat"}
		if pin != "" {
			body["pin"] = pin
		}
		return e.do(t, "POST", "/api/v1/payments", u.Token, body, hdr{"Idempotency-Key", key})
	}

	key := e.key()
	wantProblem(t, pay("", key), 422, "invalid_pin")
	if p := wantProblem(t, pay("111111", key), 422, "invalid_pin"); p["attempts_remaining"] != float64(4) {
		t.Errorf("attempts_remaining %v after one wrong PIN, want 4", p["attempts_remaining"])
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != 10_000_00 {
		t.Fatalf("available %d after refused PINs, want 1000000", got)
	}
	// The same key with the right PIN goes through.
	tx := txOf(t, want(t, pay("482915", key), http.StatusCreated))
	if again := txOf(t, want(t, pay("482915", key), http.StatusCreated)); again.ID != tx.ID {
		t.Errorf("replay answered %s, want %s", again.ID, tx.ID)
	}
	wantProblem(t, e.post(t, "/api/v1/withdrawals", u.Token, map[string]any{"amount": 1_000_00, "currency": "IDR",
		"bank_account": map[string]any{"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti"}}), 422, "invalid_pin")
	want(t, e.post(t, "/api/v1/transfers", u.Token, map[string]any{"to": other.Phone, "amount": 1_000_00, "currency": "IDR", "pin": "482915"}), http.StatusCreated)
	want(t, e.post(t, "/api/v1/transfers", other.Token, map[string]any{"to": u.Phone, "amount": 1_000_00, "currency": "IDR"}), http.StatusCreated) // no PIN of their own

	// Ten wrong guesses at once get five looks: four invalid_pin, then pin_locked.
	var wg sync.WaitGroup
	rs := make([]reply, 10)
	for i := range rs {
		key := e.key()
		wg.Go(func() {
			rs[i], _ = e.send("POST", "/api/v1/payments", u.Token, map[string]any{"merchant_id": m.ID, "amount": 100, "currency": "IDR", "pin": fmt.Sprintf("9%05d", i)},
				hdr{"Idempotency-Key", key})
		})
	}
	wg.Wait()
	invalid, locked := 0, 0
	for _, r := range rs {
		switch codeOf(r) {
		case "invalid_pin":
			wantProblem(t, r, 422, "invalid_pin")
			invalid++
		case "pin_locked":
			wantProblem(t, r, 403, "pin_locked")
			locked++
		default:
			t.Errorf("a wrong PIN answered %s", r)
		}
	}
	if invalid != 4 || locked != 6 {
		t.Errorf("%d invalid_pin and %d pin_locked, want 4 and 6", invalid, locked)
	}
	wantProblem(t, pay("482915", e.key()), 403, "pin_locked")
	if got := e.balance(t, u.Token, "IDR").Available; got != 10_000_00-1_000_00 {
		t.Errorf("available %d, want %d (one payment; a transfer out and one back)", got, 10_000_00-1_000_00)
	}
	// Top-ups need no PIN.
	e.topUp(t, u, 1_000_00, "IDR")
}

// TestE2ETopUpsRaceTheCeiling: concurrent top-ups of a basic wallet never take it above its
// maximum balance; the refused ones are kept as failed.
func TestE2ETopUpsRaceTheCeiling(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	const maxBasic, part, n = 200_000_000, 50_000_000, 10
	var wg sync.WaitGroup
	rs := make([]reply, n)
	for i := range rs {
		key := e.key()
		wg.Go(func() {
			rs[i], _ = e.send("POST", "/api/v1/topups", u.Token, map[string]any{"amount": part, "currency": "IDR",
				"source": map[string]any{"type": "bank_transfer", "reference": "BT-race"}}, hdr{"Idempotency-Key", key})
		})
	}
	wg.Wait()
	ok := 0
	for _, r := range rs {
		if r.status == http.StatusCreated {
			ok++
			continue
		}
		wantProblem(t, r, 422, "limit_exceeded")
	}
	if ok != maxBasic/part {
		t.Errorf("%d of %d top-ups of %d went through, want %d", ok, n, part, maxBasic/part)
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != int64(ok*part) || got > maxBasic {
		t.Errorf("available %d, want %d", got, ok*part)
	}
	if failed := e.transactions(t, u.Token, "kind=topup&status=failed"); len(failed) != n-ok {
		t.Errorf("%d failed top-ups recorded, want %d", len(failed), n-ok)
	}
}

package httpapi

import (
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
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
			wantProblem(t, e.do(t, "POST", path, a.Token, body, invalidOnPurpose), 400, "idempotency_key_required")
		}
		wantProblem(t, e.do(t, "POST", "/api/v1/merchant/refunds", m.APIKey, map[string]any{"payment_id": "tx_x", "amount": 1}, invalidOnPurpose), 400, "idempotency_key_required")
		before := e.balance(t, a.Token, "IDR").Available
		wantProblem(t, e.do(t, "POST", "/api/v1/payments", a.Token, body, hdr{"Idempotency-Key", strings.Repeat("k", 256)}, invalidOnPurpose), 400, "invalid_request")
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
		{"zh-CN", "en", false}, // the header wins over the user's setting
		{"en", "zh-CN", true},
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
		r := e.do(t, "GET", "/api/v1/fees/quote?kind=nope&amount=100&currency=IDR", "", nil, hdr{"Accept-Language", "zh-CN"}, invalidOnPurpose)
		if p := wantProblem(t, r, 400, "invalid_request"); !hasHan(p["title"].(string)) {
			t.Errorf("title %q is not Chinese", p["title"])
		}
	})
}

// TestE2ELocaleRule: Accept-Language chooses the language of title, detail and field errors,
// even against the profile's locale; without it, the profile's. "No such user" keeps its
// meaning in Chinese.
func TestE2ELocaleRule(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	enUser := e.newUser(t, userOpts{locale: "en"})
	zhUser := e.newUser(t, userOpts{locale: "zh-CN"})
	bad := map[string]any{"merchant_id": "", "amount": -5, "currency": "IDR", "order_ref": "x"}
	for _, tc := range []struct {
		name, header string
		u            *e2eUser
		chinese      bool
	}{
		{"zh-CN header, en profile", "zh-CN", enUser, true},
		{"en header, zh-CN profile", "en", zhUser, false},
		{"no header, zh-CN profile", "", zhUser, true},
		{"no header, en profile", "", enUser, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hs []hdr
			if tc.header != "" {
				hs = append(hs, hdr{"Accept-Language", tc.header})
			}
			p := wantProblem(t, e.post(t, "/api/v1/payments", tc.u.Token, bad, hs...), 400, "invalid_request")
			errs, _ := p["errors"].([]any)
			if len(errs) != 2 {
				t.Fatalf("errors: %v", p)
			}
			texts := []string{p["title"].(string), p["detail"].(string)}
			for _, fe := range errs {
				texts = append(texts, fe.(map[string]any)["message"].(string))
			}
			for _, s := range texts {
				if hasHan(s) != tc.chinese {
					t.Errorf("%q: Chinese = %v, want %v (%v)", s, hasHan(s), tc.chinese, p)
				}
			}
			p = wantProblem(t, e.post(t, "/api/v1/transfers", tc.u.Token,
				map[string]any{"to": "+6289999999999", "amount": 100, "currency": "IDR"}, hs...), 404, "not_found")
			wantDetail := "no Dompet user has that phone, email or id"
			if tc.chinese {
				wantDetail = "没有 Dompet 用户使用该手机号、邮箱或 ID。"
			}
			if p["detail"] != wantDetail {
				t.Errorf("detail %q, want %q", p["detail"], wantDetail)
			}
		})
	}
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

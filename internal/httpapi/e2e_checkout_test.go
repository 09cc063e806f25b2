package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/merchant"
)

// apiCheckout is a checkout as the merchant reads it.
type apiCheckout struct {
	ID             string    `json:"id"`
	URL            string    `json:"url"`
	Status         string    `json:"status"`
	ExpiresAt      time.Time `json:"expires_at"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	OrderRef       string    `json:"order_ref"`
	PaymentID      string    `json:"payment_id"`
	FailedAttempts int       `json:"failed_attempts"`
	Merchant       struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"merchant"`
}

// apiCheckoutView is a checkout as a customer reads it.
type apiCheckoutView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Merchant struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"merchant"`
	Amount      int64 `json:"amount"`
	Fee         struct{ Amount int64 }
	Total       struct{ Amount int64 }
	PaymentID   string `json:"payment_id"`
	ReturnTo    string `json:"return_to"`
	LastFailure *struct {
		Code          string `json:"code"`
		TransactionID string `json:"transaction_id"`
	} `json:"last_failure"`
}

type apiCheckoutResult struct {
	Checkout apiCheckoutView `json:"checkout"`
	Payment  apiTx           `json:"payment"`
}

func (e *e2eEnv) createCheckout(t testing.TB, apiKey string, body map[string]any) apiCheckout {
	t.Helper()
	var c apiCheckout
	decodeJSON(t, want(t, e.post(t, "/api/v1/merchant/checkouts", apiKey, body), http.StatusCreated), &c)
	return c
}

func checkoutBody(amount int64, ref string) map[string]any {
	return map[string]any{"amount": amount, "currency": "IDR", "order_ref": ref, "return_url": "https://shop.example/orders/done?o=" + ref}
}

func (e *e2eEnv) checkoutView(t testing.TB, token, id string) apiCheckoutView {
	t.Helper()
	var v apiCheckoutView
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/checkouts/"+id, token, nil), http.StatusOK), &v)
	return v
}

func (e *e2eEnv) merchantCheckout(t testing.TB, apiKey, id string) apiCheckout {
	t.Helper()
	var c apiCheckout
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/merchant/checkouts/"+id, apiKey, nil), http.StatusOK), &c)
	return c
}

func (e *e2eEnv) payCheckout(t testing.TB, token, id string) reply {
	t.Helper()
	return e.do(t, "POST", "/api/v1/checkouts/"+id+"/pay", token, map[string]any{"pin": e2ePIN})
}

// The whole online payment: the merchant creates, 20 presses of confirm pay once and answer
// the same payment, a reload answers it again, the merchant reads it and gets the signed
// checkout.succeeded webhook, and nobody else sees the payment or pays again.
func TestE2ECheckoutPaysOnce(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	sink := newHookSink(t)
	m := e.newMerchant(t, "Toko Kopi", sink.srv.URL+"/hooks")
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 100_000_00, "IDR")

	key := e.key()
	body := checkoutBody(25_000_00, "INV-1")
	r := want(t, e.do(t, "POST", "/api/v1/merchant/checkouts", m.APIKey, body, hdr{"Idempotency-Key", key}), http.StatusCreated)
	var c apiCheckout
	decodeJSON(t, r, &c)
	if c.Status != "open" || c.Amount != 25_000_00 || c.Merchant.ID != m.ID || c.Merchant.Name != "Toko Kopi" ||
		c.URL != e.app.Config.PublicURL+"/checkout/"+c.ID || !c.ExpiresAt.After(time.Now().Add(29*time.Minute)) {
		t.Fatalf("created %+v", c)
	}
	// The merchant's retry answers the same checkout; another body under its key is a conflict.
	var again apiCheckout
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/merchant/checkouts", m.APIKey, body, hdr{"Idempotency-Key", key}), http.StatusCreated), &again)
	if again.ID != c.ID {
		t.Errorf("retry made checkout %s, first %s", again.ID, c.ID)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/merchant/checkouts", m.APIKey, checkoutBody(1_00, "INV-1"), hdr{"Idempotency-Key", key}), 409, "idempotency_conflict")

	v := e.checkoutView(t, u.Token, c.ID)
	if v.Status != "open" || v.Merchant.Name != "Toko Kopi" || v.Amount != 25_000_00 || v.Total.Amount != 25_000_00+v.Fee.Amount || v.ReturnTo != "" {
		t.Fatalf("customer view %+v", v)
	}
	before := e.balance(t, u.Token, "IDR").Available

	const n = 20
	var wg sync.WaitGroup
	ids := make([]string, n)
	errs := make([]string, n)
	for i := range n {
		wg.Go(func() {
			r, err := e.send("POST", "/api/v1/checkouts/"+c.ID+"/pay", u.Token, map[string]any{"pin": e2ePIN})
			if err != nil || r.status != http.StatusOK {
				errs[i] = r.String()
				return
			}
			var res apiCheckoutResult
			if err := json.Unmarshal(r.body, &res); err != nil {
				errs[i] = err.Error()
				return
			}
			ids[i] = res.Payment.ID
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != "" || ids[i] == "" || ids[i] != ids[0] {
			t.Fatalf("press %d: payment %q (first %q) %s", i, ids[i], ids[0], errs[i])
		}
	}
	paid := before - e.balance(t, u.Token, "IDR").Available
	if paid != 25_000_00+v.Fee.Amount {
		t.Errorf("20 presses took %d, want one payment of %d", paid, 25_000_00+v.Fee.Amount)
	}
	payments := 0
	for _, tx := range e.transactions(t, u.Token, "kind=payment") {
		payments++
		if tx.ID != ids[0] || tx.Status != "succeeded" {
			t.Errorf("history has payment %s %s, want only %s", tx.ID, tx.Status, ids[0])
		}
	}
	if payments != 1 {
		t.Errorf("history has %d payments", payments)
	}

	// A reload: the same payment, and the way back to the merchant.
	var res apiCheckoutResult
	decodeJSON(t, want(t, e.payCheckout(t, u.Token, c.ID), http.StatusOK), &res)
	if res.Payment.ID != ids[0] || res.Checkout.Status != "succeeded" || res.Checkout.PaymentID != ids[0] {
		t.Errorf("reload: %+v", res)
	}
	back, err := url.Parse(res.Checkout.ReturnTo)
	if err != nil || back.Host != "shop.example" || back.Query().Get("checkout_id") != c.ID ||
		back.Query().Get("status") != "succeeded" || back.Query().Get("o") != "INV-1" {
		t.Errorf("return_to %q", res.Checkout.ReturnTo)
	}

	mc := e.merchantCheckout(t, m.APIKey, c.ID)
	if mc.Status != "succeeded" || mc.PaymentID != ids[0] {
		t.Errorf("merchant reads %+v", mc)
	}
	// Another merchant does not find it.
	other := e.newMerchant(t, "Toko Lain", "")
	wantProblem(t, e.do(t, "GET", "/api/v1/merchant/checkouts/"+c.ID, other.APIKey, nil), 404, "not_found")

	// Another user sees it is over, but not the payment, and cannot pay or cancel it.
	u2 := e.newUser(t, userOpts{})
	e.topUp(t, u2, 100_000_00, "IDR")
	v2 := e.checkoutView(t, u2.Token, c.ID)
	if v2.Status != "succeeded" || v2.PaymentID != "" {
		t.Errorf("another user sees %+v", v2)
	}
	wantProblem(t, e.payCheckout(t, u2.Token, c.ID), 409, "invalid_state")
	wantProblem(t, e.do(t, "POST", "/api/v1/checkouts/"+c.ID+"/cancel", u2.Token, nil), 409, "invalid_state")
	if got := e.balance(t, u2.Token, "IDR").Available; got != 100_000_00 {
		t.Errorf("the other user's balance is %d", got)
	}

	// The merchant is told, signed, once for the payment and once for the checkout.
	hook := sink.wait(t, "checkout.succeeded", func(d map[string]any) bool { return d["checkout_id"] == c.ID })
	if err := merchant.Verify(m.WebhookSecret, hook.signature, hook.body, time.Now(), 5*time.Minute); err != nil {
		t.Errorf("checkout.succeeded signature: %v", err)
	}
	if hook.event != "checkout.succeeded" {
		t.Errorf("event header %q", hook.event)
	}
	var ev struct {
		Data map[string]any `json:"data"`
	}
	_ = json.Unmarshal(hook.body, &ev)
	if ev.Data["payment_id"] != ids[0] || ev.Data["order_ref"] != "INV-1" || ev.Data["status"] != "succeeded" {
		t.Errorf("checkout.succeeded %s", hook.body)
	}
	sink.wait(t, "payment.succeeded", func(d map[string]any) bool { return d["payment_id"] == ids[0] })
	sink.mu.Lock()
	count := 0
	for _, h := range sink.got {
		if h.event == "checkout.succeeded" {
			count++
		}
	}
	sink.mu.Unlock()
	if count != 1 {
		t.Errorf("%d checkout.succeeded webhooks", count)
	}
}

// Users racing for one checkout: exactly one pays it.
func TestE2ECheckoutRacingUsers(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Kopi", "")
	c := e.createCheckout(t, m.APIKey, checkoutBody(10_000_00, "INV-R"))
	const n = 5
	users := make([]*e2eUser, n)
	for i := range users {
		users[i] = e.newUser(t, userOpts{})
		e.topUp(t, users[i], 50_000_00, "IDR")
	}
	var wg sync.WaitGroup
	var won, refused atomic.Int32
	for _, u := range users {
		wg.Go(func() {
			r, err := e.send("POST", "/api/v1/checkouts/"+c.ID+"/pay", u.Token, map[string]any{"pin": e2ePIN})
			switch {
			case err != nil:
			case r.status == http.StatusOK:
				won.Add(1)
			case r.status == http.StatusConflict:
				refused.Add(1)
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 || refused.Load() != n-1 {
		t.Fatalf("%d paid, %d refused; want 1 and %d", won.Load(), refused.Load(), n-1)
	}
	var total int64
	for _, u := range users {
		total += 50_000_00 - e.balance(t, u.Token, "IDR").Available
	}
	mc := e.merchantCheckout(t, m.APIKey, c.ID)
	if mc.Status != "succeeded" || mc.PaymentID == "" || total != 10_000_00 { // no payer fee by default
		t.Errorf("checkout %+v, users paid %d in all", mc, total)
	}
}

// A refused payment leaves the checkout open with the reason shown to the payer alone; after a
// top-up the same customer pays. A wrong PIN is not an attempt.
func TestE2ECheckoutRefusedThenPaid(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Kopi", "")
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 1_000_00, "IDR")
	c := e.createCheckout(t, m.APIKey, checkoutBody(5_000_00, "INV-2"))

	wantProblem(t, e.do(t, "POST", "/api/v1/checkouts/"+c.ID+"/pay", u.Token, map[string]any{"pin": "000000"}), 422, "invalid_pin")
	if mc := e.merchantCheckout(t, m.APIKey, c.ID); mc.FailedAttempts != 0 || mc.Status != "open" {
		t.Errorf("after a wrong PIN: %+v", mc)
	}
	wantProblem(t, e.payCheckout(t, u.Token, c.ID), 422, "insufficient_balance")
	v := e.checkoutView(t, u.Token, c.ID)
	if v.Status != "open" || v.LastFailure == nil || v.LastFailure.Code != "insufficient_balance" {
		t.Fatalf("after a refusal: %+v", v)
	}
	failed := e.getTx(t, u.Token, v.LastFailure.TransactionID)
	if failed.Status != "failed" || failed.FailureCode != "insufficient_balance" {
		t.Errorf("the refused payment in the history: %+v", failed)
	}
	u2 := e.newUser(t, userOpts{})
	if v2 := e.checkoutView(t, u2.Token, c.ID); v2.LastFailure != nil {
		t.Errorf("another user sees the failure: %+v", v2)
	}
	if mc := e.merchantCheckout(t, m.APIKey, c.ID); mc.FailedAttempts != 1 || mc.Status != "open" {
		t.Errorf("merchant reads %+v", mc)
	}

	e.topUp(t, u, 10_000_00, "IDR")
	var res apiCheckoutResult
	decodeJSON(t, want(t, e.payCheckout(t, u.Token, c.ID), http.StatusOK), &res)
	if res.Payment.Status != "succeeded" || res.Checkout.Status != "succeeded" || res.Checkout.LastFailure != nil {
		t.Errorf("paid after the top-up: %+v", res)
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != 11_000_00-5_000_00 {
		t.Errorf("balance %d", got)
	}
}

// After MaxAttempts refusals the checkout fails, and the customer goes back with status=failed.
func TestE2ECheckoutFailsAfterAttempts(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Kopi", "")
	u := e.newUser(t, userOpts{})
	c := e.createCheckout(t, m.APIKey, checkoutBody(5_000_00, "INV-F"))
	for range 5 {
		wantProblem(t, e.payCheckout(t, u.Token, c.ID), 422, "insufficient_balance")
	}
	v := e.checkoutView(t, u.Token, c.ID)
	back, _ := url.Parse(v.ReturnTo)
	if v.Status != "failed" || back == nil || back.Query().Get("status") != "failed" {
		t.Errorf("after 5 refusals: %+v", v)
	}
	wantProblem(t, e.payCheckout(t, u.Token, c.ID), 409, "invalid_state")
	if mc := e.merchantCheckout(t, m.APIKey, c.ID); mc.Status != "failed" || mc.FailedAttempts != 5 {
		t.Errorf("merchant reads %+v", mc)
	}
}

// Past expires_at a checkout reads as expired and can be neither paid nor cancelled.
func TestE2ECheckoutExpiry(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	e := newE2E(t, func(o *app.Options) {
		o.CheckoutNow = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	m := e.newMerchant(t, "Toko Kopi", "")
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 10_000_00, "IDR")
	b := checkoutBody(1_000_00, "INV-E")
	b["expires_in"] = 60
	c := e.createCheckout(t, m.APIKey, b)
	offset.Store(int64(61 * time.Second))
	if v := e.checkoutView(t, u.Token, c.ID); v.Status != "expired" {
		t.Errorf("customer reads %+v", v)
	}
	p := wantProblem(t, e.payCheckout(t, u.Token, c.ID), 409, "invalid_state")
	if p["detail"] == "" {
		t.Errorf("no detail: %v", p)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/checkouts/"+c.ID+"/cancel", u.Token, nil), 409, "invalid_state")
	if mc := e.merchantCheckout(t, m.APIKey, c.ID); mc.Status != "expired" || mc.PaymentID != "" {
		t.Errorf("merchant reads %+v", mc)
	}
	if got := e.balance(t, u.Token, "IDR").Available; got != 10_000_00 {
		t.Errorf("balance %d after an expired checkout", got)
	}
}

// The customer gives up: cancelled, sent back with status=cancelled; it cannot be paid then.
func TestE2ECheckoutCancel(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Kopi", "")
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 10_000_00, "IDR")
	c := e.createCheckout(t, m.APIKey, checkoutBody(1_000_00, "INV-C"))
	var v apiCheckoutView
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/checkouts/"+c.ID+"/cancel", u.Token, nil), http.StatusOK), &v)
	back, _ := url.Parse(v.ReturnTo)
	if v.Status != "cancelled" || back == nil || back.Query().Get("status") != "cancelled" || back.Query().Get("checkout_id") != c.ID {
		t.Errorf("cancelled: %+v", v)
	}
	want(t, e.do(t, "POST", "/api/v1/checkouts/"+c.ID+"/cancel", u.Token, nil), http.StatusOK) // again: the same
	wantProblem(t, e.payCheckout(t, u.Token, c.ID), 409, "invalid_state")
	if mc := e.merchantCheckout(t, m.APIKey, c.ID); mc.Status != "cancelled" {
		t.Errorf("merchant reads %+v", mc)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/checkouts/chk_nope", u.Token, nil), 404, "not_found")
}

// return_url must be https (http only on a loopback host in sandbox mode, which the tests run).
func TestE2ECheckoutReturnURL(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Toko Kopi", "")
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"https://shop.example/done", true},
		{"https://shop.example:8443/done?a=1#top", true},
		{"http://localhost:3000/done", true}, // sandbox
		{"http://127.0.0.1/done", true},
		{"http://[::1]:8080/done", true},
		{"http://shop.example/done", false},
		{"ftp://shop.example/done", false},
		{"javascript:alert(1)", false},
		{"/relative/done", false},
		{"https://", false},
		{"https://bank.example@evil.example/", false},
		{"", false},
	} {
		b := checkoutBody(1_000_00, "INV-U")
		b["return_url"] = c.url
		r := e.post(t, "/api/v1/merchant/checkouts", m.APIKey, b, invalidOnPurpose)
		if c.ok {
			want(t, r, http.StatusCreated)
			continue
		}
		p := wantProblem(t, r, 400, "invalid_request")
		errs, _ := p["errors"].([]any)
		if len(errs) != 1 || errs[0].(map[string]any)["field"] != "return_url" {
			t.Errorf("%q: %v", c.url, p)
		}
	}
	b := checkoutBody(1_000_00, "INV-X")
	b["expires_in"] = 10
	wantProblem(t, e.post(t, "/api/v1/merchant/checkouts", m.APIKey, b, invalidOnPurpose), 400, "invalid_request")
}

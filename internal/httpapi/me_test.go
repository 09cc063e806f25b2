package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestChangePasswordOverHTTP(t *testing.T) {
	e := newAccEnv(t)
	u := e.newUser(t)
	second := e.login(t, u.Phone, accPassword)
	change := func(current, next string) accReply {
		return e.call(t, "POST", "/api/v1/me/password", u.Token, map[string]any{"current_password": current, "new_password": next})
	}
	if p := wantErr(t, change("Wrong-Current-9", "Teh-Tarik-77-Manis"), 401, "invalid_credentials"); p["attempts_remaining"] != float64(4) {
		t.Fatalf("wrong current password: %v", p)
	}
	wantErr(t, change(accPassword, accPassword), 422, "password_reused")
	wantErr(t, change(accPassword, "qwerty123"), 422, "weak_password")
	wantErr(t, e.call(t, "POST", "/api/v1/me/password", u.Token, `{"current_password":"x","new_password":"y","extra":1}`), 400, "invalid_request")
	wantStatus(t, change(accPassword, "Teh-Tarik-77-Manis"), http.StatusNoContent)

	wantStatus(t, e.call(t, "GET", "/api/v1/me", u.Token, nil), 200)                                   // this session is kept
	wantErr(t, e.call(t, "GET", "/api/v1/me", second, nil), 401, "unauthenticated")                    // the other is ended
	wantErr(t, e.loginReply(t, u.Email, accPassword), 401, "invalid_credentials")                      // the old password is gone
	e.login(t, u.Email, "Teh-Tarik-77-Manis")                                                          // the new one works
	wantErr(t, change("Teh-Tarik-77-Manis", accPassword), 422, "password_reused")                      // one of the last 5
	wantErr(t, e.call(t, "POST", "/api/v1/me/password", "", map[string]any{}), 401, "unauthenticated") // needs a session
}

func TestPasswordChangeDueOverHTTP(t *testing.T) {
	e := newAccEnv(t)
	u := e.newUser(t)
	me := wantStatus(t, e.call(t, "GET", "/api/v1/me", u.Token, nil), 200).json(t)
	for _, k := range []string{"id", "phone", "email", "display_name", "locale", "tier", "two_factor", "status"} {
		if _, ok := me[k]; !ok {
			t.Errorf("GET /me lacks %s: %v", k, me)
		}
	}
	if me["password_change_due"] != false {
		t.Fatalf("fresh password due: %v", me)
	}
	old := time.Now().Add(-181 * 24 * time.Hour).UnixMicro()
	if _, err := e.app.DB.Exec(context.Background(), "UPDATE users SET password_changed_at = ? WHERE id = ?", old, u.ID); err != nil {
		t.Fatal(err)
	}
	r := wantStatus(t, e.loginReply(t, u.Email, accPassword), 200).json(t)
	user, _ := r["user"].(map[string]any)
	if user["password_change_due"] != true || user["id"] != u.ID {
		t.Fatalf("login answer after 181 days: %v", r)
	}
	me = wantStatus(t, e.call(t, "GET", "/api/v1/me", r["token"].(string), nil), 200).json(t)
	if me["password_change_due"] != true {
		t.Fatalf("GET /me after 181 days: %v", me)
	}
}

// The payment PIN through HTTP: set it, pay without it, with a wrong one, with the right one
// under the same Idempotency-Key; lock it with 5 wrong ones, reset it with a code sent by SMS.
func TestPaymentPINOverHTTP(t *testing.T) {
	e := newAccEnv(t)
	ctx := context.Background()
	u := e.newUser(t)
	shop, err := e.app.Merchants.Create(ctx, "Warung Bu Sri", "")
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.call(t, "POST", "/api/v1/topups", u.Token,
		map[string]any{"amount": 1_000_000, "currency": "IDR", "source": map[string]any{"type": "bank_transfer", "reference": "BCA-1"}},
		"Idempotency-Key", "top-1"), http.StatusCreated)

	pin := func(body any) accReply { return e.call(t, "POST", "/api/v1/me/pin", u.Token, body) }
	if p := wantErr(t, pin(map[string]any{"pin": "123456", "password": accPassword}), 422, "weak_password"); p["reason"] != "weak_pin" {
		t.Fatalf("weak PIN: %v", p)
	}
	wantErr(t, pin(map[string]any{"pin": "12a456", "password": accPassword}), 400, "invalid_request")
	wantErr(t, pin(map[string]any{"pin": "302918", "password": "Wrong-Password-1"}), 401, "invalid_credentials")
	wantStatus(t, pin(map[string]any{"pin": "302918", "password": accPassword}), http.StatusNoContent)
	if me := wantStatus(t, e.call(t, "GET", "/api/v1/me", u.Token, nil), 200).json(t); fmt.Sprint(me["pin"]) != "map[locked:false set:true]" {
		t.Fatalf("pin state %v", me["pin"])
	}

	pay := func(key, pin string) accReply {
		body := map[string]any{"merchant_id": shop.ID, "amount": 10_000, "currency": "IDR", "order_ref": "INV-" + key}
		if pin != "" {
			body["pin"] = pin
		}
		return e.call(t, "POST", "/api/v1/payments", u.Token, body, "Idempotency-Key", key)
	}
	if p := wantErr(t, pay("pay-1", ""), 422, "invalid_pin"); p["reason"] != "pin_required" {
		t.Fatalf("no PIN: %v", p)
	}
	if p := wantErr(t, pay("pay-1", "583920"), 422, "invalid_pin"); p["attempts_remaining"] != float64(4) {
		t.Fatalf("wrong PIN: %v", p)
	}
	first := wantStatus(t, pay("pay-1", "302918"), http.StatusCreated).json(t)
	again := wantStatus(t, pay("pay-1", "302918"), http.StatusCreated).json(t)
	if first["id"] != again["id"] {
		t.Fatalf("replay made another payment: %v vs %v", first["id"], again["id"])
	}
	if bal := e.idrAvailable(t, u.Token); bal != 1_000_000-10_000 {
		t.Fatalf("balance %d after one payment, want %d", bal, 1_000_000-10_000)
	}

	for i := 1; i <= 4; i++ {
		wantErr(t, pay(fmt.Sprint("lock-", i), "583920"), 422, "invalid_pin")
	}
	wantErr(t, pay("lock-5", "583920"), 403, "pin_locked")
	wantErr(t, pay("lock-6", "302918"), 403, "pin_locked")
	wantErr(t, e.call(t, "POST", "/api/v1/transfers", u.Token, map[string]any{"to": "+6281399999999", "amount": 1000, "currency": "IDR", "pin": "302918"},
		"Idempotency-Key", "tr-1"), 403, "pin_locked")
	wantErr(t, pin(map[string]any{"pin": "583920", "password": accPassword}), 403, "pin_locked")
	if me := wantStatus(t, e.call(t, "GET", "/api/v1/me", u.Token, nil), 200).json(t); fmt.Sprint(me["pin"]) != "map[locked:true set:true]" {
		t.Fatalf("pin state %v", me["pin"])
	}

	wantStatus(t, e.call(t, "POST", "/api/v1/me/pin/reset", u.Token, nil), http.StatusAccepted)
	code := e.nextSMSCode(t, u.Phone)
	confirm := func(code, newPIN string) accReply {
		return e.call(t, "POST", "/api/v1/me/pin/reset/confirm", u.Token, map[string]any{"code": code, "new_pin": newPIN})
	}
	wantErr(t, confirm(code, "111111"), 422, "weak_password")
	wantErr(t, confirm(wrongOf(code), "583920"), 401, "invalid_code")
	wantStatus(t, confirm(code, "583920"), http.StatusNoContent)
	wantStatus(t, pay("lock-6", "583920"), http.StatusCreated) // the same key, now with the right PIN
	if bal := e.idrAvailable(t, u.Token); bal != 1_000_000-20_000 {
		t.Fatalf("balance %d, want %d", bal, 1_000_000-20_000)
	}
	list := wantStatus(t, e.call(t, "GET", "/api/v1/transactions?status=failed", u.Token, nil), 200).json(t)
	if items, _ := list["items"].([]any); len(items) != 0 {
		t.Fatalf("PIN refusals left failed transactions: %v", items)
	}
}

func (e *accEnv) idrAvailable(t testing.TB, token string) int64 {
	t.Helper()
	w := wantStatus(t, e.call(t, "GET", "/api/v1/wallet", token, nil), 200).json(t)
	for _, b := range w["balances"].([]any) {
		if m := b.(map[string]any); m["currency"] == "IDR" {
			return int64(m["available"].(float64))
		}
	}
	return 0
}

package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/wallet"
)

// TestE2EDuplicateOutlivesCanceledFirst: a duplicate that arrives while the first request is
// running waits for it (API.md); when the first one's client goes away before anything was
// decided, the duplicate must still get a real answer, not the first one's cancellation.
// The wallet's hooks order the race: the first holds the key until the server sees its
// client leave, and the duplicate is known to wait before that happens.
func TestE2EDuplicateOutlivesCanceledFirst(t *testing.T) {
	key := "k-patience"
	var runs atomic.Int32
	running := make(chan struct{}, 2)
	waiting := make(chan struct{}, 1)
	hooks := &wallet.Hooks{
		Run: func(ctx context.Context, k string) {
			if k != key {
				return
			}
			running <- struct{}{}
			if runs.Add(1) == 1 {
				<-ctx.Done() // the first holds the key until the server sees its client leave
			}
		},
		Wait: func(ctx context.Context, k string) {
			if k == key {
				waiting <- struct{}{}
			}
		},
	}
	e := newE2E(t, func(o *app.Options) { o.WalletHooks = hooks })
	m := e.newMerchant(t, "Warung Sabar", "")
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 10_000_00, "IDR")
	body := `{"merchant_id":"` + m.ID + `","amount":100000,"currency":"IDR","order_ref":"patience","pin":"` + e2ePIN + `"}`

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
	<-running // the first holds the key
	second := make(chan reply, 1)
	go func() {
		r, err := e.send("POST", "/api/v1/payments", u.Token, body, hdr{"Idempotency-Key", key})
		if err != nil {
			r = reply{status: -1, body: []byte(err.Error())}
		}
		second <- r
	}()
	<-waiting // the duplicate waits for the first
	cancel()
	<-first

	r := <-second
	tx := txOf(t, want(t, r, http.StatusCreated))
	if tx.Status != "succeeded" {
		t.Errorf("payment %+v", tx)
	}
	if n := runs.Load(); n != 2 {
		t.Errorf("the operation ran %d times, want 2: the cancelled first, then the duplicate on its own", n)
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
		body := map[string]any{"merchant_id": m.ID, "amount": 1_000_00, "currency": "IDR", "order_ref": "obat", "pin": pin}
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
		"bank_account": map[string]any{"bank_code": "BCA", "account_number": "1234567890", "holder_name": "Siti"}, "pin": ""}), 422, "invalid_pin")
	want(t, e.post(t, "/api/v1/transfers", u.Token, map[string]any{"to": other.Phone, "amount": 1_000_00, "currency": "IDR", "pin": "482915"}), http.StatusCreated)
	want(t, e.post(t, "/api/v1/transfers", other.Token, map[string]any{"to": u.Phone, "amount": 1_000_00, "currency": "IDR"}), http.StatusCreated) // their own PIN, e2ePIN, added by the fixture

	// Ten wrong guesses at once get five looks: four invalid_pin, then pin_locked.
	var wg sync.WaitGroup
	rs := make([]reply, 10)
	for i := range rs {
		key := e.key()
		wg.Go(func() {
			rs[i], _ = e.send("POST", "/api/v1/payments", u.Token, map[string]any{"merchant_id": m.ID, "amount": 100, "currency": "IDR", "order_ref": "obat", "pin": fmt.Sprintf("9%05d", i)},
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

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// merchantShop is a merchant's site on loopback (allowed as a return URL in sandbox mode):
// it records the customers sent back to /back.
type merchantShop struct {
	*httptest.Server
	mu    sync.Mutex
	backs []url.Values
}

func newMerchantShop(t *testing.T) *merchantShop {
	m := &merchantShop{}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/back" {
			http.NotFound(w, r)
			return
		}
		m.mu.Lock()
		m.backs = append(m.backs, r.URL.Query())
		m.mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>Shop</title><h1 id="shop-back">Back at the shop</h1>`)
	}))
	t.Cleanup(m.Close)
	return m
}

// createCheckout is what a merchant's server does: POST /api/v1/merchant/checkouts with its
// API key. It answers the checkout's id.
func createCheckout(t *testing.T, site *browserSite, apiKey string, amount int64, order, returnURL string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"amount": amount, "currency": "IDR", "order_ref": order, "return_url": returnURL})
	req, _ := http.NewRequest("POST", site.URL+"/api/v1/merchant/checkouts", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "shop-"+order)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct {
		ID, URL, Status string
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || res.StatusCode != 201 || c.Status != "open" || !strings.HasSuffix(c.URL, "/checkout/"+c.ID) {
		t.Fatalf("create checkout: %s %+v %v", res.Status, c, err)
	}
	return c.ID
}

// TestBrowserCheckout: a merchant creates a checkout; a demo customer opens its URL in
// Chromium, logs in, sees the merchant, the amount and the fee, types the PIN and presses
// confirm twice quickly; they land on the merchant's return URL with status=succeeded, the
// checkout page then shows it paid, the payment is the latest activity on /app, and the
// merchant got exactly one payment. In English and in Chinese.
func TestBrowserCheckout(t *testing.T) {
	site := newBrowserSite(t, nil)
	shop := site.Demo.Merchants[0]
	for _, tt := range []struct {
		lang, order          string
		who                  demoUser
		amountText, paidText string
	}{
		{"en", "WEB-EN-1", site.Demo.Users[0], "Amount", "Paid."},
		{"zh-CN", "WEB-ZH-1", site.Demo.Users[2], "金额", "已付款"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			back := newMerchantShop(t)
			id := createCheckout(t, site, shop.APIKey, 27_500_00, tt.order, back.URL+"/back?order="+tt.order)
			b := newBrowser(t, tt.lang)
			b.do(chromedp.Navigate(site.URL+"/checkout/"+id), // anonymous: the login page brings them back
				chromedp.SendKeys(chromedp.CSS(`#login`), tt.who.Email),
				chromedp.SendKeys(chromedp.CSS(`#password`), tt.who.Password),
				chromedp.Submit(chromedp.CSS(`#password`)),
				chromedp.WaitVisible(chromedp.CSS(`#pin`)))
			if loc := b.location(); !strings.HasSuffix(loc, "/checkout/"+id) {
				t.Errorf("after login: %s", loc)
			}
			if m, amount, fee, summary := b.text(`.merchant-name`), b.text(`dd.amount`), b.text(`dd.fee`), b.text(`.summary`); m != shop.Name ||
				amount != "IDR 27,500.00" || !strings.HasPrefix(fee, "IDR ") || !strings.Contains(summary, tt.amountText) {
				t.Errorf("checkout shows %q, %q, fee %q: %q", m, amount, fee, summary)
			}
			b.do(chromedp.SendKeys(chromedp.CSS(`#pin`), tt.who.PIN))
			b.screenshot("checkout-" + tt.lang)
			// Two presses in one go: the page's script lets the first through only (and the
			// server would pay once anyway).
			sent := value(b, chromedp.Evaluate[string](`(() => { const c = document.querySelector("#confirm"); c.click(); c.click();
				return document.querySelector("form.pay").getAttribute("data-sent") || ""; })()`))
			if sent != "1" {
				t.Errorf("form marked sent: %q", sent)
			}
			b.do(chromedp.WaitVisible(chromedp.CSS(`#shop-back`)))
			u, err := url.Parse(b.location())
			if q := u.Query(); err != nil || !strings.HasPrefix(u.String(), back.URL+"/back?") || q.Get("status") != "succeeded" || q.Get("checkout_id") != id || q.Get("order") != tt.order {
				t.Errorf("back at the shop: %s", u)
			}
			b.do(chromedp.Navigate(site.URL + "/checkout/" + id)) // a reload of the checkout
			paid := merchantPaymentsFor(t, site.App, shop.ID, tt.order)
			if len(paid) != 1 {
				t.Fatalf("the merchant got %d payments", len(paid))
			}
			if state, payment := b.text(`.state`), b.text(`.payment`); !strings.Contains(state, tt.paidText) || !strings.Contains(payment, paid[0].ID) {
				t.Errorf("the checkout after paying: %q %q", state, payment)
			}
			b.do(chromedp.Navigate(site.URL + "/app"))
			if latest := b.text(`.activity li`); !strings.Contains(latest, shop.Name) || !strings.Contains(latest, "27,500.00") {
				t.Errorf("latest activity: %q", latest)
			}
			back.mu.Lock()
			defer back.mu.Unlock()
			if len(back.backs) != 1 {
				t.Errorf("sent back %d times: %v", len(back.backs), back.backs)
			}
		})
	}
}

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

// TestBrowserCheckoutStory is issue 9's story in one browser: a new person registers, types
// in the code the SMS brought, sets a PIN, tops up, pays a merchant's checkout (landing back at
// the shop with status=succeeded) and sees the payment on /app; the merchant got it once. It
// needs the registration and top-up pages, and skips without them. In English and in
// Chinese, each a new person.
func TestBrowserCheckoutStory(t *testing.T) {
	site := newBrowserSite(t, nil)
	if res, err := http.Get(site.URL + "/register"); err != nil || res.StatusCode == http.StatusNotFound {
		t.Skip("no /register page in this build")
	} else {
		res.Body.Close()
	}
	for _, tt := range []struct{ lang, phone, email, name, order string }{
		{"en", "+6281355507788", "rina@example.com", "Rina Kartika", "STORY-1"},
		{"zh-CN", "+6281355508877", "zhang@example.com", "张伟", "STORY-2"},
	} {
		t.Run(tt.lang, func(t *testing.T) { checkoutStory(t, site, tt.lang, tt.phone, tt.email, tt.name, tt.order) })
	}
}

func checkoutStory(t *testing.T, site *browserSite, lang, phone, email, name, order string) {
	shop, back := site.Demo.Merchants[0], newMerchantShop(t)
	const password, pin = "Teh-manis-2026!", "740219"
	b := newBrowser(t, lang)
	b.do(chromedp.Navigate(site.URL+"/register"),
		chromedp.SendKeys(chromedp.CSS(`#display_name`), name),
		chromedp.SendKeys(chromedp.CSS(`#phone`), phone),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#code`)))
	b.do(chromedp.SendKeys(chromedp.CSS(`#code`), site.lastCode(t, phone)), chromedp.Submit(chromedp.CSS(`#code`)),
		chromedp.WaitVisible(chromedp.CSS(`#pin_again`)),
		chromedp.SendKeys(chromedp.CSS(`#pin`), pin), chromedp.SendKeys(chromedp.CSS(`#pin_again`), pin),
		chromedp.SendKeys(chromedp.CSS(`#password`), password), chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`.balances`)))
	b.do(chromedp.Navigate(site.URL+"/app/topup"),
		chromedp.SendKeys(chromedp.CSS(`#amount`), "100,000"),
		chromedp.SendKeys(chromedp.CSS(`#reference`), "BCA-2026-7788"),
		chromedp.Submit(chromedp.CSS(`#reference`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm-button`)),
		chromedp.Click(chromedp.CSS(`#confirm-button`)),
		chromedp.WaitVisible(chromedp.CSS(`#tx-status`)))

	id := createCheckout(t, site, shop.APIKey, 42_000_00, order, back.URL+"/back")
	b.do(chromedp.Navigate(site.URL+"/checkout/"+id), chromedp.WaitVisible(chromedp.CSS(`#pin`)))
	if m, amount, balance := b.text(`.merchant-name`), b.text(`dd.amount`), b.text(`dd.balance`); m != shop.Name || amount != "IDR 42,000.00" || balance != "IDR 100,000.00" {
		t.Errorf("checkout shows %q, %q, balance %q", m, amount, balance)
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`#pin`), pin), chromedp.Click(chromedp.CSS(`#confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`#shop-back`)))
	if u, err := url.Parse(b.location()); err != nil || u.Query().Get("status") != "succeeded" || u.Query().Get("checkout_id") != id {
		t.Errorf("back at the shop: %s", u)
	}
	b.do(chromedp.Navigate(site.URL + "/app"))
	if latest, balances := b.text(`.activity li`), b.text(`.balances`); !strings.Contains(latest, shop.Name) || !strings.Contains(latest, "42,000.00") || !strings.Contains(balances, "58,000.00") {
		t.Errorf("after paying: latest %q, balances %q", latest, balances)
	}
	b.screenshot("checkout-story-" + lang)
	if n := len(merchantPaymentsFor(t, site.App, shop.ID, order)); n != 1 {
		t.Errorf("the merchant got %d payments", n)
	}
}

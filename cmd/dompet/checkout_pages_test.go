package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/checkout"
	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db/dbtest"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/wallet"
)

// checkoutSite is the demo site (serve --demo wiring and data) with a checkout clock the test
// moves forward (later), for page tests without a browser.
type checkoutSite struct {
	*browserSite
	later atomic.Int64 // nanoseconds added to the checkout clock
}

func newCheckoutSite(t *testing.T) *checkoutSite {
	t.Helper()
	cfg := config.Default()
	cfg.Demo = true
	lots := config.Rate{N: 1_000_000, Per: time.Minute}
	cfg.RateRegisterPerIP, cfg.RateLoginPerIP, cfg.RateRecoveryPerIP, cfg.RateVerifyPerIP = lots, lots, lots, lots
	site := &checkoutSite{}
	ctx := context.Background()
	a, err := app.New(ctx, cfg, nil, app.Options{DB: dbtest.Open(t), Notify: notify.NewRecorder(nil, 64),
		Identity:    identity.Options{Argon2: identity.Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}},
		CheckoutNow: func() time.Time { return time.Now().Add(time.Duration(site.later.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	sum, err := seedDemo(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	api, err := handler(cfg, nil, a, &sum.Logins)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	site.browserSite = &browserSite{URL: srv.URL, App: a, Demo: sum}
	return site
}

// newCheckout is a checkout of merchant for amount IDR (minor units), back to returnURL.
func newCheckout(t *testing.T, a *app.App, merchantID string, amount int64, order, returnURL string) checkout.Checkout {
	t.Helper()
	c, err := a.Checkout.Create(context.Background(), merchantID, "key-"+order, "hash-"+order,
		checkout.CreateInput{Amount: amount, Currency: "IDR", OrderRef: order, ReturnURL: returnURL})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// merchantPaymentsFor counts the merchant's succeeded payments of order.
func merchantPaymentsFor(t *testing.T, a *app.App, merchantID, order string) []wallet.Transaction {
	t.Helper()
	p, err := a.Wallet.MerchantPayments(context.Background(), merchantID, wallet.Filter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []wallet.Transaction
	for _, tx := range p.Items {
		if tx.OrderRef == order && tx.Status == wallet.StatusSucceeded {
			out = append(out, tx)
		}
	}
	return out
}

// shopper is a browser without a browser: cookies kept, redirects not followed (a test sees
// where a form sends it).
type shopper struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newShopper(t *testing.T, base, lang string) *shopper {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(base)
	// A known device: a login from it is not asked for an SMS code.
	jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang, Path: "/"}, {Name: "dompet_device", Value: "checkout-test-device-01", Path: "/"}})
	return &shopper{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send answers the status, the page and where it redirects.
func (s *shopper) send(method, path string, form url.Values) (int, string, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Error(err) // Error, not Fatal: sent from several goroutines
		return 0, "", ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

// token is the browser's CSRF cookie, after a page has set it.
func (s *shopper) token() string {
	s.t.Helper()
	u, _ := url.Parse(s.base)
	for i := 0; i < 2; i++ {
		for _, c := range s.c.Jar.Cookies(u) {
			if c.Name == "dompet_csrf" {
				return c.Value
			}
		}
		s.send("GET", "/login", nil)
	}
	s.t.Fatal("no CSRF cookie")
	return ""
}

// post sends form with the CSRF token, unless form sets csrf itself.
func (s *shopper) post(path string, form url.Values) (int, string, string) {
	s.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", s.token())
	}
	return s.send("POST", path, form)
}

func (s *shopper) login(who demoUser) {
	s.t.Helper()
	if st, body, loc := s.post("/login", url.Values{"login": {who.Email}, "password": {who.Password}}); st != 303 {
		s.t.Fatalf("login: %d %s %s", st, loc, body)
	}
}

// TestCheckoutPageCSRF: the checkout page sends an anonymous customer to log in and back; a
// confirmation or a cancel without the CSRF token, or with a forged one, is refused and
// nothing is paid or cancelled.
func TestCheckoutPageCSRF(t *testing.T) {
	site := newCheckoutSite(t)
	alice, shop := site.Demo.Users[0], site.Demo.Merchants[0]
	c := newCheckout(t, site.App, shop.ID, 42_000_00, "CSRF-1", "http://127.0.0.1:9/back")
	s := newShopper(t, site.URL, "en")
	if st, _, loc := s.send("GET", "/checkout/"+c.ID, nil); st != 303 || loc != "/login?next=%2Fcheckout%2F"+c.ID {
		t.Fatalf("anonymous: %d → %q", st, loc)
	}
	if st, _, loc := s.post("/checkout/"+c.ID+"/pay", url.Values{"pin": {alice.PIN}}); st != 303 || !strings.HasPrefix(loc, "/login?next=%2Fcheckout%2F"+c.ID) {
		t.Fatalf("anonymous confirm: %d → %q", st, loc)
	}
	if st, body, loc := s.post("/login", url.Values{"login": {alice.Email}, "password": {alice.Password}, "next": {"/checkout/" + c.ID}}); st != 303 || loc != "/checkout/"+c.ID {
		t.Fatalf("login with next: %d → %q %s", st, loc, body)
	}
	st, body, _ := s.send("GET", "/checkout/"+c.ID, nil)
	for _, want := range []string{shop.Name, "IDR 42,000.00", `class="fee"`, `class="balance"`, `name="csrf"`, `id="pin"`} {
		if st != 200 || !strings.Contains(body, want) {
			t.Errorf("checkout page: %d, no %q", st, want)
		}
	}
	// Its forms end at the merchant (a 303 there): the page's CSP lets them, and only there.
	for path, want := range map[string]string{"/checkout/" + c.ID: "form-action 'self' http://127.0.0.1:9;", "/app": "form-action 'self';"} {
		req, _ := http.NewRequest("GET", site.URL+path, nil)
		res, err := s.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, want) || !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("%s: CSP %q, want %q", path, csp, want)
		}
	}
	forged := strings.Repeat("A", 43)
	for _, tt := range []struct {
		name, path string
		form       url.Values
	}{
		{"confirm without token", "/pay", url.Values{"pin": {alice.PIN}, "csrf": {""}}},
		{"confirm with a forged token", "/pay", url.Values{"pin": {alice.PIN}, "csrf": {forged}}},
		{"cancel without token", "/cancel", url.Values{"csrf": {""}}},
		{"cancel with a forged token", "/cancel", url.Values{"csrf": {forged}}},
	} {
		if st, body, _ := s.post("/checkout/"+c.ID+tt.path, tt.form); st != 403 || !strings.Contains(body, "This form has expired") {
			t.Errorf("%s: %d %.200s", tt.name, st, body)
		}
	}
	v, err := site.App.Checkout.Get(context.Background(), alice.ID, c.ID)
	if err != nil || v.Status != checkout.StatusOpen || v.LastFailure != nil {
		t.Fatalf("after forged posts: %+v %v", v, err)
	}
	if n := len(merchantPaymentsFor(t, site.App, shop.ID, "CSRF-1")); n != 0 {
		t.Fatalf("%d payments after forged posts", n)
	}
}

// TestCheckoutPagePaysOnce: two confirmations sent at once (a double press, two tabs) pay
// once and both send the customer back with status=succeeded; a reload of the page shows it
// paid with that payment, and a reload of the POST answers the same payment again.
func TestCheckoutPagePaysOnce(t *testing.T) {
	site := newCheckoutSite(t)
	alice, shop := site.Demo.Users[0], site.Demo.Merchants[0]
	c := newCheckout(t, site.App, shop.ID, 33_000_00, "ONCE-1", "http://127.0.0.1:9/back?order=ONCE-1")
	s := newShopper(t, site.URL, "en")
	s.login(alice)
	tok := s.token()
	var wg sync.WaitGroup
	locs := make([]string, 2)
	for i := range locs {
		wg.Go(func() {
			st, body, loc := s.send("POST", "/checkout/"+c.ID+"/pay", url.Values{"pin": {alice.PIN}, "csrf": {tok}})
			if st != 303 {
				t.Errorf("confirm %d: %d %.300s", i, st, body)
			}
			locs[i] = loc
		})
	}
	wg.Wait()
	for _, loc := range locs {
		u, err := url.Parse(loc)
		if err != nil || u.Host != "127.0.0.1:9" || u.Query().Get("status") != "succeeded" || u.Query().Get("checkout_id") != c.ID || u.Query().Get("order") != "ONCE-1" {
			t.Errorf("sent back to %q", loc)
		}
	}
	paid := merchantPaymentsFor(t, site.App, shop.ID, "ONCE-1")
	if len(paid) != 1 {
		t.Fatalf("%d payments for one checkout", len(paid))
	}
	st, body, _ := s.send("GET", "/checkout/"+c.ID, nil)
	if st != 200 || !strings.Contains(body, "Paid.") || !strings.Contains(body, paid[0].ID) || strings.Contains(body, `id="pin"`) || !strings.Contains(body, `id="back"`) {
		t.Errorf("reload after paying: %d %s", st, body)
	}
	if st, _, loc := s.post("/checkout/"+c.ID+"/pay", url.Values{"pin": {alice.PIN}}); st != 303 || loc != locs[0] {
		t.Errorf("the POST again: %d → %q", st, loc)
	}
	if n := len(merchantPaymentsFor(t, site.App, shop.ID, "ONCE-1")); n != 1 {
		t.Fatalf("%d payments after a reload", n)
	}
	// Another customer sees it paid, without the payment.
	b := newShopper(t, site.URL, "en")
	b.login(site.Demo.Users[1])
	if st, body, _ := b.send("GET", "/checkout/"+c.ID, nil); st != 200 || !strings.Contains(body, "Paid.") || strings.Contains(body, paid[0].ID) {
		t.Errorf("another customer: %d %s", st, body)
	}
}

// TestCheckoutPageRefusals: a wrong PIN says the tries left, too little money says so with a
// top-up that comes back to the checkout (and the reason stays on the page), cancel goes back
// with status=cancelled, an expired checkout says so, and a merchant name holding markup is
// shown as text.
func TestCheckoutPageRefusals(t *testing.T) {
	site := newCheckoutSite(t)
	budi, shop := site.Demo.Users[1], site.Demo.Merchants[0]
	s := newShopper(t, site.URL, "en")
	s.login(budi)

	c := newCheckout(t, site.App, shop.ID, 500_000_00, "BIG-1", "http://127.0.0.1:9/back")
	wrong := "000000"
	if wrong == budi.PIN {
		wrong = "111111"
	}
	st, body, _ := s.post("/checkout/"+c.ID+"/pay", url.Values{"pin": {wrong}})
	if st != 422 || !strings.Contains(body, "Wrong PIN") || !strings.Contains(body, "4 tries left") || !strings.Contains(body, `id="pin"`) {
		t.Errorf("wrong PIN: %d %s", st, body)
	}
	st, body, _ = s.post("/checkout/"+c.ID+"/pay", url.Values{"pin": {budi.PIN}})
	topup := `href="/app/topup?next=%2Fcheckout%2F` + c.ID + `"`
	if st != 422 || !strings.Contains(body, "Insufficient balance") || !strings.Contains(body, topup) || !strings.Contains(body, `id="pin"`) {
		t.Errorf("too little money: %d %s", st, body)
	}
	if st, body, _ := s.send("GET", "/checkout/"+c.ID, nil); st != 200 || !strings.Contains(body, "Your last try was refused") || !strings.Contains(body, topup) {
		t.Errorf("the page after a refusal: %d %s", st, body)
	}
	st, _, loc := s.post("/checkout/"+c.ID+"/cancel", url.Values{})
	if u, err := url.Parse(loc); st != 303 || err != nil || u.Query().Get("status") != "cancelled" || u.Query().Get("checkout_id") != c.ID {
		t.Errorf("cancel: %d → %q", st, loc)
	}
	if st, body, _ := s.send("GET", "/checkout/"+c.ID, nil); st != 200 || !strings.Contains(body, "was cancelled") || !strings.Contains(body, "status=cancelled") {
		t.Errorf("a cancelled checkout: %d %s", st, body)
	}
	if st, body, _ := s.post("/checkout/"+c.ID+"/pay", url.Values{"pin": {budi.PIN}}); st != 409 || !strings.Contains(body, "was cancelled") {
		t.Errorf("paying a cancelled checkout: %d %s", st, body)
	}

	m, err := site.App.Merchants.Create(context.Background(), `<script>alert("shop")</script> Toko`, "")
	if err != nil {
		t.Fatal(err)
	}
	x := newCheckout(t, site.App, m.ID, 10_000_00, "XSS-1", "http://127.0.0.1:9/back")
	st, body, _ = s.send("GET", "/checkout/"+x.ID, nil)
	if st != 200 || strings.Contains(body, `<script>alert`) || !strings.Contains(body, `&lt;script&gt;alert(&#34;shop&#34;)&lt;/script&gt; Toko`) {
		t.Errorf("a merchant name with markup: %d %s", st, body)
	}

	e := newCheckout(t, site.App, shop.ID, 10_000_00, "LATE-1", "http://127.0.0.1:9/back")
	site.later.Store(int64(time.Hour))
	for _, tt := range []struct{ lang, want string }{{"zh-CN", "该付款链接已过期"}, {"en", "This payment link has expired"}} {
		if st, body, _ := s.send("GET", "/checkout/"+e.ID+"?lang="+tt.lang, nil); st != 200 || !strings.Contains(body, tt.want) || !strings.Contains(body, "status=expired") || strings.Contains(body, `id="pin"`) {
			t.Errorf("expired (%s): %d %s", tt.lang, st, body)
		}
	}
	if st, body, _ := s.post("/checkout/"+e.ID+"/pay", url.Values{"pin": {budi.PIN}}); st != 409 || !strings.Contains(body, "This payment link has expired") {
		t.Errorf("paying an expired checkout: %d %s", st, body)
	}
	if n := len(merchantPaymentsFor(t, site.App, shop.ID, "LATE-1")); n != 0 {
		t.Errorf("%d payments of an expired checkout", n)
	}
	if st, _, _ := s.send("GET", "/checkout/chk_nope", nil); st != 404 {
		t.Errorf("unknown checkout: %d", st)
	}
}

package main

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/wallet"
)

// pageClient is a browser without a browser: a cookie jar, and redirects not followed so
// that a test sees where a form sends it.
type pageClient struct {
	t    testing.TB
	base string
	c    *http.Client
	ua   string // the User-Agent header, when set
}

func newPageClient(t testing.TB, base, lang string) *pageClient {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	p := &pageClient{t: t, base: base, c: c}
	u, _ := url.Parse(base)
	// One device for every client of a test: a login from a device seen before is not asked
	// for an SMS code.
	jar.SetCookies(u, []*http.Cookie{{Name: "lang", Value: lang, Path: "/"}, {Name: "dompet_device", Value: "pages-test-device-0001", Path: "/"}})
	return p
}

func (p *pageClient) do(req *http.Request) (int, string, string) {
	p.t.Helper()
	if p.ua != "" {
		req.Header.Set("User-Agent", p.ua)
	}
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header.Get("Location")
}

// get answers the status, the page and where it redirects.
func (p *pageClient) get(path string) (int, string, string) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.base+path, nil)
	return p.do(req)
}

// post sends form to path with the browser's CSRF token (set csrf "" in form to leave it out).
func (p *pageClient) post(path string, form url.Values) (int, string, string) {
	p.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", p.csrf())
	}
	req, _ := http.NewRequest("POST", p.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return p.do(req)
}

// csrf is the CSRF cookie (a page is loaded first to get one).
func (p *pageClient) csrf() string {
	u, _ := url.Parse(p.base)
	for _, c := range p.c.Jar.Cookies(u) {
		if c.Name == "dompet_csrf" {
			return c.Value
		}
	}
	p.get("/login")
	for _, c := range p.c.Jar.Cookies(u) {
		if c.Name == "dompet_csrf" {
			return c.Value
		}
	}
	p.t.Fatal("no CSRF cookie")
	return ""
}

func (p *pageClient) login(login, password string) {
	p.t.Helper()
	if st, body, loc := p.post("/login", url.Values{"login": {login}, "password": {password}}); st != 303 {
		p.t.Fatalf("login: %d %s %s", st, loc, body)
	}
}

// keyOf reads the idempotency key a confirmation page carries.
var keyField = regexp.MustCompile(`name="key" value="([^"]+)"`)

// TestPagesMoneyFormCSRFAndOnce: a money confirmation without the CSRF token, or with a
// forged one, is refused and moves nothing; the same confirmation sent twice (a double click,
// a reload) moves the money once and shows the same movement.
func TestPagesMoneyFormCSRFAndOnce(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	p := newPageClient(t, site.URL, "en")
	p.login(alice.Email, alice.Password)
	topups := func() int {
		page, err := site.App.Wallet.Transactions(context.Background(), alice.ID, wallet.Filter{Kind: "topup", Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Items)
	}
	before := topups()
	form := url.Values{"amount": {"75,000"}, "currency": {"IDR"}, "source": {"bank_transfer"}, "reference": {"REF-CSRF-1"}}
	st, body, _ := p.post("/app/topup", form)
	m := keyField.FindStringSubmatch(body)
	if st != 200 || m == nil || !strings.Contains(body, "IDR 75,000.00") {
		t.Fatalf("confirmation: %d %s", st, body)
	}
	form.Set("key", m[1])
	for _, forged := range []string{"", strings.Repeat("A", 43)} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set("csrf", forged)
		if st, body, _ := p.post("/app/topup/confirm", f); st != 403 || !strings.Contains(body, "This form has expired") {
			t.Errorf("csrf %q: %d", forged, st)
		}
	}
	if n := topups(); n != before {
		t.Fatalf("a refused form moved money: %d top-ups, were %d", n, before)
	}
	var where []string
	for range 2 {
		st, _, loc := p.post("/app/topup/confirm", form)
		if st != 303 || !strings.HasPrefix(loc, "/app/history/") {
			t.Fatalf("confirm: %d %s", st, loc)
		}
		where = append(where, loc)
	}
	if n := topups(); n != before+1 || where[0] != where[1] {
		t.Errorf("confirmed twice: %d top-ups (were %d), shown %v", n, before, where)
	}
	// Another form's confirmation carries another key: a second top-up is a second movement.
	_, body, _ = p.post("/app/topup", url.Values{"amount": {"75,000"}, "currency": {"IDR"}, "source": {"bank_transfer"}, "reference": {"REF-CSRF-1"}})
	if m2 := keyField.FindStringSubmatch(body); m2 == nil || m2[1] == m[1] {
		t.Errorf("a new confirmation reuses the key %q", m[1])
	}
}

// TestPagesDisplayNameEscaped: a display name with markup is shown as text.
func TestPagesDisplayNameEscaped(t *testing.T) {
	site := newPageSite(t)
	p := newPageClient(t, site.URL, "en")
	name := `<script>alert("x")</script><b>Eve</b>`
	st, body, loc := p.post("/register", url.Values{"display_name": {name}, "phone": {"+6281377700011"},
		"email": {"eve@example.com"}, "password": {"Kopi-susu-2026!"}})
	if st != 303 || loc != "/register/verify" {
		t.Fatalf("register: %d %s %s", st, loc, body)
	}
	_, home, _ := p.get("/app")
	if strings.Contains(home, "<script>alert") || strings.Contains(home, "<b>Eve") || !strings.Contains(home, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("the name is not escaped on /app: %s", home)
	}
}

// missingKey is how a page shows a message no catalogue has: "[area.key]".
var missingKey = regexp.MustCompile(`\[[a-z_]+(\.[a-z0-9_\-]+)+\]`)

// TestPagesWalletLanguages: every wallet page, its confirmations and refusals, in English and
// Chinese, has all its words (no "[key]" left) and renders.
func TestPagesWalletLanguages(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	txs, err := site.App.Wallet.Transactions(context.Background(), alice.ID, wallet.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "zh-CN"} {
		anon := newPageClient(t, site.URL, lang)
		for _, path := range []string{"/register", "/recover", "/recover?done=reset"} {
			check(t, anon, lang, "GET", path, nil)
		}
		check(t, anon, lang, "POST", "/recover", url.Values{"login": {alice.Email}})
		check(t, anon, lang, "POST", "/recover", url.Values{"step": {"code"}, "login": {alice.Email}, "code": {"000000"}})
		check(t, anon, lang, "POST", "/recover", url.Values{"step": {"password"}, "token": {"nope"}, "password": {"a"}, "password_again": {"a"}})
		check(t, anon, lang, "POST", "/register", url.Values{"phone": {"1"}, "email": {"x"}, "password": {"short"}})
		p := newPageClient(t, site.URL, lang)
		p.login(alice.Email, alice.Password)
		for _, path := range []string{"/app/history", "/app/history?status=failed&kind=payment", "/app/topup", "/app/pay", "/app/transfer", "/app/withdraw",
			"/app/fx", "/app/remit", "/app/refunds", "/app/refunds?done=requested", "/app/security", "/app/security?done=pin",
			"/app/notifications", "/app/notifications?done=settings", "/app"} {
			check(t, p, lang, "GET", path, nil)
		}
		kinds := map[string]bool{}
		for _, tx := range txs.Items {
			if !kinds[tx.Kind+tx.Status] {
				kinds[tx.Kind+tx.Status] = true
				check(t, p, lang, "GET", "/app/history/"+tx.ID, nil)
			}
		}
		quotes := map[string]url.Values{
			"topup":    {"amount": {"10000"}, "currency": {"IDR"}, "source": {"card"}, "reference": {"4111111111111111"}},
			"pay":      {"amount": {"10000"}, "currency": {"IDR"}, "merchant_id": {site.Demo.Merchants[0].ID}, "order_ref": {"A-1"}},
			"transfer": {"amount": {"10000"}, "currency": {"IDR"}, "to": {site.Demo.Users[1].Email}},
			"withdraw": {"amount": {"10000"}, "currency": {"IDR"}, "bank_code": {"CENAIDJA"}, "account_number": {"1234567890"}, "holder_name": {"Alice"}},
		}
		for kind, f := range quotes {
			check(t, p, lang, "POST", "/app/"+kind, f)
			bad := url.Values{"amount": {"12.345"}, "currency": {"IDR"}}
			check(t, p, lang, "POST", "/app/"+kind, bad)
		}
		check(t, p, lang, "POST", "/app/fx", url.Values{"amount": {"100,000"}, "from": {"IDR"}, "to": {"SGD"}})
		check(t, p, lang, "POST", "/app/remit", url.Values{"amount": {"100,000"}, "from": {"IDR"}, "to": {"SGD"},
			"recipient_name": {"Tan Wei"}, "country": {"SG"}, "bank_code": {"DBSSSGSG"}, "account_number": {"0012345678"}})
		check(t, p, lang, "POST", "/app/fx", url.Values{"amount": {"1"}, "from": {"IDR"}, "to": {"IDR"}})
		check(t, p, lang, "POST", "/app/fx/confirm", url.Values{"quote_id": {"quo_nope"}, "key": {"fx-" + lang}, "pin": {alice.PIN}})
		check(t, p, lang, "POST", "/app/notifications/read", url.Values{})
		check(t, p, lang, "POST", "/app/security/totp", url.Values{})
		check(t, p, lang, "POST", "/app/security/totp/confirm", url.Values{"code": {"000000"}})
		check(t, p, lang, "POST", "/app/security/password", url.Values{"current_password": {alice.Password}, "new_password": {"short"}, "new_password_again": {"short"}})
		check(t, p, lang, "POST", "/app/security/pin/reset-code", url.Values{})
		// A refusal: more than the balance, with the PIN right.
		f := quotes["pay"]
		big := url.Values{"amount": {"19,000,000"}, "currency": {"IDR"}, "merchant_id": f["merchant_id"], "order_ref": {"BIG-" + lang}, "key": {"lang-test-" + lang}, "pin": {alice.PIN}}
		body := check(t, p, lang, "POST", "/app/pay/confirm", big)
		if !strings.Contains(body, `id="next-step" href="/app/topup"`) {
			t.Errorf("%s: a refusal for the balance does not lead to a top-up: %s", lang, body)
		}
		wrongPIN := url.Values{"amount": {"1,000"}, "currency": {"IDR"}, "merchant_id": f["merchant_id"], "order_ref": {"PIN-" + lang}, "key": {"pin-test-" + lang}, "pin": {"000000"}}
		if body := check(t, p, lang, "POST", "/app/pay/confirm", wrongPIN); !strings.Contains(body, `value="pin-test-`+lang+`"`) {
			t.Errorf("%s: a wrong PIN does not show the same confirmation again", lang)
		}
	}
}

// check requests a page and fails the test on a server error or a missing message.
func check(t *testing.T, p *pageClient, lang, method, path string, form url.Values) string {
	t.Helper()
	var st int
	var body string
	if method == "GET" {
		st, body, _ = p.get(path)
	} else {
		st, body, _ = p.post(path, form)
	}
	if st >= 500 || (st == 404 && method == "GET") || st == 403 {
		t.Errorf("%s %s %s: %d", lang, method, path, st)
	}
	if m := missingKey.FindString(body); m != "" {
		t.Errorf("%s %s %s: missing message %s", lang, method, path, m)
	}
	if lang == "zh-CN" && st == 200 && !strings.Contains(body, `lang="zh-CN"`) {
		t.Errorf("%s %s: not in Chinese", method, path)
	}
	return body
}

// postMultipart sends a multipart form with one file field (name "evidence").
func (p *pageClient) postMultipart(path string, fields url.Values, filename string, content []byte) (int, string, string) {
	p.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", p.csrf())
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("evidence", filename)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", p.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return p.do(req)
}

// TestPagesRefundEvidenceTooLarge: evidence over 10 MB is refused on the form with a clear
// message, no request is filed, and what was typed stays on the form; a small photo then goes
// through with the request.
func TestPagesRefundEvidenceTooLarge(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	ctx := context.Background()
	pays, err := site.App.Wallet.Transactions(ctx, alice.ID, wallet.Filter{Kind: "payment", Status: "succeeded", Limit: 50})
	if err != nil || len(pays.Items) == 0 {
		t.Fatalf("no demo payment: %v", err)
	}
	open, err := site.App.Wallet.RefundRequests(ctx, alice.ID, wallet.Filter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var pay wallet.Transaction // one with no request open on it
	for _, p := range pays.Items {
		if !slices.ContainsFunc(open.Items, func(r wallet.RefundRequest) bool { return r.TransactionID == p.ID }) {
			pay = p
		}
	}
	if pay.ID == "" {
		t.Fatal("every demo payment has a refund request")
	}
	requests := func() int {
		rs, err := site.App.Wallet.RefundRequests(ctx, alice.ID, wallet.Filter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		return len(rs.Items)
	}
	before := requests()
	p := newPageClient(t, site.URL, "en")
	p.login(alice.Email, alice.Password)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	big := append(append([]byte{}, png...), make([]byte, wallet.MaxAttachment)...)
	fields := url.Values{"transaction_id": {pay.ID}, "amount": {"1,000"}, "reason": {"The cup arrived <b>broken</b>"}}
	st, body, _ := p.postMultipart("/app/refunds", fields, "cup.png", big)
	if st != http.StatusRequestEntityTooLarge || !strings.Contains(body, `id="too-large"`) {
		t.Errorf("oversize evidence: %d %s", st, body)
	}
	if !strings.Contains(body, "The cup arrived &lt;b&gt;broken&lt;/b&gt;</textarea>") || !strings.Contains(body, `value="1,000"`) ||
		!strings.Contains(body, `value="`+pay.ID+`" checked`) {
		t.Errorf("the form lost what was typed: %s", body)
	}
	if n := requests(); n != before {
		t.Fatalf("a refused form filed a request: %d, were %d", n, before)
	}
	st, body, loc := p.postMultipart("/app/refunds", fields, "cup.png", png)
	if st != 303 || loc != "/app/refunds?done=requested" {
		t.Fatalf("small evidence: %d %s %s", st, loc, body)
	}
	rs, _ := site.App.Wallet.RefundRequests(ctx, alice.ID, wallet.Filter{Limit: 200})
	if len(rs.Items) != before+1 || len(rs.Items[0].AttachmentIDs) != 1 {
		t.Errorf("after the request: %d requests (were %d), newest %+v", len(rs.Items), before, rs.Items[0])
	}
	if _, page, _ := p.get("/app/refunds?done=requested"); !strings.Contains(page, "Request sent") || !strings.Contains(page, "Waiting for the merchant") {
		t.Errorf("the list does not show the request in progress: %s", page)
	}
}

// TestPagesNotifications: marking one notification read lowers the unread count, and the
// settings table saves what is ticked (an unticked box turns the channel off).
func TestPagesNotifications(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	ctx := context.Background()
	list := func() inbox.NotificationPage {
		pg, err := site.App.Inbox.List(ctx, alice.ID, "en", inbox.Filter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		return pg
	}
	before := list()
	if before.Unread == 0 {
		t.Fatal("the demo left alice no unread notification")
	}
	p := newPageClient(t, site.URL, "en")
	p.login(alice.Email, alice.Password)
	_, page, _ := p.get("/app/notifications")
	if !strings.Contains(page, before.Items[0].Title) {
		t.Errorf("the newest notification is not listed: %s", page)
	}
	var unread string
	for _, n := range before.Items {
		if n.ReadAt == nil {
			unread = n.ID
		}
	}
	if st, _, _ := p.post("/app/notifications/read", url.Values{"id": {unread}}); st != 303 {
		t.Fatalf("mark read: %d", st)
	}
	if after := list(); after.Unread != before.Unread-1 {
		t.Errorf("unread %d, was %d", after.Unread, before.Unread)
	}
	form := url.Values{}
	for _, k := range inbox.Kinds {
		for _, c := range []string{"sms", "email", "in_app"} {
			if !(k == "topup_credited" && c == "sms") {
				form.Set(k+"."+c, "on")
			}
		}
	}
	if st, body, loc := p.post("/app/notifications/settings", form); st != 303 {
		t.Fatalf("settings: %d %s %s", st, loc, body)
	}
	set, err := site.App.Inbox.Settings(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if set.TopupCredited.SMS || !set.TopupCredited.Email || !set.PaymentMade.SMS || !set.Security.SMS {
		t.Errorf("settings saved as %+v", set)
	}
}

// TestTopUpComesBack: a top-up started from a page that waits for money (a checkout's "top
// up" link, ?next=) brings the person back there once the money is in; a next that is not
// one of this site's pages is dropped.
func TestTopUpComesBack(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	p := newPageClient(t, site.URL, "en")
	p.login(alice.Email, alice.Password)
	for next, want := range map[string]string{"/checkout/chk_waiting": "/checkout/chk_waiting", "//evil.example/x": "/app/history/"} {
		st, body, _ := p.get("/app/topup?next=" + url.QueryEscape(next))
		if carried := strings.Contains(body, `name="next"`); st != 200 || carried != (want == next) {
			t.Fatalf("form with next %q: %d, next carried %v", next, st, carried)
		}
		form := url.Values{"amount": {"10,000"}, "currency": {"IDR"}, "source": {"bank_transfer"}, "reference": {"REF-NEXT"}, "next": {next}}
		_, body, _ = p.post("/app/topup", form)
		m := keyField.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("confirmation: %s", body)
		}
		form.Set("key", m[1])
		if want != next {
			form.Del("next") // the confirmation did not carry it
		}
		st, _, loc := p.post("/app/topup/confirm", form)
		if st != 303 || !strings.HasPrefix(loc, want) {
			t.Errorf("after the top-up with next %q: %d → %s, want %s…", next, st, loc, want)
		}
	}
}

// TestPagesPayNamesTheMerchant: the pay confirmation shows the merchant's name with its id, an
// id nobody has is refused on the form with the API's words before any PIN is asked, and the
// history and the transaction's page name the merchant paid.
func TestPagesPayNamesTheMerchant(t *testing.T) {
	site := newPageSite(t)
	alice, shop := site.Demo.Users[0], site.Demo.Merchants[0]
	for _, tc := range []struct{ lang, notFound string }{{"en", "merchant not found"}, {"zh-CN", "找不到该商户。"}} {
		p := newPageClient(t, site.URL, tc.lang)
		p.login(alice.Email, alice.Password)
		ref := "NAME-" + tc.lang
		st, body, _ := p.post("/app/pay", url.Values{"amount": {"1,000"}, "currency": {"IDR"}, "merchant_id": {shop.ID}, "order_ref": {ref}})
		want := `<dd id="c-merchant"><strong>` + html.EscapeString(shop.Name) + `</strong> <small>(` + shop.ID + `)</small></dd>`
		if st != 200 || !strings.Contains(body, want) || !strings.Contains(body, `name="pin"`) {
			t.Fatalf("%s: confirmation %d without %s: %s", tc.lang, st, want, body)
		}
		key := keyField.FindStringSubmatch(body)
		// A wrong PIN shows the same confirmation, the name still there.
		f := url.Values{"amount": {"1,000"}, "currency": {"IDR"}, "merchant_id": {shop.ID}, "order_ref": {ref}, "key": {key[1]}, "pin": {"000000"}}
		if _, body, _ := p.post("/app/pay/confirm", f); !strings.Contains(body, want) {
			t.Errorf("%s: the confirmation after a wrong PIN lost the name: %s", tc.lang, body)
		}
		st, body, _ = p.post("/app/pay", url.Values{"amount": {"1,000"}, "currency": {"IDR"}, "merchant_id": {"mch_nobody"}, "order_ref": {ref}})
		if st != 404 || !strings.Contains(body, `<p class="field-error">`+tc.notFound+`</p>`) || strings.Contains(body, `name="pin"`) || strings.Contains(body, `id="c-merchant"`) {
			t.Errorf("%s: an unknown merchant: %d %s", tc.lang, st, body)
		}
		f.Set("pin", alice.PIN)
		st, _, loc := p.post("/app/pay/confirm", f)
		if st != 303 || !strings.HasPrefix(loc, "/app/history/") {
			t.Fatalf("%s: pay: %d %s", tc.lang, st, loc)
		}
		_, detail, _ := p.get(strings.Split(loc, "?")[0])
		if !strings.Contains(detail, `<dd id="tx-counterparty">`+html.EscapeString(shop.Name)+`</dd>`) {
			t.Errorf("%s: the payment's page does not name the merchant: %s", tc.lang, detail)
		}
		id := strings.TrimPrefix(strings.Split(loc, "?")[0], "/app/history/")
		_, hist, _ := p.get("/app/history?kind=payment")
		if i := strings.Index(hist, `id="tx-`+id+`"`); i < 0 || !strings.Contains(hist[i:min(len(hist), i+400)], html.EscapeString(shop.Name)) {
			t.Errorf("%s: the history does not name the merchant: %s", tc.lang, hist)
		}
		// The refund requests say which merchant each is with.
		rs, err := site.App.Wallet.RefundRequests(context.Background(), alice.ID, wallet.Filter{Limit: 50})
		if err != nil || len(rs.Items) == 0 {
			t.Fatalf("no demo refund request: %v", err)
		}
		names := map[string]string{}
		for _, m := range site.Demo.Merchants {
			names[m.ID] = m.Name
		}
		_, page, _ := p.get("/app/refunds")
		for _, rr := range rs.Items {
			i := strings.Index(page, `id="rr-`+rr.ID+`"`)
			if i < 0 || names[rr.MerchantID] == "" || !strings.Contains(page[i:min(len(page), i+300)], `<span class="merchant">`+html.EscapeString(names[rr.MerchantID])+`</span>`) {
				t.Errorf("%s: refund request %s does not name its merchant %q: %s", tc.lang, rr.ID, names[rr.MerchantID], page)
			}
		}
	}
}

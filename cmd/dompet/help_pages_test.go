package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/wallet"
)

// helpSite is `serve --demo` on a test server for the help-center page tests, with a daily
// outgoing limit on basic IDR accounts small enough (IDR 30,000) that a payment can pass it.
func helpSite(t *testing.T) *browserSite {
	t.Helper()
	return newDemoSiteConfig(t, func(cfg *config.Config) { cfg.LimitsFile = smallDailyLimit(t) })
}

// smallDailyLimit writes a limits file: basic IDR accounts may send IDR 30,000 a day (the demo spends 18,000).
func smallDailyLimit(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "limits.json")
	js := `{"basic":{"IDR":{"max_balance":200000000,"per_transaction":200000000,"daily_outgoing":3000000,"monthly_outgoing":2000000000,"monthly_incoming":2000000000}}}`
	if err := os.WriteFile(p, []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// helpClient is a browser without JavaScript: cookies, forms and the page language.
type helpClient struct {
	t    *testing.T
	base string
	c    *http.Client
	lang string
}

func newHelpClient(t *testing.T, base, lang string) *helpClient {
	jar, _ := cookiejar.New(nil)
	return &helpClient{t: t, base: base, lang: lang, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *helpClient) do(method, path string, form url.Values) (int, string, http.Header) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.base+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", p.lang)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (p *helpClient) get(path string) string {
	p.t.Helper()
	code, body, _ := p.do("GET", path, nil)
	if code != 200 {
		p.t.Fatalf("GET %s: %d %s", path, code, body)
	}
	return body
}

// csrf is the token of the forms of the page at path.
func (p *helpClient) csrf(path string) string {
	p.t.Helper()
	m := csrfField.FindStringSubmatch(p.get(path))
	if m == nil {
		p.t.Fatalf("no csrf field on %s", path)
	}
	return m[1]
}

func (p *helpClient) login(login, password string) {
	p.t.Helper()
	code, body, h := p.do("POST", "/login", url.Values{"csrf": {p.csrf("/login")}, "login": {login}, "password": {password}, "next": {"/app"}})
	if code != http.StatusSeeOther {
		p.t.Fatalf("login: %d %s %v", code, body, h)
	}
}

// TestHelpSearchPages: the search box finds Chinese by a part of the title and English with
// a typo, best first, in the page's language; a query nothing matches offers chat and contact.
func TestHelpSearchPages(t *testing.T) {
	site := helpSite(t)
	zh := newHelpClient(t, site.URL, "zh-CN")
	body := zh.get("/help?q=" + url.QueryEscape("锁定"))
	first := regexp.MustCompile(`<ol class="help-results">\s*<li><a href="/help/([a-z-]+)">([^<]+)</a>`).FindStringSubmatch(body)
	if first == nil || first[1] != "account-locked" || !strings.Contains(first[2], "账户被锁定") {
		t.Errorf("锁定: first result %q", first)
	}
	en := newHelpClient(t, site.URL, "en")
	body = en.get("/help?q=pasword")
	if !strings.Contains(body, `href="/help/forgot-password"`) {
		t.Errorf("pasword does not find the password article: %s", body)
	}
	body = en.get("/help?q=qwxzjk")
	if !strings.Contains(body, `href="/chat"`) || !strings.Contains(body, `href="/contact"`) || !strings.Contains(body, "Nothing matched") {
		t.Errorf("no result offers no way out: %s", body)
	}
	body = en.get("/help")
	for _, want := range []string{`href="/help/guide/payment_failed"`, `href="/help/account-locked"`, "Payments", `name="q"`} {
		if !strings.Contains(body, want) {
			t.Errorf("/help lacks %s", want)
		}
	}
}

// TestHelpArticleEscapedAndVoted: an article staff edited to hold a script shows it as text;
// "did this help?" needs the form's CSRF token and counts the vote once.
func TestHelpArticleEscapedAndVoted(t *testing.T) {
	site := helpSite(t)
	ctx := context.Background()
	hc := site.App.Help
	ed := helpcenter.Editor{ID: "stf_test", Role: "admin"}
	a, err := hc.Get(ctx, "account-locked", "en")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hc.SaveDraft(ctx, ed, "account-locked", "en", helpcenter.Draft{Category: a.Category, Title: `Locked <script>alert("t")</script>`,
		Tags: a.Tags, Body: "Hello <script>alert(\"b\")</script> <img src=x onerror=alert(1)>"}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := hc.Publish(ctx, ed, "account-locked", "en", "test"); err != nil {
		t.Fatal(err)
	}
	en := newHelpClient(t, site.URL, "en")
	body := en.get("/help/account-locked")
	if strings.Contains(body, "<script>") || strings.Contains(body, "<img") || !strings.Contains(body, "&lt;script&gt;alert(&#34;b&#34;)") ||
		!strings.Contains(body, "Locked &lt;script&gt;") {
		t.Errorf("article not escaped: %s", body)
	}
	if !strings.Contains(body, `href="/chat?article=account-locked"`) || !strings.Contains(body, `href="/help/account-locked?lang=zh-CN"`) {
		t.Errorf("article lacks the chat link or the language switch keeping the slug")
	}
	// Without the token: refused, nothing counted.
	code, _, _ := en.do("POST", "/help/account-locked/vote", url.Values{"helpful": {"yes"}})
	if code != http.StatusForbidden {
		t.Errorf("vote without csrf: %d", code)
	}
	code, _, _ = en.do("POST", "/help/account-locked/vote", url.Values{"helpful": {"yes"}, "csrf": {strings.Repeat("A", 43)}})
	if code != http.StatusForbidden {
		t.Errorf("vote with a forged csrf: %d", code)
	}
	if got, _ := hc.Get(ctx, "account-locked", "en"); got.Votes.Helpful != 0 {
		t.Fatalf("a refused vote counted: %+v", got.Votes)
	}
	tok := en.csrf("/help/account-locked")
	for range 2 { // the same visitor twice: one vote
		code, _, h := en.do("POST", "/help/account-locked/vote", url.Values{"helpful": {"yes"}, "csrf": {tok}})
		if code != http.StatusSeeOther || h.Get("Location") != "/help/account-locked?voted=1" {
			t.Fatalf("vote: %d %v", code, h)
		}
	}
	if got, _ := hc.Get(ctx, "account-locked", "en"); got.Votes.Helpful != 1 {
		t.Errorf("votes %+v, want one helpful", got.Votes)
	}
	if body := en.get("/help/account-locked?voted=1"); !strings.Contains(body, "Thank you for your feedback") || strings.Contains(body, `name="helpful"`) {
		t.Errorf("no thanks after voting")
	}
}

// failPayments makes two failed payments of user through the wallet: more than the balance
// (insufficient_balance) and, for Budi's basic account with the test's IDR 30,000 daily limit,
// past the daily limit (limit_exceeded).
func failPayments(t *testing.T, site *browserSite, u demoUser) (insufficient, limit wallet.Transaction) {
	t.Helper()
	ctx := context.Background()
	w := site.App.Wallet
	sum, err := w.Summary(ctx, u.party)
	if err != nil {
		t.Fatal(err)
	}
	var bal int64
	for _, b := range sum.Balances {
		if b.Currency == "IDR" {
			bal = b.Available
		}
	}
	pay := func(key string, amount int64) wallet.Transaction {
		_, err := w.Pay(ctx, wallet.Call{User: u.party, Key: key, Hash: key},
			wallet.PayInput{MerchantID: site.Demo.Merchants[0].ID, Amount: amount, Currency: "IDR", OrderRef: key, PIN: u.PIN})
		if err == nil {
			t.Fatalf("payment %s of %d went through", key, amount)
		}
		p, err := w.Transactions(ctx, u.ID, wallet.Filter{Status: wallet.StatusFailed, Limit: 1})
		if err != nil || len(p.Items) == 0 {
			t.Fatalf("no failed transaction: %v", err)
		}
		return p.Items[0]
	}
	insufficient = pay("help-test-too-much", bal+1_000_000_00)
	if bal < 20_000_00 {
		t.Fatalf("Budi has only %d", bal)
	}
	limit = pay("help-test-limit", 20_000_00)
	if insufficient.FailureCode != "insufficient_balance" || limit.FailureCode != "limit_exceeded" {
		t.Fatalf("failures %s, %s", insufficient.FailureCode, limit.FailureCode)
	}
	return insufficient, limit
}

// TestPaymentFailedGuide: the guide shows the user's own failed payments with their actual
// reason and the next step of each failure: top up, or the daily limit's reset and verifying.
func TestPaymentFailedGuide(t *testing.T) {
	site := helpSite(t)
	budi := site.Demo.Users[1]
	ins, lim := failPayments(t, site, budi)
	anon := newHelpClient(t, site.URL, "en")
	if body := anon.get("/help/guide/payment_failed"); !strings.Contains(body, "/login?next=%2Fhelp%2Fguide%2Fpayment_failed") || strings.Contains(body, ins.ID) {
		t.Errorf("anonymous guide: %s", body)
	}
	en := newHelpClient(t, site.URL, "en")
	en.login(budi.Email, budi.Password)
	body := en.get("/help/guide/payment_failed")
	ins.Localize("en")
	lim.Localize("en")
	block := func(id string) string {
		i := strings.Index(body, `id="tx-`+id+`"`)
		if i < 0 {
			t.Fatalf("transaction %s not shown: %s", id, body)
		}
		j := strings.Index(body[i:], "</li>")
		return body[i : i+j]
	}
	b := block(ins.ID)
	if !strings.Contains(b, "Your balance is too low") || !strings.Contains(b, `href="/app/topup"`) || !strings.Contains(b, `/chat?transaction_id=`+ins.ID) {
		t.Errorf("insufficient balance: %s", b)
	}
	b = block(lim.ID)
	if !strings.Contains(b, "your daily spending limit") || !strings.Contains(b, "resets at midnight WIB") || !strings.Contains(b, "verify your account") ||
		strings.Contains(b, `href="/app/topup"`) {
		t.Errorf("limit exceeded: %s", b)
	}
	// The language switch: the same guide in Chinese (a second login would be a new device).
	if body := en.get("/help/guide/payment_failed?lang=zh-CN"); !strings.Contains(body, "余额不足") || !strings.Contains(body, "每日限额在雅加达时间午夜重置") {
		t.Errorf("zh guide: %s", body)
	}
}

// TestSecurityCheckup: the check-up reflects two-factor going from off to on.
func TestSecurityCheckup(t *testing.T) {
	site := helpSite(t)
	ctx := context.Background()
	budi := site.Demo.Users[1]
	en := newHelpClient(t, site.URL, "en")
	en.login(budi.Email, budi.Password)
	check := func() string {
		body := en.get("/help/guide/security")
		i := strings.Index(body, `id="check-two_factor"`)
		if i < 0 {
			t.Fatalf("no two-factor line: %s", body)
		}
		return body[i-40 : i+strings.Index(body[i:], "</li>")]
	}
	if c := check(); !strings.Contains(c, "check-todo") || !strings.Contains(c, ": off") || !strings.Contains(c, `href="/app/security"`) {
		t.Errorf("two-factor off: %s", c)
	}
	enr, err := site.App.Identity.EnrollTOTP(ctx, budi.ID)
	if err != nil {
		t.Fatal(err)
	}
	code, err := totp.GenerateCode(enr.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Identity.ConfirmTOTP(ctx, budi.ID, code); err != nil {
		t.Fatal(err)
	}
	if c := check(); !strings.Contains(c, "check-ok") || !strings.Contains(c, ": on") {
		t.Errorf("two-factor on: %s", c)
	}
}

// TestFeesAndContactPages: the fee calculator answers without JavaScript; the contact page
// shows the channels, the wait, the phone, the email and its reply time, and takes a call-back
// request only with its token.
func TestFeesAndContactPages(t *testing.T) {
	site := helpSite(t)
	en := newHelpClient(t, site.URL, "en")
	body := en.get("/help/guide/fees?amount=100000&currency=IDR&kind=withdrawal")
	if !strings.Contains(body, `id="quote-fee">IDR 2,500.00`) || !strings.Contains(body, "Fee schedule") {
		t.Errorf("fee quote: %s", body)
	}
	if code, body, _ := en.do("GET", "/help/guide/fees?amount=-5&currency=IDR&kind=withdrawal", nil); code != 400 || !strings.Contains(body, `class="problem"`) {
		t.Errorf("bad amount: %d", code)
	}
	body = en.get("/contact")
	for _, want := range []string{"62 21 0000 0000", "sandbox number", "support@dompet.localhost", "We reply within 1 business hour.", `id="chat-wait"`, "Monday"} {
		if !strings.Contains(body, want) {
			t.Errorf("/contact lacks %q: %s", want, body)
		}
	}
	budi := site.Demo.Users[1]
	en.login(budi.Email, budi.Password)
	tok := en.csrf("/contact")
	if code, _, _ := en.do("POST", "/contact/callback", url.Values{"phone": {budi.Phone}}); code != http.StatusForbidden {
		t.Errorf("call-back without csrf: %d", code)
	}
	code, body, h := en.do("POST", "/contact/callback", url.Values{"phone": {budi.Phone}, "note": {"about my payment"}, "csrf": {tok}, "key": {"k1"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/contact?done=callback" {
		t.Fatalf("call-back: %d %s", code, body)
	}
	if body := en.get("/contact?done=callback"); !strings.Contains(body, "call-back request is in the queue") {
		t.Errorf("no confirmation")
	}
}

// TestHelpPagesHaveWords: every help page, anonymous and signed in, in both languages, renders
// with every message it names (a missing one shows as "[key]") and the guide of an unknown
// topic or a missing article is a 404 page.
func TestHelpPagesHaveWords(t *testing.T) {
	site := helpSite(t)
	alice := site.Demo.Users[0] // has a refund request in the demo
	anon := newHelpClient(t, site.URL, "en")
	user := newHelpClient(t, site.URL, "en")
	user.login(alice.Email, alice.Password)
	paths := []string{"/help", "/help?category=payments", "/help?q=refund", "/help/fees", "/contact",
		"/help/guide/fees?amount=500&currency=USD&kind=fx&to_currency=IDR"}
	for _, g := range []string{"payment_failed", "account_locked", "security", "refund", "fees"} {
		paths = append(paths, "/help/guide/"+g)
	}
	for _, c := range []*helpClient{anon, user} {
		for _, lang := range []string{"en", "zh-CN"} {
			for _, p := range paths {
				sep := "?"
				if strings.Contains(p, "?") {
					sep = "&"
				}
				body := c.get(p + sep + "lang=" + lang)
				if m := regexp.MustCompile(`\[(help|contact|tx)\.[a-z_.]+\]`).FindString(body); m != "" {
					t.Errorf("%s in %s: no words for %s", p, lang, m)
				}
			}
		}
	}
	if body := user.get("/help/guide/refund?lang=en"); !strings.Contains(body, "waiting for the merchant") && !strings.Contains(body, "refunded to your wallet") &&
		!strings.Contains(body, "approved") {
		t.Errorf("alice's refund request is not shown: %s", body)
	}
	for _, p := range []string{"/help/guide/nope", "/help/no-such-article"} {
		if code, _, _ := anon.do("GET", p, nil); code != 404 {
			t.Errorf("%s: %d", p, code)
		}
	}
}

// TestHelpPopularPages: /help lists popular articles in the editorial order until readers
// use the help center; articles read (and voted helpful) then come first, per language, and
// /contact offers the top ones before the channels.
func TestHelpPopularPages(t *testing.T) {
	site := helpSite(t)
	popular := regexp.MustCompile(`<ol class="help-list" id="popular-list">(.*?)</ol>`)
	slugs := func(body string) []string {
		m := popular.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no popular list: %s", body)
		}
		var out []string
		for _, h := range regexp.MustCompile(`href="/help/([a-z0-9-]+)"`).FindAllStringSubmatch(m[1], -1) {
			out = append(out, h[1])
		}
		return out
	}
	en, zh := newHelpClient(t, site.URL, "en"), newHelpClient(t, site.URL, "zh-CN")
	if got := slugs(en.get("/help")); strings.Join(got, " ") != strings.Join(helpcenter.Editorial, " ") {
		t.Fatalf("before any reading: %v, want the editorial order %v", got, helpcenter.Editorial)
	}
	for range 6 {
		en.get("/help/phishing")
	}
	en.get("/help/top-up")
	tok := en.csrf("/help/top-up") // a second view
	if code, _, _ := en.do("POST", "/help/top-up/vote", url.Values{"helpful": {"yes"}, "csrf": {tok}}); code != http.StatusSeeOther {
		t.Fatalf("vote: %d", code)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		c    *helpClient
		path string
		want []string
	}{
		// phishing: 6 views; top-up: 2 views and a helpful vote (5).
		{en, "/help", []string{"top-up", "phishing", helpcenter.Editorial[0]}},
		// Views count in their language only, votes in both.
		{zh, "/help", []string{"top-up", helpcenter.Editorial[0], helpcenter.Editorial[1]}},
	} {
		var got []string
		for deadline := time.Now().Add(5 * time.Second); ; {
			// The background flush may hold the counts a moment: flush and look again.
			if err := site.App.Help.FlushViews(ctx); err != nil {
				t.Fatal(err)
			}
			if got = slugs(tc.c.get(tc.path)); len(got) >= 3 && strings.Join(got[:3], " ") == strings.Join(tc.want, " ") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s %s: %v, want it to start with %v", tc.c.lang, tc.path, got, tc.want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	body := en.get("/contact")
	m := regexp.MustCompile(`<ul class="help-list" id="contact-popular">(.*?)</ul>`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, "Before you write") || strings.Count(m[1], "<li>") != 3 || !strings.Contains(m[1], `href="/help/top-up"`) {
		t.Errorf("/contact offers no popular articles: %s", body)
	}
}

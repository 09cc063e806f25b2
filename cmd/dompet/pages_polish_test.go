package main

import (
	"context"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/wallet"
)

// Real User-Agent strings of the browsers people use, and one nobody knows.
var (
	uaChromeAndroid = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36"
	uaSafariIOS     = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
	uaFirefox       = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
	uaUnknown       = "KopiBot/0.1 (+https://example.com)"
)

// TestPagesSecuritySessionsNamed: the security centre names each session's browser as people
// do, in the page's language, keeps the raw User-Agent in its details, and marks this device.
func TestPagesSecuritySessionsNamed(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	want := map[string][]string{
		"en":    {"Chrome on Android", "Safari on iPhone", "Firefox on Windows", "Unknown browser"},
		"zh-CN": {"Android 上的 Chrome", "iPhone 上的 Safari", "Windows 上的 Firefox", "未知浏览器"},
	}
	var me *pageClient
	for _, ua := range []string{uaChromeAndroid, uaSafariIOS, uaFirefox, uaUnknown} {
		p := newPageClient(t, site.URL, "en")
		p.ua = ua
		p.login(alice.Email, alice.Password)
		me = p // the last one looks
	}
	for lang, names := range want {
		_, body, _ := me.get("/app/security?lang=" + lang)
		i, j := strings.Index(body, `id="sessions"`), strings.Index(body, `id="events"`)
		if i < 0 || j < i {
			t.Fatalf("%s: no sessions section", lang)
		}
		sessions := html.UnescapeString(body[i:j])
		for _, n := range names {
			if !strings.Contains(sessions, ">"+n+"<") {
				t.Errorf("%s: no session named %q", lang, n)
			}
		}
		for _, ua := range []string{uaChromeAndroid, uaSafariIOS, uaFirefox, uaUnknown} {
			if !strings.Contains(sessions, "<code>"+ua+"</code>") {
				t.Errorf("%s: the raw User-Agent %q is not in the details", lang, ua)
			}
		}
		if strings.Contains(sessions, "<strong>Mozilla/5.0") {
			t.Errorf("%s: a raw User-Agent is the session's name", lang)
		}
		k := strings.Index(sessions, `id="this-session"`)
		if k < 0 {
			t.Fatalf("%s: no session is this device", lang)
		}
		mine := sessions[k : k+strings.Index(sessions[k:], "</li>")]
		if !strings.Contains(mine, names[3]) || !strings.Contains(mine, `class="badge"`) {
			t.Errorf("%s: this device is not the unknown browser that looks: %s", lang, mine)
		}
	}
}

// TestContactZoneNamed: the contact page says in which time zone its hours are as people
// know it, with the offset, in both languages; not by its IANA name.
func TestContactZoneNamed(t *testing.T) {
	site := newPageSite(t)
	for lang, want := range map[string]string{"en": "Times are in WIB, Western Indonesia Time (UTC+7).", "zh-CN": "以上时间均为西部印尼时间（UTC+7）。"} {
		p := newPageClient(t, site.URL, lang)
		_, body, _ := p.get("/contact")
		body = html.UnescapeString(body)
		if !strings.Contains(body, `id="hours-zone">`+want+`<`) || strings.Contains(body, "Asia/Jakarta") {
			t.Errorf("%s: the hours' zone is not %q: %s", lang, want, body)
		}
	}
}

// hiddenField reads a form's hidden inputs.
var hiddenField = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)

// rateShown is a rate as wallets print it: one unit of the dearer currency in the other,
// digits grouped ("1 SGD = 12,126.87 IDR"), and the exact rate kept in the element's data.
var rateShown = regexp.MustCompile(`<data value="(0\.0[0-9]+)">1 SGD = [0-9]{1,3}(,[0-9]{3})+\.[0-9]{2} IDR</data>`)

// TestPagesRatesReadable: an IDR→SGD quote, its confirmation, the movement's detail and the
// fee calculator show the rate as "1 SGD = n IDR" with n ≥ 1 and grouped, the exact rate in the
// data; the quote's expiry says its zone; in both languages.
func TestPagesRatesReadable(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	expiry := map[string]*regexp.Regexp{
		"en":    regexp.MustCompile(`hold until [0-9]{2}:[0-9]{2} WIB \(UTC\+7\)\.`),
		"zh-CN": regexp.MustCompile(`在西部印尼时间（UTC\+7）[0-9]{2}:[0-9]{2}之前有效`),
	}
	for _, lang := range []string{"en", "zh-CN"} {
		p := newPageClient(t, site.URL, lang)
		p.login(alice.Email, alice.Password)
		_, body, _ := p.post("/app/fx", url.Values{"amount": {"100,000"}, "from": {"IDR"}, "to": {"SGD"}})
		body = html.UnescapeString(body)
		if !strings.Contains(body, `id="c-rate"`) || !rateShown.MatchString(body) {
			t.Fatalf("%s: the confirmation's rate is not readable: %s", lang, body)
		}
		if !expiry[lang].MatchString(body) {
			t.Errorf("%s: the expiry does not say its zone: %s", lang, body)
		}
		form := url.Values{"pin": {alice.PIN}}
		for _, m := range hiddenField.FindAllStringSubmatch(body, -1) {
			form.Set(m[1], m[2])
		}
		if !strings.HasPrefix(form.Get("rate"), "0.0") {
			t.Errorf("%s: the exact rate is not in the form: %q", lang, form.Get("rate"))
		}
		st, _, loc := p.post("/app/fx/confirm", form)
		if st != 303 {
			t.Fatalf("%s: confirm: %d", lang, st)
		}
		_, body, _ = p.get(loc)
		if body = html.UnescapeString(body); !strings.Contains(body, `id="tx-rate"`) || !rateShown.MatchString(body) {
			t.Errorf("%s: the movement's rate is not readable: %s", lang, body)
		}
		_, body, _ = p.get("/help/guide/fees?amount=100000&currency=IDR&kind=fx&to_currency=SGD")
		if body = html.UnescapeString(body); !strings.Contains(body, `id="quote-rate"`) || !rateShown.MatchString(body) {
			t.Errorf("%s: the fee calculator's rate is not readable: %s", lang, body)
		}
	}
}

// paymentChoice is one payment of the refund form, as a radio button with its words.
var paymentChoice = regexp.MustCompile(`(?s)<label class="choice payment"><input type="radio" name="transaction_id" value="([^"]+)"[^>]*>(.*?)</label>`)

// TestPagesRefundPaymentsFit: the refund form lists the refundable payments as radio buttons
// (a drop-down cut the amount off at 360 px), each with the merchant, the amount and the day
// (nothing else), the first chosen, in both languages.
func TestPagesRefundPaymentsFit(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	pays, err := site.App.Wallet.Transactions(context.Background(), alice.ID, wallet.Filter{Kind: wallet.KindPayment, Status: wallet.StatusSucceeded, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]wallet.Transaction{}
	for _, p := range pays.Items {
		if p.Amount > p.Refunded {
			want[p.ID] = p
		}
	}
	if len(want) == 0 {
		t.Fatal("the demo has no refundable payment")
	}
	jakarta, _ := time.LoadLocation("Asia/Jakarta")
	for _, lang := range []string{"en", "zh-CN"} {
		p := newPageClient(t, site.URL, lang)
		p.login(alice.Email, alice.Password)
		_, body, _ := p.get("/app/refunds")
		if strings.Contains(body, `<select id="transaction_id"`) {
			t.Errorf("%s: the payments are still a drop-down", lang)
		}
		got := paymentChoice.FindAllStringSubmatch(body, -1)
		if len(got) != len(want) {
			t.Fatalf("%s: %d payments to choose, want %d: %s", lang, len(got), len(want), body)
		}
		if !strings.Contains(got[0][0], " checked") {
			t.Errorf("%s: the first payment is not chosen", lang)
		}
		for _, m := range got {
			tx, ok := want[m[1]]
			if !ok {
				t.Errorf("%s: %s is not a refundable payment", lang, m[1])
				continue
			}
			day := tx.CreatedAt.In(jakarta).Format("2 Jan 2006")
			if lang == "zh-CN" {
				d := tx.CreatedAt.In(jakarta)
				day = fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day())
			}
			text := strings.Join(strings.Fields(html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[2], " "))), " ")
			if wantText := tx.Counterparty.Name + " " + money.New(tx.Amount, tx.Currency).String() + " " + day; text != wantText {
				t.Errorf("%s: payment %s reads %q, want %q", lang, tx.ID, text, wantText)
			}
		}
	}
}

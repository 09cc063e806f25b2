package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// sixDigits finds a one-time code in a message.
var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// lastCode is the code of the newest message sent to to (a phone or an email), once the
// messages handed to the background sender have reached the demo recorder.
func (site *browserSite) lastCode(t *testing.T, to string) string {
	t.Helper()
	if err := site.App.Identity.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, m := range site.App.Recorder.Recent() {
		if m.Message.To == to {
			if c := sixDigits.FindString(m.Message.Text); c != "" {
				return c
			}
		}
	}
	t.Fatalf("no code sent to %s", to)
	return ""
}

// TestBrowserRegisterTopUp: a new person signs up on the page, types in the code the SMS
// brought, chooses a PIN, tops up with the fee shown before confirming, and sees the balance
// and the top-up in the history. In English and in Chinese, each a person of its own.
func TestBrowserRegisterTopUp(t *testing.T) {
	site := newBrowserSite(t, nil)
	for _, tt := range []struct{ lang, phone, email, name string }{
		{"en", "+6281355501234", "dewi@example.com", "Dewi Lestari"},
		{"zh-CN", "+6281355504321", "wang@example.com", "王芳"},
	} {
		t.Run(tt.lang, func(t *testing.T) { registerTopUp(t, site, tt.lang, tt.phone, tt.email, tt.name) })
	}
}

func registerTopUp(t *testing.T, site *browserSite, lang, phone, email, name string) {
	b := newBrowser(t, lang)
	const password = "Kopi-susu-2026!"
	b.do(chromedp.Navigate(site.URL+"/register"),
		chromedp.SendKeys(chromedp.CSS(`#display_name`), name),
		chromedp.SendKeys(chromedp.CSS(`#phone`), phone),
		chromedp.SendKeys(chromedp.CSS(`#email`), email),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`#verify`)))
	b.do(chromedp.SendKeys(chromedp.CSS(`#code`), site.lastCode(t, phone)), chromedp.Submit(chromedp.CSS(`#code`)),
		chromedp.WaitVisible(chromedp.CSS(`#setpin`)),
		chromedp.SendKeys(chromedp.CSS(`#pin`), "583920"), chromedp.SendKeys(chromedp.CSS(`#pin_again`), "583920"),
		chromedp.SendKeys(chromedp.CSS(`#password`), password), chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`.balances`)))
	if before := b.text(`.balances`); !strings.Contains(before, "IDR 0.00") {
		t.Errorf("a new wallet holds %q", before)
	}
	b.do(chromedp.Navigate(site.URL+"/app/topup"),
		chromedp.SendKeys(chromedp.CSS(`#amount`), "150,000"),
		chromedp.SendKeys(chromedp.CSS(`#reference`), "BCA-2026-0001"),
		chromedp.Submit(chromedp.CSS(`#reference`)))
	if amount, total := b.text(`#c-amount`), b.text(`#c-total`); amount != "IDR 150,000.00" || !strings.Contains(total, "IDR") {
		t.Errorf("confirmation shows %q, total %q", amount, total)
	}
	b.text(`#c-fee`) // the fee is on the page before confirming
	b.do(chromedp.Click(chromedp.CSS(`#confirm-button`)), chromedp.WaitVisible(chromedp.CSS(`#tx-status`)))
	if st := b.text(`#tx-status`); st != msg(t, lang, "tx.status.succeeded") {
		t.Errorf("top-up status %q", st)
	}
	b.do(chromedp.Navigate(site.URL + "/app"))
	if after := b.text(`.balances`); strings.Contains(after, "IDR 0.00") || !strings.Contains(after, "IDR") {
		t.Errorf("balance after the top-up: %q", after)
	}
	b.do(chromedp.Navigate(site.URL + "/app/history"))
	if h := b.text(`.history`); !strings.Contains(h, msg(t, lang, "tx.kind.topup")) || !strings.Contains(h, "150,000.00") {
		t.Errorf("history: %q", h)
	}
	b.screenshot("wallet-register-topup-" + lang)
}

// TestBrowserLockAndRecover: five wrong passwords lock the account; the way out on the login
// page leads to /recover, where the code sent by SMS sets a new password, which logs in. In
// Chinese and in English, each a person of its own.
func TestBrowserLockAndRecover(t *testing.T) {
	site := newBrowserSite(t, nil)
	for _, tt := range []struct {
		lang, locked, shot string // shot: the screenshots' suffix (the README links the Chinese ones)
		who                demoUser
	}{
		{"zh-CN", "锁定", "zh", site.Demo.Users[1]},
		{"en", "locked", "en", site.Demo.Users[0]},
	} {
		t.Run(tt.lang, func(t *testing.T) { lockAndRecover(t, site, tt.lang, tt.locked, tt.shot, tt.who) })
	}
}

// lockAndRecover is TestBrowserLockAndRecover in lang for budi; locked is a word the API's
// refusal of a locked account holds in lang.
func lockAndRecover(t *testing.T, site *browserSite, lang, locked, shot string, budi demoUser) {
	b := newBrowser(t, lang)
	for range 5 { // a fresh form each time, so that the refusal waited for is the new one
		b.do(chromedp.Navigate(site.URL+"/login"), chromedp.SendKeys(chromedp.CSS(`#login`), budi.Email),
			chromedp.SendKeys(chromedp.CSS(`#password`), "wrong-password-1!"),
			chromedp.Submit(chromedp.CSS(`#password`)), chromedp.WaitVisible(chromedp.CSS(`.problem`)))
	}
	if p := b.text(`.problem`); !strings.Contains(strings.ToLower(p), locked) {
		t.Errorf("the 5th wrong password: %q", p)
	}
	b.screenshot("wallet-locked-" + shot)
	b.do(chromedp.Click(chromedp.CSS(`.way-out a`)), chromedp.WaitVisible(chromedp.CSS(`#recover-request`)),
		chromedp.SendKeys(chromedp.CSS(`#login`), budi.Email), chromedp.Submit(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`#recover-code`)))
	const newPassword = "Teh-manis-2027#"
	b.do(chromedp.SendKeys(chromedp.CSS(`#code`), site.lastCode(t, budi.Phone)), chromedp.Submit(chromedp.CSS(`#code`)),
		chromedp.WaitVisible(chromedp.CSS(`#recover-password`)),
		chromedp.SendKeys(chromedp.CSS(`#password`), newPassword), chromedp.SendKeys(chromedp.CSS(`#password_again`), newPassword),
		chromedp.Submit(chromedp.CSS(`#password_again`)))
	if done := b.text(`#recovered`); !strings.Contains(done, msg(t, lang, "wallet.recover.done")) {
		t.Errorf("after the reset: %q", done)
	}
	b.screenshot("wallet-recovered-" + shot)
	b.do(chromedp.Click(chromedp.CSS(`main a.button`)), chromedp.WaitVisible(chromedp.CSS(`#login`)),
		chromedp.SendKeys(chromedp.CSS(`#login`), budi.Email), chromedp.SendKeys(chromedp.CSS(`#password`), newPassword),
		chromedp.Submit(chromedp.CSS(`#password`)), chromedp.WaitVisible(chromedp.CSS(`.balances`)))
	if loc := b.location(); !strings.HasSuffix(loc, "/app") {
		t.Errorf("after logging in with the new password: %s", loc)
	}
}

// TestBrowserPaymentRefused: a payment larger than the balance is refused on the page with
// the API's reason and a way forward (top up), and the history shows it failed, with why. In
// English and in Chinese, each on a site of its own: the same person signing in again from a
// new browser right after a refusal is asked for a code by SMS (a flow of its own), and the
// other demo people pay in other currencies or under other limits.
func TestBrowserPaymentRefused(t *testing.T) {
	for _, tt := range []struct{ lang, order, balance string }{
		{"en", "ORDER-77", "balance"}, // balance: a word of the API's reason in lang
		{"zh-CN", "ORDER-78", "余额"},
	} {
		t.Run(tt.lang, func(t *testing.T) { paymentRefused(t, newBrowserSite(t, nil), tt.lang, tt.order, tt.balance) })
	}
}

func paymentRefused(t *testing.T, site *browserSite, lang, order, balance string) {
	alice, shop := site.Demo.Users[0], site.Demo.Merchants[0]
	b := newBrowser(t, lang)
	b.do(chromedp.Navigate(site.URL+"/login?next=%2Fapp%2Fpay"),
		chromedp.SendKeys(chromedp.CSS(`#login`), alice.Email), chromedp.SendKeys(chromedp.CSS(`#password`), alice.Password),
		chromedp.Submit(chromedp.CSS(`#password`)), chromedp.WaitVisible(chromedp.CSS(`#money`)),
		chromedp.SendKeys(chromedp.CSS(`#amount`), "19,500,000"),
		chromedp.SendKeys(chromedp.CSS(`#merchant_id`), shop.ID),
		chromedp.SendKeys(chromedp.CSS(`#order_ref`), order),
		chromedp.Submit(chromedp.CSS(`#order_ref`)),
		chromedp.WaitVisible(chromedp.CSS(`#confirm`)),
		chromedp.SendKeys(chromedp.CSS(`#pin`), alice.PIN), chromedp.Submit(chromedp.CSS(`#pin`)),
		chromedp.WaitVisible(chromedp.CSS(`.problem`)))
	problem, next := b.text(`.problem`), b.text(`#next-step`)
	if !strings.Contains(strings.ToLower(problem), balance) || next != msg(t, lang, "wallet.next.topup") {
		t.Errorf("refusal: %q, next step %q", problem, next)
	}
	b.screenshot("wallet-payment-refused-" + lang)
	b.do(chromedp.Navigate(site.URL + "/app/history?status=failed"))
	if h := b.text(`.history .tx-failed`); !strings.Contains(h, msg(t, lang, "tx.status.failed")) || !strings.Contains(strings.ToLower(h), balance) {
		t.Errorf("history of the refused payment: %q", h)
	}
}

// TestBrowserEnableTOTP: two-step sign-in is turned on in the security centre with the key
// shown under the QR code (as an authenticator app would after scanning it); the recovery
// codes are shown once; the next login asks for a code from the app and accepts it. In
// English and in Chinese, each a person of its own.
func TestBrowserEnableTOTP(t *testing.T) {
	site := newBrowserSite(t, nil)
	who := map[string]demoUser{"en": site.Demo.Users[0], "zh-CN": site.Demo.Users[2]}
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { enableTOTP(t, site, lang, who[lang]) })
	}
}

func enableTOTP(t *testing.T, site *browserSite, lang string, alice demoUser) {
	b := newBrowser(t, lang)
	b.do(chromedp.Navigate(site.URL+"/login?next=%2Fapp%2Fsecurity"),
		chromedp.SendKeys(chromedp.CSS(`#login`), alice.Email), chromedp.SendKeys(chromedp.CSS(`#password`), alice.Password),
		chromedp.Submit(chromedp.CSS(`#password`)), chromedp.WaitVisible(chromedp.CSS(`#totp-start`)),
		chromedp.Click(chromedp.CSS(`#totp-start button`)), chromedp.WaitVisible(chromedp.CSS(`.qr img`)))
	secret := b.text(`#totp-secret`)
	b.screenshot("wallet-totp-qr-" + lang)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`#totp-code`), code), chromedp.Submit(chromedp.CSS(`#totp-code`)),
		chromedp.WaitVisible(chromedp.CSS(`#recovery-codes`)))
	if st := b.text(`#totp-state`); !strings.Contains(st, msg(t, lang, "wallet.security.totp_on")) {
		t.Errorf("after confirming: %q", st)
	}
	b.do(chromedp.Navigate(site.URL + "/app/security"))
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes").length`)); n != 0 {
		t.Error("the recovery codes are shown again")
	}
	b.do(chromedp.Click(chromedp.CSS(`header form button`)), chromedp.WaitVisible(chromedp.CSS(`.sub`)),
		chromedp.Navigate(site.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#login`), alice.Email), chromedp.SendKeys(chromedp.CSS(`#password`), alice.Password),
		chromedp.Submit(chromedp.CSS(`#password`)), chromedp.WaitVisible(chromedp.CSS(`#otp`)))
	// The code that turned it on is spent; the next step's is within the ±1 step allowed.
	next, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	b.do(chromedp.SendKeys(chromedp.CSS(`#otp`), next), chromedp.Submit(chromedp.CSS(`#otp`)), chromedp.WaitVisible(chromedp.CSS(`.balances`)))
	if loc := b.location(); !strings.HasSuffix(loc, "/app") {
		t.Errorf("after the second factor: %s", loc)
	}
}

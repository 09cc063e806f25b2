package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/wallet"
)

// TestBrowserHelpPaymentFailed is the issue's story "fail a payment and find the reason in
// the help center's guided flow": Budi pays more than his balance, logs in, opens the help
// center, follows its "my payment failed" guide and reads the reason and the top-up step,
// then switches the page to the other language, which keeps the guide. Starting in English
// and starting in Chinese, each on a site of its own (Budi signing in again from a new
// browser right after a refusal is asked for a code by SMS, a flow of its own).
func TestBrowserHelpPaymentFailed(t *testing.T) {
	for _, tt := range []struct{ lang, other string }{{"en", "zh-CN"}, {"zh-CN", "en"}} {
		t.Run(tt.lang, func(t *testing.T) { helpPaymentFailed(t, tt.lang, tt.other) })
	}
}

// tooLow is how a payment's failure reason for too low a balance starts in each language (the
// wallet's words).
var tooLow = map[string]string{"en": "Your balance is too low", "zh-CN": "余额不足"}

func helpPaymentFailed(t *testing.T, lang, other string) {
	site := newBrowserSite(t, nil)
	budi := site.Demo.Users[1]
	ctx := context.Background()
	sum, err := site.App.Wallet.Summary(ctx, budi.party)
	if err != nil {
		t.Fatal(err)
	}
	var amount int64 = 100_000_00 // above the balance, below the single-payment limit
	for _, bal := range sum.Balances {
		if bal.Currency == "IDR" {
			amount += bal.Available
		}
	}
	_, err = site.App.Wallet.Pay(ctx, wallet.Call{User: budi.party, Key: "browser-help-1", Hash: "browser-help-1"},
		wallet.PayInput{MerchantID: site.Demo.Merchants[0].ID, Amount: amount, Currency: "IDR", OrderRef: "HELP-1", PIN: budi.PIN})
	if err == nil {
		t.Fatal("a payment of more than the balance went through")
	}
	b := newBrowser(t, lang)
	b.do(chromedp.Navigate(site.URL+"/login?next=/help"),
		chromedp.SendKeys(chromedp.CSS(`#login`), budi.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), budi.Password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`.help-guides`)),
		chromedp.Click(chromedp.CSS(`.help-guides a[href="/help/guide/payment_failed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.guide-failed`)))
	first := b.text(`.guide-failed li`)
	if !strings.Contains(first, tooLow[lang]) || !strings.Contains(first, money.New(amount, "IDR").String()) ||
		!strings.Contains(first, msg(t, lang, "help.step.insufficient_balance")) {
		t.Errorf("the guide's latest failure: %q", first)
	}
	if link := b.text(`.guide-failed li .next-step a`); link != msg(t, lang, "help.link.topup") {
		t.Errorf("next step link %q", link)
	}
	if loc := b.location(); !strings.HasSuffix(loc, "/help/guide/payment_failed") {
		t.Errorf("at %s", loc)
	}
	b.screenshot("help-guide-" + lang)
	b.do(chromedp.Click(chromedp.CSS(`footer a[lang="`+other+`"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="`+other+`"] .guide-failed`)))
	if first := b.text(`.guide-failed li`); !strings.Contains(first, tooLow[other]) || !strings.Contains(first, msg(t, other, "help.step.insufficient_balance")) {
		t.Errorf("%s guide after switching: %q", other, first)
	}
	if lang == "en" {
		b.screenshot("help-zh-CN") // the name it always had
	}
}

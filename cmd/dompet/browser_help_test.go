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
// then switches the page to Chinese, which keeps the guide.
func TestBrowserHelpPaymentFailed(t *testing.T) {
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
	b := newBrowser(t, "en")
	b.do(chromedp.Navigate(site.URL+"/login?next=/help"),
		chromedp.SendKeys(chromedp.CSS(`#login`), budi.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), budi.Password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.WaitVisible(chromedp.CSS(`.help-guides`)),
		chromedp.Click(chromedp.CSS(`.help-guides a[href="/help/guide/payment_failed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.guide-failed`)))
	first := b.text(`.guide-failed li`)
	if !strings.Contains(first, "Your balance is too low") || !strings.Contains(first, money.New(amount, "IDR").String()) || !strings.Contains(first, "Top up your wallet") {
		t.Errorf("the guide's latest failure: %q", first)
	}
	if link := b.text(`.guide-failed li .next-step a`); link != "Top up" {
		t.Errorf("next step link %q", link)
	}
	if loc := b.location(); !strings.HasSuffix(loc, "/help/guide/payment_failed") {
		t.Errorf("at %s", loc)
	}
	b.screenshot("help-guide-en")
	b.do(chromedp.Click(chromedp.CSS(`footer a[lang="zh-CN"]`)), chromedp.WaitVisible(chromedp.CSS(`html[lang="zh-CN"] .guide-failed`)))
	if first := b.text(`.guide-failed li`); !strings.Contains(first, "余额不足") || !strings.Contains(first, "请先为钱包充值") {
		t.Errorf("zh guide: %q", first)
	}
	b.screenshot("help-zh-CN")
}

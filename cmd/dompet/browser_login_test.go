package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLoginShowsWallet: a person logs in on the login page of a real browser (after a
// wrong password, which tells them the tries left) and lands on the home page with their
// balance; the form carried its CSRF token, and logging out ends the session.
func TestBrowserLoginShowsWallet(t *testing.T) {
	site := newBrowserSite(t, nil)
	alice := site.Demo.Users[0]
	b := newBrowser(t, "en")
	b.do(chromedp.Navigate(site.URL+"/app"), // anonymous: sent to the login page, which brings them back
		chromedp.SendKeys(chromedp.CSS(`#login`), alice.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), "not-the-password"),
		chromedp.Submit(chromedp.CSS(`#password`)))
	if problem := b.text(`.problem`) + b.text(`.attempts`); !strings.Contains(problem, "4 tries left") {
		t.Errorf("a wrong password does not say the tries left: %q", problem)
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`#password`), alice.Password), chromedp.Submit(chromedp.CSS(`#password`)))
	balances, heading, loc := b.text(`.balances`), b.text(`h1`), b.location()
	if !strings.HasSuffix(loc, "/app") || !strings.Contains(heading, alice.Name) || !strings.Contains(balances, "IDR") {
		t.Errorf("after login: %s, %q, %q", loc, heading, balances)
	}
	b.screenshot("app-home-en")
	b.do(chromedp.Click(chromedp.CSS(`header form button`)), chromedp.WaitVisible(chromedp.CSS(`.sub`)),
		chromedp.Navigate(site.URL+"/app"), chromedp.WaitVisible(chromedp.CSS(`#login`)))
	if after := b.location(); !strings.Contains(after, "/login?next=%2Fapp") {
		t.Errorf("after logout /app went to %s", after)
	}
}

package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLoginShowsWallet: a person logs in on the login page of a real browser (after a
// wrong password, which tells them the tries left) and lands on the home page with their
// balance; the form carried its CSRF token, and logging out ends the session. In English and
// in Chinese, each as a person of its own (a wrong password counts against them).
func TestBrowserLoginShowsWallet(t *testing.T) {
	site := newBrowserSite(t, nil)
	who := map[string]demoUser{"en": site.Demo.Users[0], "zh-CN": site.Demo.Users[2]}
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) {
			u := who[lang]
			b := newBrowser(t, lang)
			b.do(chromedp.Navigate(site.URL+"/app"), // anonymous: sent to the login page, which brings them back
				chromedp.SendKeys(chromedp.CSS(`#login`), u.Email),
				chromedp.SendKeys(chromedp.CSS(`#password`), "not-the-password"),
				chromedp.Submit(chromedp.CSS(`#password`)))
			if problem, want := b.text(`.problem`)+b.text(`.attempts`), msgCount(t, lang, "login.attempts_left", 4); !strings.Contains(problem, want) {
				t.Errorf("a wrong password does not say the tries left (%q): %q", want, problem)
			}
			b.do(chromedp.SendKeys(chromedp.CSS(`#password`), u.Password), chromedp.Submit(chromedp.CSS(`#password`)))
			balances, heading, loc := b.text(`.balances`), b.text(`h1`), b.location()
			if !strings.HasSuffix(loc, "/app") || !strings.Contains(heading, u.Name) || !strings.Contains(balances, "IDR") ||
				!strings.Contains(b.text(`main`), msg(t, lang, "home.balances")) {
				t.Errorf("after login: %s, %q, %q", loc, heading, balances)
			}
			b.screenshot("app-home-" + lang)
			b.do(chromedp.Click(chromedp.CSS(`header form button`)), chromedp.WaitVisible(chromedp.CSS(`.sub`)),
				chromedp.Navigate(site.URL+"/app"), chromedp.WaitVisible(chromedp.CSS(`#login`)))
			if after := b.location(); !strings.Contains(after, "/login?next=%2Fapp") {
				t.Errorf("after logout /app went to %s", after)
			}
		})
	}
}

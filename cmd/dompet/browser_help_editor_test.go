package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// TestBrowserHelpEditor: a supervisor opens the help articles in the console, edits the fees
// article, previews it, saves the draft and publishes it; the customer's /help page shows
// the new text at once. In English and in Chinese (the console's language, and the article's
// version in it), each on a site of its own (a supervisor's TOTP code is good for one login).
func TestBrowserHelpEditor(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { helpEditor(t, newBrowserSite(t, nil), lang) })
	}
}

func helpEditor(t *testing.T, site *browserSite, lang string) {
	lead := site.demoAgent(t, "supervisor", "general")
	code, err := totp.GenerateCode(lead.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, lang)
	b.do(chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(site.URL+"/agent/help"), // sent to the login, and back
		chromedp.SendKeys(chromedp.CSS(`#email`), lead.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)),
		chromedp.WaitVisible(chromedp.CSS(`#help-articles`)),
		chromedp.Click(chromedp.CSS(`#help-articles a[href="/agent/help/fees/`+lang+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#edit-form`)))
	// Each form's page is marked before it is sent, and each wait looks for the unmarked next
	// page: never for what the page being left has too.
	mark := chromedp.Evaluate[chromedp.Void](`document.body.dataset.left = "1"`)
	next := func(css string) { b.do(chromedp.WaitVisible(chromedp.CSS(`body:not([data-left]) ` + css))) }
	b.do(mark, chromedp.SetValue(chromedp.CSS(`#title`), "Fees, plainly"),
		chromedp.SetValue(chromedp.CSS(`#body`), "## What you pay\n\nTop-ups by **bank transfer** are free; the marmalade rule applies."),
		chromedp.SetValue(chromedp.CSS(`#reason`), "plainer words"),
		chromedp.Click(chromedp.CSS(`#preview-button`)))
	next(`#preview h2`)
	if h := b.text(`#preview h2`); h != "What you pay" {
		t.Errorf("the preview's heading %q", h)
	}
	b.do(mark, chromedp.Click(chromedp.CSS(`#save-button`)))
	next(`.notice`)
	if d := b.text(`#article-draft`); !strings.Contains(d, msg(t, lang, "agent.help.draft_pending")) {
		t.Errorf("after saving: %q", d)
	}
	b.do(mark, chromedp.SendKeys(chromedp.CSS(`#reason-publish`), "plainer words"), chromedp.Click(chromedp.CSS(`#publish-form button`)))
	next(`.notice`)
	if !strings.HasSuffix(b.location(), "/agent/help/fees/"+lang+"?done=help_publish") {
		t.Errorf("after publishing: at %s", b.location())
	}
	b.screenshot(shotIn("console-help-editor", lang))

	b.do(chromedp.Navigate(site.URL+"/help/fees"), chromedp.WaitVisible(chromedp.CSS(`.help-vote`)))
	if h := b.text(`.help-article h1`); h != "Fees, plainly" {
		t.Errorf("the customer page's title %q", h)
	}
	if body := b.text(`.help-article`); !strings.Contains(body, "marmalade rule") {
		t.Errorf("the customer page reads %q", body)
	}
}

package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/support"
)

// TestBrowserCanned: a supervisor adds a canned reply with the console's form in Chromium and
// finds it in the list, its <script> title shown as text and never run; deleting it asks
// first, and only the confirmation deletes it. In English and in Chinese (the console's
// language; the team's name is the desk's own, untranslated), each on a site of its own (a
// supervisor's TOTP code is good for one login).
func TestBrowserCanned(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { cannedFlow(t, newBrowserSite(t, nil), lang) })
	}
}

func cannedFlow(t *testing.T, site *browserSite, lang string) {
	lead := site.demoAgent(t, "supervisor", "payments")
	code, err := totp.GenerateCode(lead.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const title = `退款进度 <script>document.title="pwned"</script>`
	b := newBrowser(t, lang)
	b.do(chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(site.URL+"/agent/canned"), // sent to the login, and back
		chromedp.SendKeys(chromedp.CSS(`#email`), lead.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)),
		chromedp.WaitVisible(chromedp.CSS(`#canned-new`)))
	b.do(chromedp.SendKeys(chromedp.CSS(`#title-new`), title),
		chromedp.SetValue(chromedp.CSS(`#locale-new`), "zh-CN"),
		chromedp.SetValue(chromedp.CSS(`#team-new`), "payments"),
		chromedp.SetValue(chromedp.CSS(`#topic-new`), "refund"),
		chromedp.SendKeys(chromedp.CSS(`#body-new`), "{{customer_name}}您好，您的退款已在处理中。"),
		chromedp.Submit(chromedp.CSS(`#body-new`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`))) // only the next page has it
	loc := b.location()
	_, id, ok := strings.Cut(loc, "#canned-")
	if !ok || !strings.Contains(loc, "/agent/canned?done=created") {
		t.Fatalf("after the form: %s", loc)
	}
	if got := b.text(`#canned-` + id + ` .canned-title`); got != title {
		t.Errorf("the listed title reads %q", got)
	}
	if got := b.text(`#canned-` + id + ` .canned-meta`); !strings.Contains(got, "Payments") || !strings.Contains(got, msg(t, lang, "agent.topic.refund")) {
		t.Errorf("the listed reply's team and topic: %q", got)
	}
	if got := value(b, chromedp.Evaluate[string](`document.title`)); strings.Contains(got, "pwned") {
		t.Error("the title's script ran")
	}
	b.screenshot(shotIn("console-canned", lang))

	// Deleting it asks first: the question names the reply (its title as text), and only the
	// confirmation deletes.
	b.do(chromedp.Click(chromedp.CSS(`#canned-`+id+` summary`)),
		chromedp.Click(chromedp.CSS(`#canned-`+id+` button.danger`)),
		chromedp.WaitVisible(chromedp.CSS(`#canned-confirm`))) // only the question's page has it
	if got := b.text(`#canned-confirm-h`); got != msg(t, lang, "agent.canned.confirm", title) {
		t.Errorf("the question reads %q", got)
	}
	if _, err := site.App.Support.CannedReply(context.Background(), id); err != nil {
		t.Errorf("the reply is gone before the confirmation: %v", err)
	}
	b.screenshot(shotIn("console-canned-confirm", lang))
	b.do(chromedp.Click(chromedp.CSS(`#canned-confirm-delete`)),
		chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if loc := b.location(); !strings.HasSuffix(loc, "/agent/canned?done=deleted") {
		t.Errorf("after the confirmation: %s", loc)
	}
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#canned-`+id+`").length`)); n != 0 {
		t.Error("the deleted reply is still listed")
	}
	if _, err := site.App.Support.CannedReply(context.Background(), id); !errors.Is(err, support.ErrNotFound) {
		t.Errorf("the confirmed deletion: %v", err)
	}
	if got := value(b, chromedp.Evaluate[string](`document.title`)); strings.Contains(got, "pwned") {
		t.Error("the title's script ran")
	}
}

package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/wallet"
)

// TestBrowserConsole: a support agent logs in with their TOTP code, takes the chat a
// customer started about a failed payment, sees the customer's panel with that payment's
// failure reason, sees the customer's next message arrive live (no reload), and replies;
// the customer's own WebSocket receives the reply. A supervisor then opens the reports. In
// English and in Chinese (the staff's browser's language), each on a site of its own (the
// demo has one failed payment to chat about).
func TestBrowserConsole(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { consoleFlow(t, lang) })
	}
}

func consoleFlow(t *testing.T, lang string) {
	site := newBrowserSite(t, nil)
	ctx := context.Background()
	// The demo user whose payment failed, and that failure's reason in the console's language.
	var who, txID string
	for _, s := range site.Demo.Activity {
		if s.Status == "failed" && s.FailureReason != "" {
			who, txID = s.Who, s.Transaction
			break
		}
	}
	if who == "" {
		t.Fatal("the demo has no failed payment")
	}
	ui := -1
	for i, u := range site.Demo.Users {
		if u.Email == who {
			ui = i
		}
	}
	user := site.Demo.Users[ui]
	var reason string
	failed, err := site.App.Wallet.Transactions(ctx, user.ID, wallet.Filter{Status: wallet.StatusFailed})
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range failed.Items {
		if tx.ID == txID {
			tx.Localize(lang)
			reason = tx.FailureReason
		}
	}
	if reason == "" {
		t.Fatalf("the failed payment %s has no reason in %s", txID, lang)
	}
	conv := site.openChat(t, ui, "payment_failed", "Why did my payment fail?")

	// The customer's chat, as the wallet's chat page holds it open.
	sess, _, err := site.App.Identity.Login(ctx, identity.LoginInput{Login: user.Email, Password: user.Password,
		DeviceID: "browser-console-device", IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(site.URL, "http")+"/api/v1/support/conversations/"+conv.ID+"/stream",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + sess.Token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()

	agent := site.demoAgent(t, "agent", "payments")
	code, err := totp.GenerateCode(agent.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, lang)
	b.do(chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(site.URL+"/agent/conversations/"+conv.ID), // sent to the login, and back
		chromedp.SendKeys(chromedp.CSS(`#email`), agent.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)),
		chromedp.WaitVisible(chromedp.CSS(`#take-form button`)))
	// Each wait below looks for what only the next page has (a notice), never for what the
	// page being left has too: that would run the next step while the browser navigates.
	b.do(chromedp.Click(chromedp.CSS(`#take-form button`)), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(`#live.on`))) // the desk stream is open
	if panel := b.text(`#customer`); !strings.Contains(panel, reason) || !strings.Contains(panel, user.Name) {
		t.Errorf("the customer panel lacks the failure reason %q: %q", reason, panel)
	}

	// The canned-reply picker: choosing one puts its text, filled for this customer, into the
	// reply box (static/agent.js); the box is emptied again for the reply below.
	picked := value(b, chromedp.Evaluate[string](`(function () {
		var s = document.getElementById("canned");
		s.selectedIndex = 1;
		s.dispatchEvent(new Event("change"));
		var v = document.getElementById("body").value;
		document.getElementById("body").value = "";
		return v;
	})()`))
	if !strings.Contains(picked, user.Name) || strings.Contains(picked, "{{customer_name}}") {
		t.Errorf("the picked canned reply reads %q", picked)
	}

	// The customer writes: the agent sees it without reloading.
	frame, _ := json.Marshal(map[string]string{"type": "message", "body": "It was the bakery, this morning", "client_id": "c-1"})
	if err := ws.Write(dctx, websocket.MessageText, frame); err != nil {
		t.Fatal(err)
	}
	if live := b.text(`#thread li.fresh .body`); live != "It was the bakery, this morning" {
		t.Errorf("the live message reads %q", live)
	}

	// The agent replies with the form; the customer's socket gets it.
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(".notice").remove()`), // the take's
		chromedp.SendKeys(chromedp.CSS(`#body`), "The bank declined it; please try again with enough balance."),
		chromedp.Submit(chromedp.CSS(`#body`)))
	for {
		_, data, err := ws.Read(dctx)
		if err != nil {
			t.Fatalf("the customer did not receive the reply: %v", err)
		}
		var e struct {
			Type    string `json:"type"`
			Message *struct {
				Body   string `json:"body"`
				Author struct {
					Type string `json:"type"`
				} `json:"author"`
			} `json:"message"`
		}
		if json.Unmarshal(data, &e) == nil && e.Type == "message" && e.Message != nil && e.Message.Author.Type == "agent" {
			if !strings.HasPrefix(e.Message.Body, "The bank declined it") {
				t.Errorf("the customer received %q", e.Message.Body)
			}
			break
		}
	}
	// The form's answer: the conversation again, the reply confirmed.
	b.do(chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	b.do(chromedp.WaitVisible(chromedp.CSS(`#live.on`)))
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#thread li.msg").length`)); n != 3 {
		t.Errorf("the conversation shows %d messages after a reload, want 3", n)
	}
	b.screenshot("agent-console-" + lang)

	// A supervisor's reports, charts drawn by the server.
	// (in a browser of their own: the console has one staff session per browser)
	lead := site.demoAgent(t, "supervisor", "payments")
	code, err = totp.GenerateCode(lead.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b = newBrowser(t, lang)
	b.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(site.URL+"/agent/reports"),
		chromedp.SendKeys(chromedp.CSS(`#email`), lead.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)),
		chromedp.WaitVisible(chromedp.CSS(`figure.chart svg rect`)))
	if total := b.text(`#fig-total`); total == "0" || total == "" {
		t.Errorf("reports count %q conversations", total)
	}
	if h := b.text(`h1`); h != msg(t, lang, "agent.reports.title") {
		t.Errorf("reports heading %q", h)
	}
	b.screenshot("agent-reports-" + lang)

	// The supervisor's inbox follows the desk live: the agent resolves the chat, and its row
	// says so without a reload.
	b.do(chromedp.Navigate(site.URL+"/agent?view=all"), chromedp.WaitVisible(chromedp.CSS(`#live.on`)))
	members, err := site.App.Staff.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range members {
		if m.Email == agent.Email {
			if _, err := site.App.Support.SetStatus(ctx, support.ViewerOf(m, "127.0.0.1"), conv.ID, support.StatusResolved); err != nil {
				t.Fatal(err)
			}
		}
	}
	value(b, chromedp.Poll[bool](`document.querySelector("#conv-`+conv.ID+` .status .val").textContent === `+
		jsString(msg(t, lang, "agent.status.resolved"))))
}

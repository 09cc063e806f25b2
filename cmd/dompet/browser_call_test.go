package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/telephony"
)

// TestBrowserCallScreenPop: an agent has the console open; the PBX posts a signed
// call.incoming from a demo customer's phone, and the screen pop (an alert) appears live with
// the caller's name and a link to the call's conversation. Without the script, the inbox
// lists the ongoing call on top. In English and in Chinese, each on a site of its own (one
// call of the customer at a time).
func TestBrowserCallScreenPop(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { callScreenPop(t, lang) })
	}
}

// callPopReads: the pop's text holds the call's heading, the account's state and its
// two-factor state, in lang.
func callPopReads(t *testing.T, pop, lang string) bool {
	t.Helper()
	either := func(a, b string) bool {
		return strings.Contains(pop, msg(t, lang, a)) || strings.Contains(pop, msg(t, lang, b))
	}
	return strings.Contains(pop, msg(t, lang, "agent.call.incoming")) &&
		either("agent.call.locked", "agent.call.not_locked") && either("agent.call.2fa_on", "agent.call.2fa_off")
}

func callScreenPop(t *testing.T, lang string) {
	const secret = "browser-pbx-secret"
	site := newBrowserSite(t, func(c *config.Config) { c.TelephonySecret = secret })
	user := site.Demo.Users[0]
	agent := site.demoAgent(t, "agent", "general")
	code, err := totp.GenerateCode(agent.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, lang)
	b.do(chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(site.URL+"/agent"), // sent to the login, and back
		chromedp.SendKeys(chromedp.CSS(`#email`), agent.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`))) // the inbox's desk stream is open
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#call-pops .call-pop").length`)); n != 0 {
		t.Fatalf("%d pops before any call", n)
	}

	body := []byte(fmt.Sprintf(`{"event":"call.incoming","call_id":"browser-call-1","from":%q,"to":"+622150000000"}`, user.Phone))
	req, err := http.NewRequest("POST", site.URL+"/api/v1/telephony/events", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telephony.HeaderSignature, telephony.Sign(secret, body, time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var call struct {
		ConversationID string `json:"conversation_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&call)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || call.ConversationID == "" {
		t.Fatalf("telephony event: %d %v %+v", resp.StatusCode, err, call)
	}

	// The pop, live: the caller's name, their account state, the link to the conversation.
	if pop := b.text(`#call-pops .call-pop`); !strings.Contains(pop, user.Name) || !callPopReads(t, pop, lang) {
		t.Errorf("the pop reads %q", pop)
	}
	if role := value(b, chromedp.Evaluate[string](`document.querySelector("#call-pops .call-pop").getAttribute("role")`)); role != "alert" {
		t.Errorf("the pop's role is %q", role)
	}
	href := value(b, chromedp.Evaluate[string](`document.querySelector("#call-pops .call-pop a").getAttribute("href")`))
	if href != "/agent/conversations/"+call.ConversationID {
		t.Errorf("the pop opens %q", href)
	}
	b.screenshot(shotIn("console-screen-pop", lang))

	// Dismissed, it goes; the inbox read again (as without script) lists the call on top.
	b.do(chromedp.Click(chromedp.CSS(`#call-pops .call-pop button`)))
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#call-pops .call-pop").length`)); n != 0 {
		t.Errorf("%d pops after dismissing", n)
	}
	b.do(chromedp.Navigate(site.URL + "/agent"))
	if calls := b.text(`#calls`); !strings.Contains(calls, user.Name) {
		t.Errorf("the inbox's ongoing calls read %q", calls)
	}
	b.do(chromedp.Navigate(site.URL+"/agent?view=all"), chromedp.WaitVisible(chromedp.CSS(`table#inbox`)))
	b.screenshot(shotIn("console-inbox-wide", lang)) // the inbox as a table, on a desktop
}

// postCallEvent posts a telephony event signed with secret, as the PBX does, and returns the
// call's conversation.
func postCallEvent(t *testing.T, site *browserSite, secret, body string) string {
	t.Helper()
	req, err := http.NewRequest("POST", site.URL+"/api/v1/telephony/events", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(telephony.HeaderSignature, telephony.Sign(secret, []byte(body), time.Now()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var call struct {
		ConversationID string `json:"conversation_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&call); err != nil || resp.StatusCode != http.StatusOK || call.ConversationID == "" {
		t.Fatalf("telephony event: %d %v %+v", resp.StatusCode, err, call)
	}
	return call.ConversationID
}

// TestBrowserCallPopOnEveryPage: the pop is not only the inbox's. A supervisor has the reports
// open (a page without inbox or conversation); a call comes in and pops live there; when
// another agent answers it (call.answered with their email), the supervisor's pop goes. In
// English and in Chinese, each on a site of its own.
func TestBrowserCallPopOnEveryPage(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { callPopOnEveryPage(t, lang) })
	}
}

func callPopOnEveryPage(t *testing.T, lang string) {
	const secret = "browser-pbx-secret"
	site := newBrowserSite(t, func(c *config.Config) { c.TelephonySecret = secret })
	user := site.Demo.Users[0]
	lead := site.demoAgent(t, "supervisor", "general")
	other := site.demoAgent(t, "agent", "general")
	code, err := totp.GenerateCode(lead.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, lang)
	b.do(chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(site.URL+"/agent/reports"), // sent to the login, and back
		chromedp.SendKeys(chromedp.CSS(`#email`), lead.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`))) // the reports page's desk stream is open
	if loc := b.location(); !strings.HasSuffix(loc, "/agent/reports") {
		t.Fatalf("the lead is on %s", loc)
	}

	convID := postCallEvent(t, site, secret, fmt.Sprintf(`{"event":"call.incoming","call_id":"browser-call-2","from":%q,"to":"+622150000000"}`, user.Phone))
	if pop := b.text(`#call-pops .call-pop`); !strings.Contains(pop, user.Name) || !callPopReads(t, pop, lang) {
		t.Errorf("the pop on the reports reads %q", pop)
	}
	href := value(b, chromedp.Evaluate[string](`document.querySelector("#call-pops .call-pop a").getAttribute("href")`))
	if href != "/agent/conversations/"+convID {
		t.Errorf("the pop opens %q", href)
	}
	b.screenshot(shotIn("console-reports-pop", lang))

	// Another agent answers: the lead's pop goes (polled, with the step's deadline).
	postCallEvent(t, site, secret, fmt.Sprintf(`{"event":"call.answered","call_id":"browser-call-2","from":%q,"to":"+622150000000","agent_email":%q}`,
		user.Phone, other.Email))
	b.do(chromedp.WaitNotPresent(chromedp.CSS(`#call-pops .call-pop`)))
	if loc := b.location(); !strings.HasSuffix(loc, "/agent/reports") {
		t.Errorf("the lead was taken to %s", loc)
	}
}

// TestBrowserCallDispositionLive: a supervisor has a phone conversation open in the Chinese
// console; the call's agent records its disposition through the API, and the disposition's
// internal note (stored in English) appears live in Chinese, as the server renders it after a
// reload, and so does the conversation's disposition.
func TestBrowserCallDispositionLive(t *testing.T) {
	site := newBrowserSite(t, nil)
	ctx := context.Background()
	res, err := site.App.Support.Call(ctx, support.CallEvent{Type: support.CallIncoming, CallID: "browser-call-3",
		From: site.Demo.Users[0].Phone})
	if err != nil {
		t.Fatal(err)
	}
	lead := site.demoAgent(t, "supervisor", res.Route.Team)
	code, err := totp.GenerateCode(lead.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, "zh-CN")
	b.do(chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(site.URL+"/agent/conversations/"+res.ConversationID), // sent to the login, and back
		chromedp.SendKeys(chromedp.CSS(`#email`), lead.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`))) // the desk stream is open
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#thread li.internal").length`)); n != 0 {
		t.Fatalf("%d internal notes before the disposition", n)
	}

	// Another agent, the call's team's, sets the disposition through the API.
	token := widgetAgentToken(t, site, site.demoAgent(t, "agent", res.Route.Team).Email)
	body, _ := json.Marshal(map[string]string{"disposition": "escalated", "note": "fraud team"})
	req, err := http.NewRequest("POST", site.URL+"/api/v1/agent/conversations/"+res.ConversationID+"/call-disposition", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("call disposition: %s", resp.Status)
	}

	// The note arrives live (whichever way the page adds it), in the console's language.
	b.do(chromedp.WaitVisible(chromedp.CSS(`#thread li.internal .body`)))
	if note := b.text(`#thread li.internal .body`); note != "通话结果：已升级处理。备注：fraud team" {
		t.Errorf("the live disposition note reads %q", note)
	}
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("#thread li.internal").length`)); n != 1 {
		t.Errorf("%d internal notes after the disposition, want 1", n)
	}
	if d := b.text(`#conv-disposition`); d != "已升级处理 · fraud team" {
		t.Errorf("the conversation's disposition reads %q", d)
	}
	b.screenshot("console-disposition-live-zh-CN")
}

package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/web"
)

// demoAgent is the demo staff member of role and team.
func (site *browserSite) demoAgent(t *testing.T, role, team string) web.DemoAgent {
	t.Helper()
	for _, a := range site.Demo.Agents {
		if a.Role == role && a.Team == team {
			return a
		}
	}
	t.Fatalf("no demo %s in %s", role, team)
	return web.DemoAgent{}
}

// consoleClient is a browser without a browser: cookies kept, redirects not followed, the
// page's CSRF token read from its forms.
type consoleClient struct {
	t    *testing.T
	site *browserSite
	c    *http.Client
	csrf string
}

func newConsoleClient(t *testing.T, site *browserSite) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, site: site, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (p *consoleClient) get(path string) (*http.Response, string) {
	p.t.Helper()
	res, err := p.c.Get(p.site.URL + path)
	if err != nil {
		p.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := csrfField.FindSubmatch(b); m != nil {
		p.csrf = string(m[1])
	}
	return res, string(b)
}

// post sends a form (with the page's CSRF token unless withToken is false).
func (p *consoleClient) post(path string, form url.Values, withToken bool) (*http.Response, string) {
	p.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withToken {
		form.Set("csrf", p.csrf)
	}
	req, _ := http.NewRequest("POST", p.site.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.site.URL)
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

// staffLogin logs in on /agent/login with the demo member's password and a TOTP code.
func (p *consoleClient) staffLogin(a web.DemoAgent) {
	p.t.Helper()
	p.get("/agent/login")
	code, err := totp.GenerateCode(a.TOTPSecret, time.Now())
	if err != nil {
		p.t.Fatal(err)
	}
	res, body := p.post("/agent/login", url.Values{"email": {a.Email}, "password": {p.site.Demo.Logins.AgentPassword},
		"otp": {code}, "next": {"/agent"}}, true)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/agent" {
		p.t.Fatalf("staff login of %s: %s %s", a.Email, res.Status, body)
	}
	p.get("/agent")
}

// openChat starts a chat as demo user i, as the wallet's chat page does.
func (site *browserSite) openChat(t *testing.T, i int, topic, body string) support.Conversation {
	t.Helper()
	u := site.Demo.Users[i]
	c, _, err := site.App.Support.Open(context.Background(), support.NewConversation{Channel: support.ChannelChat,
		Customer: support.Customer{UserID: u.ID, Name: u.Name}, Topic: topic, Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConsolePages: who may open what in the agent console, the CSRF token on every form,
// and the audit rows of the customer panel (a look, an unlock).
func TestConsolePages(t *testing.T) {
	site := newDemoSite(t)
	ctx := context.Background()
	alice := site.Demo.Users[0]
	conv := site.openChat(t, 0, "payment_failed", "my payment failed")

	// Nobody, and a customer with their wallet session, are sent to the staff login.
	anon := newConsoleClient(t, site)
	if res, _ := anon.get("/agent"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/agent/login?next=") {
		t.Errorf("anonymous /agent: %s %s", res.Status, res.Header.Get("Location"))
	}
	sess, _, err := site.App.Identity.Login(ctx, identity.LoginInput{Login: alice.Email, Password: alice.Password,
		DeviceID: "console-test-device-01", IP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	cust := newConsoleClient(t, site)
	u, _ := url.Parse(site.URL)
	cust.c.Jar.SetCookies(u, []*http.Cookie{{Name: "dompet_session", Value: sess.Token, Path: "/"},
		{Name: "dompet_staff", Value: sess.Token, Path: "/"}}) // a user token is no staff token either
	for _, path := range []string{"/agent", "/agent/conversations/" + conv.ID, "/agent/reports", "/agent/admin"} {
		if res, _ := cust.get(path); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/agent/login") {
			t.Errorf("customer %s: %s %s", path, res.Status, res.Header.Get("Location"))
		}
	}

	// An agent of another team does not see the conversation; its team's agent and any
	// supervisor do.
	other := newConsoleClient(t, site)
	other.staffLogin(site.demoAgent(t, "agent", "accounts"))
	if res, _ := other.get("/agent/conversations/" + conv.ID); res.StatusCode != http.StatusNotFound {
		t.Errorf("agent of accounts opens a payments conversation: %s", res.Status)
	}
	if res, _ := other.get("/agent/reports"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an agent opens the reports: %s", res.Status)
	}
	lead := newConsoleClient(t, site)
	lead.staffLogin(site.demoAgent(t, "supervisor", "accounts"))
	if res, body := lead.get("/agent/conversations/" + conv.ID); res.StatusCode != http.StatusOK || !strings.Contains(body, "my payment failed") {
		t.Errorf("supervisor of another team: %s", res.Status)
	}
	if res, body := lead.get("/agent/reports"); res.StatusCode != http.StatusOK || !strings.Contains(body, "<svg") {
		t.Errorf("supervisor's reports: %s", res.Status)
	}
	agentDemo := site.demoAgent(t, "agent", "payments")
	agent := newConsoleClient(t, site)
	agent.staffLogin(agentDemo)
	res, body := agent.get("/agent/conversations/" + conv.ID)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "my payment failed") || !strings.Contains(body, `id="customer"`) {
		t.Fatalf("agent of payments: %s", res.Status)
	}
	// The inbox: the waiting chat under unassigned, with its place in the queue; not under
	// another topic; a filter the desk does not know is refused.
	if _, body := agent.get("/agent?view=unassigned"); !strings.Contains(body, "#"+conv.Ref) || !strings.Contains(body, "No. 1 in queue") {
		t.Errorf("unassigned view lacks the waiting chat")
	}
	if _, body := agent.get("/agent?view=all&topic=fees"); strings.Contains(body, "#"+conv.Ref) {
		t.Errorf("the fees filter shows a payment_failed chat")
	}
	if res, _ := agent.get("/agent?view=all&channel=fax"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown channel: %s", res.Status)
	}
	me, err := site.App.Staff.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var agentID string
	for _, m := range me {
		if m.Email == agentDemo.Email {
			agentID = m.ID
		}
	}
	viewed, _, err := site.App.Audit.List(ctx, audit.Query{Actor: agentID, Action: "customer.viewed", Subject: alice.ID})
	if err != nil || len(viewed) == 0 {
		t.Errorf("the panel's view is not audited: %v %v", viewed, err)
	}

	// Every console form needs its token: without it, 403 and nothing done.
	forms := []string{"/agent/logout", "/agent/presence", "/agent/conversations/" + conv.ID + "/messages",
		"/agent/conversations/" + conv.ID + "/status", "/agent/conversations/" + conv.ID + "/assign",
		"/agent/customers/" + alice.ID + "/unlock", "/agent/admin/staff/" + agentID, "/agent/admin/teams/general", "/agent/login"}
	for _, f := range forms {
		if res, _ := agent.post(f, url.Values{"body": {"sneaky"}, "status": {"resolved"}, "presence": {"online"},
			"verification": {"none"}}, false); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without the token: %s", f, res.Status)
		}
	}
	if msgs, _ := site.App.Support.Messages(ctx, conv.ID, "", true, 0); len(msgs) != 1 {
		t.Errorf("a refused form stored a message: %d messages", len(msgs))
	}

	// A reply and a note, with the token.
	if res, _ := agent.post("/agent/conversations/"+conv.ID+"/messages", url.Values{"body": {"Let me look"}, "kind": {"reply"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("reply: %s", res.Status)
	}
	if res, _ := agent.post("/agent/conversations/"+conv.ID+"/messages", url.Values{"body": {"card issuer declined"}, "kind": {"note"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("note: %s", res.Status)
	}
	msgs, _ := site.App.Support.Messages(ctx, conv.ID, "", true, 0)
	if len(msgs) != 3 || msgs[1].Internal || !msgs[2].Internal {
		t.Errorf("messages after a reply and a note: %+v", msgs)
	}
	_, body = agent.get("/agent/conversations/" + conv.ID)
	if !strings.Contains(body, `class="msg msg-agent internal"`) {
		t.Errorf("the note is not shown as a note")
	}

	// Unlock: the customer locks themselves out; an unlock without saying how identity was
	// checked is refused, with it the account opens and the audit log has the reason.
	for range 10 {
		_, _, _ = site.App.Identity.Login(ctx, identity.LoginInput{Login: alice.Email, Password: "wrong-password", DeviceID: "console-test-device-01", IP: "127.0.0.1"})
	}
	if u, _ := site.App.Identity.User(ctx, alice.ID); !isLocked(u) {
		t.Fatal("alice is not locked after wrong passwords")
	}
	_, body = agent.get("/agent/conversations/" + conv.ID)
	if !strings.Contains(body, `id="unlock-form"`) {
		t.Fatal("no unlock form for a locked customer")
	}
	if res, _ := agent.post("/agent/customers/"+alice.ID+"/unlock", url.Values{"conversation": {conv.ID}, "verification": {"  "}}, true); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unlock without a verification: %s", res.Status)
	}
	if u, _ := site.App.Identity.User(ctx, alice.ID); !isLocked(u) {
		t.Error("a refused unlock unlocked")
	}
	res, _ = agent.post("/agent/customers/"+alice.ID+"/unlock", url.Values{"conversation": {conv.ID},
		"verification": {"called back on the verified phone, confirmed last top-up amount"}}, true)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "done=unlock") {
		t.Errorf("unlock: %s %s", res.Status, res.Header.Get("Location"))
	}
	if u, _ := site.App.Identity.User(ctx, alice.ID); isLocked(u) {
		t.Error("still locked after the unlock")
	}
	rows, _, _ := site.App.Audit.List(ctx, audit.Query{Actor: agentID, Subject: alice.ID})
	found := false
	for _, e := range rows {
		if e.Action != "customer.viewed" && strings.Contains(e.Reason, "called back on the verified phone") {
			found = true
		}
	}
	if !found {
		t.Errorf("no audit row of the unlock with its verification: %+v", rows)
	}

	// Logging out ends the staff session.
	agent.get("/agent")
	if res, _ := agent.post("/agent/logout", nil, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("logout: %s", res.Status)
	}
	if res, _ := agent.get("/agent"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout /agent: %s", res.Status)
	}
}

func isLocked(u identity.User) bool {
	locked, _ := identity.Locked(u, time.Now())
	return locked
}

// TestConsoleAdministration: supervisors change teams and agents' capacity, admins any
// member; agents see no administration; every change needs a reason and is audited.
func TestConsoleAdministration(t *testing.T) {
	site := newDemoSite(t)
	ctx := context.Background()
	members, err := site.App.Staff.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id := func(email string) string {
		for _, m := range members {
			if m.Email == email {
				return m.ID
			}
		}
		t.Fatalf("no member %s", email)
		return ""
	}
	agentDemo := site.demoAgent(t, "agent", "general")
	agentID := id(agentDemo.Email)

	agent := newConsoleClient(t, site)
	agent.staffLogin(agentDemo)
	if res, _ := agent.get("/agent/admin"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an agent opens the administration: %s", res.Status)
	}
	if res, _ := agent.post("/agent/admin/staff/"+agentID, url.Values{"capacity": {"50"}, "reason": {"more"}}, true); res.StatusCode != http.StatusForbidden {
		t.Errorf("an agent raises their own capacity: %s", res.Status)
	}

	lead := newConsoleClient(t, site)
	lead.staffLogin(site.demoAgent(t, "supervisor", "general"))
	res, body := lead.get("/agent/admin")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="staff-`+agentID+`"`) || !strings.Contains(body, `id="hours-general"`) {
		t.Fatalf("supervisor's administration: %s", res.Status)
	}
	if res, _ := lead.post("/agent/admin/staff/"+agentID, url.Values{"team": {"general"}, "capacity": {"5"}}, true); res.StatusCode != http.StatusBadRequest {
		t.Errorf("a change without a reason: %s", res.Status)
	}
	if res, _ := lead.post("/agent/admin/staff/"+agentID, url.Values{"team": {"general"}, "capacity": {"5"}, "reason": {"busy week"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("capacity change: %s", res.Status)
	}
	if m, _ := site.App.Staff.Member(ctx, agentID); m.Capacity != 5 {
		t.Errorf("capacity is %d, want 5", m.Capacity)
	}
	// Business hours: a lunch break on Monday and a holiday.
	res, _ = lead.post("/agent/admin/teams/general", url.Values{"name": {"General"}, "topics": {"other"}, "time_zone": {"Asia/Jakarta"},
		"hours": {"mon 08:00-12:00 13:00-17:00\ntue 08:00-17:00\nholiday 2026-12-25\n"}, "reason": {"lunch break"}}, true)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("team change: %s", res.Status)
	}
	teams, _ := site.App.Staff.Teams(ctx)
	for _, tm := range teams {
		if tm.Slug == "general" && (len(tm.BusinessHours.Weekly) != 3 || len(tm.BusinessHours.Holidays) != 1) {
			t.Errorf("general's hours: %+v", tm.BusinessHours)
		}
	}
	if res, _ := lead.post("/agent/admin/teams/general", url.Values{"name": {"General"}, "time_zone": {"Asia/Jakarta"},
		"hours": {"someday 8-9"}, "reason": {"typo"}}, true); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unreadable hours: %s", res.Status)
	}
	// A supervisor cannot make anyone an admin; an admin can disable a member.
	if res, _ := lead.post("/agent/admin/staff/"+agentID, url.Values{"role": {"admin"}, "reason": {"promotion"}}, true); res.StatusCode != http.StatusForbidden {
		t.Errorf("a supervisor changes a role: %s", res.Status)
	}
	admin := newConsoleClient(t, site)
	admin.staffLogin(site.demoAgent(t, "admin", "general"))
	admin.get("/agent/admin")
	if res, _ := admin.post("/agent/admin/staff/"+agentID, url.Values{"team": {"general"}, "capacity": {"5"}, "disabled": {"on"}, "reason": {"left the company"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("disable: %s", res.Status)
	}
	if m, _ := site.App.Staff.Member(ctx, agentID); !m.Disabled {
		t.Error("not disabled")
	}
	if res, _ := agent.get("/agent"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a disabled member's console: %s", res.Status)
	}
	// The disabled member's login is answered as an unknown email's.
	problem := regexp.MustCompile(`(?s)<div class="problem".*?</div>`)
	answer := func(email string) (int, string) {
		p := newConsoleClient(t, site)
		p.get("/agent/login")
		code, _ := totp.GenerateCode(agentDemo.TOTPSecret, time.Now())
		res, body := p.post("/agent/login", url.Values{"email": {email}, "password": {site.Demo.Logins.AgentPassword}, "otp": {code}}, true)
		return res.StatusCode, problem.FindString(body)
	}
	ds, dp := answer(agentDemo.Email)
	us, up := answer("nobody.here@dompet.localhost")
	if ds != http.StatusUnauthorized || ds != us || dp != up || dp == "" {
		t.Errorf("disabled: %d %q; unknown: %d %q", ds, dp, us, up)
	}
	rows, _, _ := site.App.Audit.List(ctx, audit.Query{Subject: agentID})
	reasons := map[string]bool{}
	for _, e := range rows {
		reasons[e.Action+": "+e.Reason] = true
	}
	if !reasons["staff.updated: busy week"] || !reasons["staff.disabled: left the company"] {
		t.Errorf("audited staff changes: %v", reasons)
	}
	if rows, _, _ := site.App.Audit.List(ctx, audit.Query{Subject: "general", Action: "team.updated", ActorType: "staff"}); len(rows) != 1 || rows[0].Reason != "lunch break" {
		t.Errorf("audited team changes: %+v", rows)
	}
}

// TestConsoleTools: the canned-reply picker (the page language's replies, filled for the
// conversation, prefilled without JS by ?canned=), the recovery code sent from the customer
// panel and the refund follow-up, each audited and refused without the CSRF token.
func TestConsoleTools(t *testing.T) {
	site := newDemoSite(t)
	ctx := context.Background()
	alice := site.Demo.Users[0]
	conv := site.openChat(t, 0, "refund", "where is my refund?")
	members, err := site.App.Staff.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	var leadViewer support.Viewer
	for _, m := range members {
		ids[m.Email] = m.ID
		if m.Email == site.demoAgent(t, "supervisor", conv.Team).Email {
			leadViewer = support.ViewerOf(m, "127.0.0.1")
		}
	}
	str := func(s string) *string { return &s }
	for _, in := range []support.CannedInput{
		{Locale: str("en"), Team: str(conv.Team), Title: str("Refund on its way"), Body: str("Hello {{customer_name}}, your refund is on its way.")},
		{Locale: str("zh-CN"), Team: str(conv.Team), Title: str("退款处理中"), Body: str("{{customer_name}}您好，您的退款正在处理。")},
		{Locale: str("en"), Team: str("accounts"), Title: str("Other team's reply"), Body: str("not for payments")},
	} {
		if _, err := site.App.Support.CreateCanned(ctx, leadViewer, in); err != nil {
			t.Fatal(err)
		}
	}
	agentDemo := site.demoAgent(t, "agent", conv.Team)
	agentID := ids[agentDemo.Email]
	agent := newConsoleClient(t, site)
	agent.staffLogin(agentDemo)
	page := "/agent/conversations/" + conv.ID
	option := regexp.MustCompile(`<option value="(cnr[^"]*)" data-body="([^"]*)"[^>]*>([^<]*)</option>`)
	// titles lists a page's picker: title → the body filled for the conversation.
	titles := func(page string) (map[string]string, map[string]string) {
		byTitle, ids := map[string]string{}, map[string]string{}
		for _, o := range option.FindAllStringSubmatch(page, -1) {
			byTitle[o[3]], ids[o[3]] = o[2], o[1]
		}
		return byTitle, ids
	}
	_, body := agent.get(page + "?lang=en")
	en, enIDs := titles(body)
	if !strings.Contains(en["Refund on its way"], "Hello "+alice.Name) {
		t.Errorf("en picker lacks the team's reply filled for alice: %q", en)
	}
	if _, ok := en["Other team's reply"]; ok {
		t.Error("en picker shows another team's reply")
	}
	if _, ok := en["退款处理中"]; ok {
		t.Error("en picker shows a zh-CN reply")
	}
	_, zh := agent.get(page + "?lang=zh-CN")
	zhs, _ := titles(zh)
	if !strings.Contains(zhs["退款处理中"], alice.Name+"您好") {
		t.Errorf("zh-CN picker lacks the team's reply filled for alice: %q", zhs)
	}
	if _, ok := zhs["Refund on its way"]; ok {
		t.Error("zh-CN picker shows an en reply")
	}
	// Without JS: the picker's GET fills the reply box on the server.
	_, body = agent.get(page + "?lang=en&canned=" + url.QueryEscape(enIDs["Refund on its way"]))
	if !strings.Contains(body, `name="body" rows="4" required>Hello `+alice.Name+`, your refund is on its way.</textarea>`) {
		t.Errorf("?canned= does not prefill the reply")
	}

	// Without the token nothing is sent or recorded.
	for _, f := range []string{"/agent/customers/" + alice.ID + "/recovery-code", page + "/refund-followups"} {
		if res, _ := agent.post(f, url.Values{"conversation": {conv.ID}, "channel": {"sms"}, "note": {"sneaky"},
			"refund_request_id": {site.Demo.RefundRequest}}, false); res.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without the token: %s", f, res.Status)
		}
	}
	if rows, _, _ := site.App.Audit.List(ctx, audit.Query{Actor: agentID, Action: "customer.recovery_code_sent"}); len(rows) != 0 {
		t.Errorf("a refused recovery code was audited: %+v", rows)
	}

	// The recovery code: the panel has the form; a channel it does not know is refused with
	// the explainer; by SMS the code reaches the customer's phone and the audit log has the note.
	_, body = agent.get(page + "?lang=en")
	if !strings.Contains(body, `id="recovery-form"`) || !strings.Contains(body, `id="followup-form"`) {
		t.Fatal("no recovery or follow-up form")
	}
	if res, body := agent.post("/agent/customers/"+alice.ID+"/recovery-code", url.Values{"conversation": {conv.ID},
		"channel": {"fax"}, "note": {"asked on chat"}}, true); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="problem"`) {
		t.Errorf("recovery code by fax: %s", res.Status)
	}
	res, _ := agent.post("/agent/customers/"+alice.ID+"/recovery-code", url.Values{"conversation": {conv.ID},
		"channel": {"sms"}, "note": {"customer forgot the password, asked on chat"}}, true)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "done=recovery") {
		t.Fatalf("recovery code: %s %s", res.Status, res.Header.Get("Location"))
	}
	if code := site.lastCode(t, alice.Phone); code == "" {
		t.Error("no recovery code reached the phone")
	}
	rows, _, _ := site.App.Audit.List(ctx, audit.Query{Actor: agentID, Action: "customer.recovery_code_sent", Subject: alice.ID})
	if len(rows) != 1 || rows[0].Reason != "customer forgot the password, asked on chat" {
		t.Errorf("recovery code audit: %+v", rows)
	}

	// The refund follow-up: an internal note on the conversation and an audit row.
	if res, _ := agent.post(page+"/refund-followups", url.Values{"refund_request_id": {"rr_not_hers"}, "note": {"checking"}}, true); res.StatusCode != http.StatusBadRequest {
		t.Errorf("follow-up of an unknown request: %s", res.Status)
	}
	res, _ = agent.post(page+"/refund-followups", url.Values{"refund_request_id": {site.Demo.RefundRequest}, "note": {"asked the merchant by phone"}}, true)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "done=followup") {
		t.Fatalf("follow-up: %s %s", res.Status, res.Header.Get("Location"))
	}
	msgs, _ := site.App.Support.Messages(ctx, conv.ID, "", true, 0)
	last := msgs[len(msgs)-1]
	if !last.Internal || !strings.Contains(last.Body, site.Demo.RefundRequest) || !strings.Contains(last.Body, "asked the merchant by phone") {
		t.Errorf("follow-up note: %+v", last)
	}
	rows, _, _ = site.App.Audit.List(ctx, audit.Query{Actor: agentID, Action: "conversation.refund_followup", Subject: alice.ID})
	if len(rows) != 1 || rows[0].Reason != "asked the merchant by phone" {
		t.Errorf("follow-up audit: %+v", rows)
	}

	// The reports page shows the desk's report summary (the JSON API's figures).
	lead := newConsoleClient(t, site)
	lead.staffLogin(site.demoAgent(t, "supervisor", conv.Team))
	_, body = lead.get("/agent/reports?days=7&lang=en")
	sum, err := site.App.Support.Report(ctx, leadViewer, time.Now().AddDate(0, 0, -7), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`id="fig-total">%d<`, sum.Conversations); sum.Conversations == 0 || !strings.Contains(body, want) {
		t.Errorf("reports page lacks %s", want)
	}
	if want := fmt.Sprintf(`id="fig-breaches">%d first responses, %d resolutions<`, sum.SLABreaches.FirstResponse, sum.SLABreaches.Resolution); !strings.Contains(body, want) {
		t.Errorf("reports page lacks %s", want)
	}
}

package main

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/support"
)

// TestConsoleCanned: a supervisor adds a zh-CN and an en canned reply on /agent/canned,
// changes one and deletes the other (asked to confirm first), each shown in the list and recorded in the audit log;
// a title holding <script> is shown as text; the reply reaches the conversation page's picker
// for its team. An agent reads the list but is refused a change in package support's words,
// and a form without the CSRF token changes nothing.
func TestConsoleCanned(t *testing.T) {
	site := newDemoSite(t)
	ctx := context.Background()
	alice := site.Demo.Users[0]
	conv := site.openChat(t, 0, "refund", "where is my refund?")
	leadDemo := site.demoAgent(t, "supervisor", conv.Team)
	agentDemo := site.demoAgent(t, "agent", conv.Team)
	members, err := site.App.Staff.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var leadID string
	var leadViewer support.Viewer
	for _, m := range members {
		if m.Email == leadDemo.Email {
			leadID, leadViewer = m.ID, support.ViewerOf(m, "127.0.0.1")
		}
	}
	stored := func() []support.CannedReply {
		t.Helper()
		list, err := site.App.Support.CannedReplies(ctx, leadViewer, support.CannedFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return list
	}
	actions := func(id string) []string {
		t.Helper()
		rows, _, err := site.App.Audit.List(ctx, audit.Query{Subject: id})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range rows {
			if e.ActorID != leadID || e.TargetType != "canned_reply" {
				t.Errorf("audit entry of %s: %+v", id, e)
			}
			out = append(out, e.Action)
		}
		slices.Sort(out)
		return out
	}
	// created posts the form and returns the new reply's id, read from the redirect.
	lead := newConsoleClient(t, site)
	lead.staffLogin(leadDemo)
	created := func(form url.Values) string {
		t.Helper()
		res, body := lead.post("/agent/canned", form, true)
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/agent/canned?done=created#canned-") {
			t.Fatalf("create %q: %s %s %s", form.Get("title"), res.Status, loc, body)
		}
		return strings.TrimPrefix(loc, "/agent/canned?done=created#canned-")
	}

	res, body := lead.get("/agent/canned")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `method="post" action="/agent/canned"`) || !strings.Contains(body, `href="/agent/canned" aria-current="page"`) {
		t.Fatalf("supervisor's canned replies: %s %s", res.Status, body)
	}
	for _, problem := range a11yProblems(body) {
		t.Errorf("supervisor's page: %s", problem)
	}
	before := len(stored())
	zhID := created(url.Values{"title": {"退款进度"}, "locale": {"zh-CN"}, "team": {conv.Team}, "topic": {"refund"},
		"body": {"{{customer_name}}您好，您的退款已在处理中。"}})
	enID := created(url.Values{"title": {"<script>alert(1)</script> Refund update"}, "locale": {"en"}, "team": {conv.Team},
		"topic": {"refund"}, "body": {"Hello {{customer_name}}, your refund is <b>on its way</b>."}})
	if n := len(stored()); n != before+2 {
		t.Fatalf("%d replies after two were added to %d", n, before)
	}

	// The list: the notice, the zh-CN filter, and the <script> title as text.
	_, body = lead.get("/agent/canned?done=created&locale=zh-CN")
	if !strings.Contains(body, `class="notice"`) || !strings.Contains(body, `id="canned-`+zhID+`"`) || !strings.Contains(body, "退款进度") {
		t.Error("the zh-CN list lacks the new reply or the notice")
	}
	if strings.Contains(body, `id="canned-`+enID+`"`) {
		t.Error("the zh-CN filter shows an en reply")
	}
	_, body = lead.get("/agent/canned?locale=en&team=" + url.QueryEscape(conv.Team) + "&topic=refund")
	if !strings.Contains(body, `id="canned-`+enID+`"`) || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt; Refund update") {
		t.Error("the en list lacks the new reply, escaped")
	}
	if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<b>on its way") {
		t.Error("a reply's markup reaches the page")
	}

	// A refusal is the domain's, on the page with the draft kept; nothing is added.
	res, body = lead.post("/agent/canned", url.Values{"title": {"  "}, "locale": {"en"}, "body": {"kept draft text"}}, true)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `class="problem"`) || !strings.Contains(body, `class="field-error"`) ||
		!strings.Contains(body, ">kept draft text</textarea>") {
		t.Errorf("a reply without a title: %s", res.Status)
	}
	if res, _ := lead.post("/agent/canned/cnr_nobody", url.Values{"title": {"x"}, "locale": {"en"}, "body": {"x"}}, true); res.StatusCode != http.StatusNotFound {
		t.Errorf("changing a reply that does not exist: %s", res.Status)
	}

	res, body = lead.post("/agent/canned/"+enID, url.Values{"title": {"draft of a change"}, "locale": {"fr"}, "body": {"x"}}, true)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `<details open>`) || !strings.Contains(body, `id="title-`+enID+`" name="title" value="draft of a change"`) {
		t.Errorf("a change to an unknown language: %s", res.Status)
	}
	if c, _ := site.App.Support.CannedReply(ctx, enID); c.Locale != "en" || c.Title != "<script>alert(1)</script> Refund update" {
		t.Errorf("a refused change touched the reply: %+v", c)
	}

	// The change and the deletion.
	res, _ = lead.post("/agent/canned/"+enID, url.Values{"title": {"<script>alert(2)</script> Refund sent"}, "locale": {"en"},
		"team": {conv.Team}, "topic": {"refund"}, "body": {"Hello {{customer_name}}, your refund {{ref}} was sent."}}, true)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/agent/canned?done=updated#canned-"+enID {
		t.Errorf("update: %s %s", res.Status, res.Header.Get("Location"))
	}
	if c, err := site.App.Support.CannedReply(ctx, enID); err != nil || c.Title != "<script>alert(2)</script> Refund sent" {
		t.Errorf("the changed reply: %+v %v", c, err)
	}
	// A deletion takes two posts: the first only asks (nothing deleted, nothing audited), the
	// confirmed one deletes; an unknown reply is not found before any question.
	res, body = lead.post("/agent/canned/"+zhID+"/delete", nil, true)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="canned-confirm"`) || !strings.Contains(body, "Delete “退款进度”?") ||
		!strings.Contains(body, "This cannot be undone") || !strings.Contains(body, `<form method="post" action="/agent/canned/`+zhID+`/delete"`) ||
		!strings.Contains(body, `<input type="hidden" name="confirm" value="yes">`) {
		t.Errorf("delete without confirmation: %s, or the page asks no confirmation", res.Status)
	}
	if _, err := site.App.Support.CannedReply(ctx, zhID); err != nil {
		t.Errorf("an unconfirmed deletion deleted the reply: %v", err)
	}
	if got := actions(zhID); !slices.Equal(got, []string{"canned_reply.created"}) {
		t.Errorf("audited after an unconfirmed deletion: %v", got)
	}
	if res, _ := lead.post("/agent/canned/cnr_nope/delete", nil, true); res.StatusCode != http.StatusNotFound {
		t.Errorf("deleting an unknown reply: %s", res.Status)
	}
	res, _ = lead.post("/agent/canned/"+zhID+"/delete", url.Values{"confirm": {"yes"}}, true)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/agent/canned?done=deleted" {
		t.Errorf("delete: %s %s", res.Status, res.Header.Get("Location"))
	}
	if _, err := site.App.Support.CannedReply(ctx, zhID); !errors.Is(err, support.ErrNotFound) {
		t.Errorf("the deleted reply: %v", err)
	}
	_, body = lead.get("/agent/canned?done=deleted")
	if strings.Contains(body, `id="canned-`+zhID+`"`) || !strings.Contains(body, "&lt;script&gt;alert(2)&lt;/script&gt; Refund sent") {
		t.Error("the list after the change and the deletion")
	}
	if got := actions(enID); !slices.Equal(got, []string{"canned_reply.created", "canned_reply.updated"}) {
		t.Errorf("audited for the en reply: %v", got)
	}
	if got := actions(zhID); !slices.Equal(got, []string{"canned_reply.created", "canned_reply.deleted"}) {
		t.Errorf("audited for the zh-CN reply: %v", got)
	}

	// Without the CSRF token nothing changes.
	count := len(stored())
	if res, _ := lead.post("/agent/canned", url.Values{"title": {"sneaky"}, "locale": {"en"}, "body": {"sneaky"}}, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("create without the token: %s", res.Status)
	}
	if res, _ := lead.post("/agent/canned/"+enID+"/delete", url.Values{"confirm": {"yes"}}, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("delete without the token: %s", res.Status)
	}
	if n := len(stored()); n != count {
		t.Errorf("%d replies after refused forms, want %d", n, count)
	}

	// An agent reads the list (with how placeholders are filled), has no forms, and is refused.
	agent := newConsoleClient(t, site)
	agent.staffLogin(agentDemo)
	res, body = agent.get("/agent/canned")
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="canned-`+enID+`"`) || !strings.Contains(body, `id="placeholders"`) ||
		!strings.Contains(body, "{{customer_name}}") {
		t.Errorf("agent's canned replies: %s", res.Status)
	}
	if strings.Contains(body, `method="post" action="/agent/canned`) {
		t.Error("an agent is offered a form to change canned replies")
	}
	res, body = agent.post("/agent/canned", url.Values{"title": {"mine"}, "locale": {"en"}, "body": {"mine"}}, true)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only supervisors and admins manage canned replies.") {
		t.Errorf("an agent adds a reply: %s", res.Status)
	}
	for _, form := range []url.Values{nil, {"confirm": {"yes"}}} { // neither asked nor done
		if res, body := agent.post("/agent/canned/"+enID+"/delete", form, true); res.StatusCode != http.StatusForbidden || strings.Contains(body, `id="canned-confirm"`) {
			t.Errorf("an agent deletes a reply (%v): %s", form, res.Status)
		}
	}
	if n := len(stored()); n != count {
		t.Errorf("%d replies after an agent's refused forms, want %d", n, count)
	}
	if c, _ := site.App.Support.CannedReply(ctx, enID); c.Title != "<script>alert(2)</script> Refund sent" {
		t.Errorf("an agent's refused change touched the reply: %+v", c)
	}

	// The conversation's picker has the reply, escaped, filled for alice.
	_, body = agent.get("/agent/conversations/" + conv.ID + "?lang=en")
	opt := `<option value="` + enID + `" data-body="` + html.EscapeString("Hello "+alice.Name+", your refund "+conv.Ref+" was sent.") +
		`">&lt;script&gt;alert(2)&lt;/script&gt; Refund sent</option>`
	if !strings.Contains(body, opt) {
		t.Errorf("the picker lacks %s", opt)
	}

	// The page in Chinese.
	_, body = agent.get("/agent/canned?lang=zh-CN")
	if !strings.Contains(body, "<h1>快捷回复</h1>") || !strings.Contains(body, "所有团队") {
		t.Error("the zh-CN page")
	}
	for _, problem := range a11yProblems(body) {
		t.Errorf("agent's zh-CN page: %s", problem)
	}
}

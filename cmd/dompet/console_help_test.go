package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/helpcenter"
)

// helpResults is the search results list of a /help?q= page ("" when nothing matched): the
// page lists common articles too, which a search must not be credited with.
var helpResults = regexp.MustCompile(`(?s)<ol class="help-results">.*?</ol>`)

// found tells whether the help search for q, in the reader's language, lists slug.
func (p *helpClient) found(q, slug string) bool {
	p.t.Helper()
	list := helpResults.FindString(p.get("/help?q=" + url.QueryEscape(q)))
	return strings.Contains(list, `href="/help/`+slug+`"`)
}

// TestConsoleHelpEditor: a supervisor drafts a shipped Chinese article (readers keep the old
// text), publishes it (the article and both languages' search have the new text at once) and
// writes a new English article; markup in a body stays text in the preview and on /help; an
// agent reads but may not write; a form without the CSRF token is refused; an over-long body
// is refused with the domain's words and the typed text kept; every change is audited.
func TestConsoleHelpEditor(t *testing.T) {
	site := newDemoSite(t)
	ctx := context.Background()
	hc := site.App.Help
	const slug, zhLoc = "account-locked", "zh-CN"
	editor := "/agent/help/" + slug + "/" + zhLoc
	before, err := hc.Get(ctx, slug, zhLoc)
	if err != nil {
		t.Fatal(err)
	}
	zh := newHelpClient(t, site.URL, "zh-CN")
	en := newHelpClient(t, site.URL, "en")

	// Nobody signed in is sent to the staff login.
	anon := newConsoleClient(t, site)
	for _, path := range []string{"/agent/help", editor, "/agent/help/new"} {
		if res, _ := anon.get(path); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/agent/login?next=") {
			t.Errorf("anonymous %s: %s %s", path, res.Status, res.Header.Get("Location"))
		}
	}

	lead := newConsoleClient(t, site)
	lead.staffLogin(site.demoAgent(t, "supervisor", "general"))
	res, body := lead.get("/agent/help?locale=zh-CN&q=" + url.QueryEscape("锁定"))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `href="/agent/help/`+slug+`/zh-CN"`) ||
		strings.Contains(body, `href="/agent/help/`+slug+`/en"`) || !strings.Contains(body, `href="/agent/help"`) {
		t.Fatalf("the list filtered by language and title: %s", res.Status)
	}
	if _, body := lead.get("/agent/help?status=unpublished"); strings.Contains(body, `href="/agent/help/`+slug) {
		t.Error("a published article is listed as unpublished")
	}
	res, body = lead.get(editor)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="unpublish-form"`) ||
		!strings.Contains(body, `<h1>`+before.Title+`</h1>`) || !strings.Contains(body, `id="save-button">`) {
		t.Fatalf("the editor: %s", res.Status)
	}

	// An agent reads the editor without write buttons; a post anyway is refused in the
	// domain's words and changes nothing.
	agent := newConsoleClient(t, site)
	agent.staffLogin(site.demoAgent(t, "agent", "general"))
	if _, body := agent.get("/agent"); !strings.Contains(body, `href="/agent/help"`) {
		t.Error("the console's nav has no link to the help articles")
	}
	if res, body := agent.get(editor); res.StatusCode != http.StatusOK || !strings.Contains(body, `id="save-button" disabled`) ||
		strings.Contains(body, `id="unpublish-form"`) || !strings.Contains(body, `id="read-only"`) {
		t.Errorf("an agent's editor: %s", res.Status)
	}
	newText := "## 新的说明\n\n请使用紫晶盾牌功能 zyxquartz 解锁。\n\n<script>alert(1)</script> <img src=x onerror=alert(2)>"
	draftForm := url.Values{"category": {before.Category}, "title": {"账户被锁定了？这样解锁"}, "tags": {"锁定, 解锁"},
		"body": {newText}, "reason": {"clearer steps"}}
	res, body = agent.post(editor+"/draft", draftForm, true)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Only supervisors and admins edit help-center articles.") {
		t.Errorf("an agent's draft: %s", res.Status)
	}
	for _, action := range []string{"publish", "unpublish"} {
		if res, _ := agent.post(editor+"/"+action, url.Values{"reason": {"x"}}, true); res.StatusCode != http.StatusForbidden {
			t.Errorf("an agent's %s: %s", action, res.Status)
		}
	}
	if res, _ := agent.post("/agent/help/new", url.Values{"slug": {"agent-wrote-this"}, "locale": {"en"}, "category": {"account"},
		"title": {"Mine"}, "body": {"text"}}, true); res.StatusCode != http.StatusForbidden {
		t.Errorf("an agent's new article: %s", res.Status)
	}
	// Without the CSRF token even a supervisor is refused.
	if res, _ := lead.post(editor+"/draft", draftForm, false); res.StatusCode != http.StatusForbidden {
		t.Errorf("a draft without the CSRF token: %s", res.Status)
	}
	if a, _ := hc.Get(ctx, slug, zhLoc); a.Draft != nil || a.Status != helpcenter.StatusPublished {
		t.Fatalf("a refused post changed the article: %+v", a)
	}
	if _, err := hc.Get(ctx, "agent-wrote-this", "en"); err == nil {
		t.Error("an agent's article was created")
	}

	// The draft: the editor previews it as text, readers still see the old article.
	res, _ = lead.post(editor+"/draft", draftForm, true)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != editor+"?done=help_draft" {
		t.Fatalf("save draft: %s %s", res.Status, res.Header.Get("Location"))
	}
	_, body = lead.get(editor + "?done=help_draft")
	preview := regexp.MustCompile(`(?s)<section class="preview".*?</section>`).FindString(body)
	if !strings.Contains(preview, "紫晶盾牌") || !strings.Contains(preview, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
		!strings.Contains(preview, "&lt;img src=x onerror=alert(2)&gt;") || strings.Contains(body, "<script>alert") ||
		strings.Contains(body, "<img") || !strings.Contains(preview, "<h2>新的说明</h2>") {
		t.Errorf("the preview: %s", preview)
	}
	if !strings.Contains(body, `id="published"`) || !strings.Contains(body, "Draft saved.") || !strings.Contains(body, " · "+site.demoAgent(t, "supervisor", "general").Name+"</dd>") {
		t.Error("the editor shows neither the published text nor the notice")
	}
	if page := zh.get("/help/" + slug); strings.Contains(page, "紫晶盾牌") || !strings.Contains(page, before.Title) {
		t.Error("readers see the draft before it is published")
	}
	if zh.found("紫晶盾牌", slug) {
		t.Error("search finds the unpublished draft")
	}

	// Publish: the article and the search of both languages have the new text at once.
	if res, _ := lead.post(editor+"/publish", url.Values{"reason": {"new unlock steps"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish: %s", res.Status)
	}
	page := zh.get("/help/" + slug)
	if !strings.Contains(page, "紫晶盾牌") || !strings.Contains(page, "账户被锁定了？这样解锁") || strings.Contains(page, "<script>alert") ||
		strings.Contains(page, "<img") || !strings.Contains(page, "&lt;img src=x onerror=alert(2)&gt;") {
		t.Errorf("the published article: %s", page)
	}
	if !zh.found("紫晶盾牌", slug) || !en.found("zyxquartz", slug) {
		t.Error("search does not find the published words")
	}

	// A new English article: created unpublished, then published and found.
	create := url.Values{"slug": {"qr-stickers"}, "locale": {"en"}, "category": {"payments"}, "title": {"Paying with QR stickers"},
		"tags": {"qr, sticker"}, "body": {"Scan the **quokkaband** sticker at the till."}, "reason": {"new shops"}}
	res, _ = lead.post("/agent/help/new", create, true)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/agent/help/qr-stickers/en?done=help_created" {
		t.Fatalf("create: %s %s", res.Status, res.Header.Get("Location"))
	}
	if res, _ := lead.post("/agent/help/new", create, true); res.StatusCode != http.StatusConflict {
		t.Errorf("the same slug and language again: %s", res.Status)
	}
	if code, _, _ := en.do("GET", "/help/qr-stickers", nil); code != http.StatusNotFound || en.found("quokkaband", "qr-stickers") {
		t.Errorf("an unpublished article is shown: %d", code)
	}
	lead.get("/agent/help/qr-stickers/en")
	if res, _ := lead.post("/agent/help/qr-stickers/en/publish", url.Values{"reason": {"ready"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publish the new article: %s", res.Status)
	}
	if !en.found("quokkaband", "qr-stickers") || !strings.Contains(en.get("/help/qr-stickers"), "<strong>quokkaband</strong>") {
		t.Error("the new article is not found or not shown")
	}
	if _, body := lead.get("/agent/help?q=QR+stick"); !strings.Contains(body, `href="/agent/help/qr-stickers/en"`) {
		t.Error("the list's title search misses the new article")
	}

	// An over-long body: the domain's refusal, the typed text kept, nothing saved.
	long := "KEEPME " + strings.Repeat("长", 50_001)
	res, body = lead.post(editor+"/draft", url.Values{"category": {before.Category}, "title": {"太长"}, "body": {long}}, true)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "body: is required, at most 50000 characters") ||
		!strings.Contains(body, ">KEEPME 长长长") || !strings.Contains(body, `value="太长"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("an over-long body: %s", res.Status)
	}
	if a, _ := hc.Get(ctx, slug, zhLoc); a.Draft != nil {
		t.Error("the over-long body was saved")
	}
	// The same refusal in Chinese on a Chinese page.
	lead.get(editor + "?lang=zh-CN")
	if res, body := lead.post(editor+"/draft?lang=zh-CN", url.Values{"category": {before.Category}, "title": {"太长"}, "body": {long}}, true); res.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, "为必填项，最多 50000 个字符") || !strings.Contains(body, "帮助文章") {
		t.Errorf("the Chinese refusal: %s", res.Status)
	}

	// Discard a draft, unpublish the new article.
	lead.get(editor)
	lead.post(editor+"/draft", url.Values{"category": {before.Category}, "title": {"临时"}, "body": {"临时"}}, true)
	if res, _ := lead.post(editor+"/discard", url.Values{"reason": {"not needed"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("discard: %s", res.Status)
	}
	if res, _ := lead.post("/agent/help/qr-stickers/en/unpublish", url.Values{"reason": {"shop closed"}}, true); res.StatusCode != http.StatusSeeOther {
		t.Errorf("unpublish: %s", res.Status)
	}
	if code, _, _ := en.do("GET", "/help/qr-stickers", nil); code != http.StatusNotFound || en.found("quokkaband", "qr-stickers") {
		t.Errorf("an unpublished article is still shown: %d", code)
	}
	if a, _ := hc.Get(ctx, slug, zhLoc); a.Draft != nil || !strings.Contains(a.Body, "紫晶盾牌") {
		t.Errorf("after discarding: %+v", a)
	}

	// The audit log: each change, with its reason, by the supervisor.
	lead1 := site.demoAgent(t, "supervisor", "general")
	members, _ := site.App.Staff.List(ctx)
	var leadID string
	for _, m := range members {
		if m.Email == lead1.Email {
			leadID = m.ID
		}
	}
	want := map[string][]string{
		slug + "/" + zhLoc: {"help.draft_discarded: not needed", "help.draft_saved: ", "help.article_published: new unlock steps", "help.draft_saved: clearer steps"},
		"qr-stickers/en":   {"help.article_unpublished: shop closed", "help.article_published: ready", "help.article_created: new shops"},
	}
	for target, actions := range want {
		rows, _, err := site.App.Audit.List(ctx, audit.Query{Subject: target, ActorType: "staff"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range rows {
			if e.ActorID != leadID {
				t.Errorf("%s by %s, want the supervisor %s", e.Action, e.ActorID, leadID)
			}
			got = append(got, e.Action+": "+e.Reason)
		}
		if strings.Join(got, "|") != strings.Join(actions, "|") {
			t.Errorf("audit of %s: %q, want %q", target, got, actions)
		}
	}
}

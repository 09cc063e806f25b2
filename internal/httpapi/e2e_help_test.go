package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/audit"
)

type apiHelpResults struct {
	Items []struct {
		Slug, Title, Snippet, Category, Locale string
	} `json:"items"`
}

type apiHelpArticle struct {
	Slug     string   `json:"slug"`
	Locale   string   `json:"locale"`
	Title    string   `json:"title"`
	Markdown string   `json:"body_markdown"`
	HTML     string   `json:"body_html"`
	Locales  []string `json:"locales"`
}

type apiHelpAdmin struct {
	Slug   string `json:"slug"`
	Locale string `json:"locale"`
	Title  string `json:"title"`
	Status string `json:"status"`
	Edited bool   `json:"edited"`
	Draft  *struct {
		Title string `json:"title"`
	} `json:"draft"`
	Votes struct {
		Helpful    int `json:"helpful"`
		NotHelpful int `json:"not_helpful"`
	} `json:"votes"`
}

// TestE2EHelpCenter: search in both languages (typos and partial words), articles with their
// rendered body, votes counted once per voter and shown to staff, editing with drafts and
// publishing by supervisors only, audited; a script in an article stays text.
func TestE2EHelpCenter(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	search := func(q, lang string) apiHelpResults {
		t.Helper()
		var res apiHelpResults
		decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/help/articles?q="+url.QueryEscape(q), "", nil, hdr{"Accept-Language", lang}), 200), &res)
		return res
	}
	for _, c := range []struct{ q, lang, slug string }{
		{"锁定", "zh-CN", "account-locked"}, {"forgot pasword", "en", "forgot-password"}, {"withdr", "en", "withdrawal"},
		{"退款申请 证据", "zh-CN", "request-refund"}, {"insufficient balance", "en", "insufficient-balance"},
	} {
		res := search(c.q, c.lang)
		if len(res.Items) == 0 || res.Items[0].Slug != c.slug || res.Items[0].Locale != c.lang || res.Items[0].Snippet == "" {
			t.Errorf("%q: %+v", c.q, res.Items)
		}
	}
	// ?locale= beats Accept-Language; a category filters; no q lists the category.
	var res apiHelpResults
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/help/articles?q=locked&locale=zh-CN", "", nil), 200), &res)
	if len(res.Items) == 0 || res.Items[0].Slug != "account-locked" {
		t.Errorf("locked in zh-CN: %+v", res.Items)
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/help/articles?category=refunds&locale=en", "", nil), 200), &res)
	if len(res.Items) < 3 {
		t.Errorf("refunds category: %+v", res.Items)
	}
	for _, it := range res.Items {
		if it.Category != "refunds" {
			t.Errorf("refunds category lists %s", it.Slug)
		}
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/help/articles?locale=fr", "", nil, invalidOnPurpose), 400, "invalid_request")
	want(t, e.do(t, "GET", "/api/v1/help/categories?locale=zh-CN", "", nil), 200)

	var art apiHelpArticle
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/help/articles/account-locked", "", nil, hdr{"Accept-Language", "zh-CN"}), 200), &art)
	if art.Locale != "zh-CN" || !strings.Contains(art.Title, "锁定") || !strings.Contains(art.HTML, "<strong>5 次输错密码</strong>") ||
		len(art.Locales) != 2 || art.Markdown == "" {
		t.Fatalf("article: %+v", art)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/help/articles/nope", "", nil), 404, "not_found")

	// Votes: one per voter; a signed-in user and an anonymous visitor count apart.
	u := e.newUser(t, userOpts{})
	want(t, e.do(t, "POST", "/api/v1/help/articles/fees/votes", "", map[string]any{"helpful": true}), 204)
	want(t, e.do(t, "POST", "/api/v1/help/articles/fees/votes", "", map[string]any{"helpful": true}), 204)
	want(t, e.do(t, "POST", "/api/v1/help/articles/fees/votes", u.Token, map[string]any{"helpful": true}), 204)
	want(t, e.do(t, "POST", "/api/v1/help/articles/fees/votes", u.Token, map[string]any{"helpful": false}), 204)
	wantProblem(t, e.do(t, "POST", "/api/v1/help/articles/fees/votes", "", map[string]any{}, invalidOnPurpose), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", "/api/v1/help/articles/nope/votes", "", map[string]any{"helpful": true}), 404, "not_found")

	// Staff: agents read (with votes) but may not edit; supervisors edit.
	_, agentTok := deskStaff(t, e, "ani", "agent", "general")
	_, supTok := deskStaff(t, e, "budi", "supervisor", "general")
	var adm apiHelpAdmin
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/help/articles/fees/en", agentTok, nil), 200), &adm)
	if adm.Votes.Helpful != 1 || adm.Votes.NotHelpful != 1 || adm.Status != "published" {
		t.Fatalf("fees for staff: %+v", adm)
	}
	draft := map[string]any{"category": "account", "title": "Locked out? <script>alert(1)</script>",
		"tags": []string{"locked"}, "body": "Wait 30 minutes. <img src=x onerror=alert(1)> [x](javascript:alert)", "reason": "clearer"}
	wantProblem(t, e.do(t, "PUT", "/api/v1/agent/help/articles/account-locked/en/draft", agentTok, draft), 403, "forbidden")
	decodeJSON(t, want(t, e.do(t, "PUT", "/api/v1/agent/help/articles/account-locked/en/draft", supTok, draft), 200), &adm)
	if adm.Draft == nil || adm.Status != "published" {
		t.Fatalf("draft: %+v", adm)
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/help/articles/account-locked?locale=en", "", nil), 200), &art)
	if strings.Contains(art.Title, "script") {
		t.Fatal("a draft is visible to readers")
	}
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/agent/help/articles/account-locked/en/publish", supTok, map[string]any{"reason": "clearer"}), 200), &adm)
	if !adm.Edited || adm.Draft != nil {
		t.Fatalf("published: %+v", adm)
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/help/articles/account-locked?locale=en", "", nil), 200), &art)
	if art.HTML != "<p>Wait 30 minutes. &lt;img src=x onerror=alert(1)&gt; x</p>\n" || art.Title != "Locked out? <script>alert(1)</script>" {
		t.Fatalf("published article: %q %q", art.Title, art.HTML)
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/help/articles/account-locked/en/publish", supTok, map[string]any{}), 409, "invalid_state")
	wantProblem(t, e.do(t, "DELETE", "/api/v1/agent/help/articles/account-locked/en/draft", supTok, nil), 409, "invalid_state")

	// A new article: a draft nobody reads until published, then found by search.
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/help/articles", supTok, map[string]any{"slug": "Bad", "locale": "en",
		"category": "nope", "title": "", "body": ""}, invalidOnPurpose), 400, "invalid_request")
	want(t, e.do(t, "POST", "/api/v1/agent/help/articles", supTok, map[string]any{"slug": "qris-payments", "locale": "en",
		"category": "payments", "title": "Paying with a QRIS code", "body": "Scan the merchant's QRIS code."}), 201)
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/help/articles", supTok, map[string]any{"slug": "qris-payments", "locale": "en",
		"category": "payments", "title": "Again", "body": "Again."}), 409, "already_exists")
	wantProblem(t, e.do(t, "GET", "/api/v1/help/articles/qris-payments", "", nil), 404, "not_found")
	want(t, e.do(t, "POST", "/api/v1/agent/help/articles/qris-payments/en/publish", supTok, map[string]any{}), 200)
	if res := search("qris", "en"); len(res.Items) == 0 || res.Items[0].Slug != "qris-payments" {
		t.Fatalf("qris: %+v", res.Items)
	}
	want(t, e.do(t, "POST", "/api/v1/agent/help/articles/qris-payments/en/unpublish", supTok, map[string]any{}), 200)
	wantProblem(t, e.do(t, "GET", "/api/v1/help/articles/qris-payments", "", nil), 404, "not_found")
	var list struct {
		Items []apiHelpAdmin `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/help/articles?status=unpublished", agentTok, nil), 200), &list)
	if len(list.Items) != 1 || list.Items[0].Slug != "qris-payments" {
		t.Fatalf("unpublished: %+v", list.Items)
	}
	entries, _, err := e.app.Audit.List(context.Background(), audit.Query{Subject: "qris-payments/en"})
	if err != nil || len(entries) != 3 {
		t.Fatalf("audit: %+v %v", entries, err)
	}
}

// TestE2ESuggestedArticles: a new conversation suggests articles on its topic in the
// customer's language.
func TestE2ESuggestedArticles(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	a := e.newUser(t, userOpts{locale: "zh-CN"})
	var c struct {
		SuggestedArticles []struct{ Slug, Title, Snippet string } `json:"suggested_articles"`
	}
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", a.Token, map[string]any{
		"topic": "account_locked", "message": "密码输错了，账户被锁定", "channel": "chat"}), http.StatusCreated), &c)
	if len(c.SuggestedArticles) == 0 || c.SuggestedArticles[0].Slug != "account-locked" || !strings.Contains(c.SuggestedArticles[0].Title, "锁定") {
		t.Fatalf("suggested: %+v", c.SuggestedArticles)
	}
}

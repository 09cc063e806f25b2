package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/wallet"
)

// newChatSite is `serve --demo` on a test server, for page tests without a browser.
func newChatSite(t *testing.T, setCfg func(*config.Config)) *browserSite {
	t.Helper()
	return newDemoSiteConfig(t, setCfg)
}

// chatClient is a browser without JavaScript: a cookie jar, no redirects followed.
type chatClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

// newChatClient logs login in (through the page) and keeps its cookies.
func newChatClient(t *testing.T, site *browserSite, login, password string) *chatClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	p := &chatClient{t: t, base: site.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
	if login != "" {
		_, page := p.get("/login")
		res, body := p.post("/login", url.Values{"csrf": {chatCSRF(t, page)}, "login": {login}, "password": {password}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("login %s: %s %s", login, res.Status, body)
		}
	}
	return p
}

func (p *chatClient) do(req *http.Request) (*http.Response, string) {
	p.t.Helper()
	req.Header.Set("Accept-Language", "en")
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

func (p *chatClient) get(path string) (*http.Response, string) {
	p.t.Helper()
	req, _ := http.NewRequest("GET", p.base+path, nil)
	return p.do(req)
}

func (p *chatClient) post(path string, form url.Values) (*http.Response, string) {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.base)
	return p.do(req)
}

// postFile posts the chat's message form as the page does: csrf first, then the fields, then the file.
func (p *chatClient) postFile(path, csrf, text string, name string, content io.Reader) (*http.Response, string) {
	p.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		if csrf != "" {
			_ = mw.WriteField("csrf", csrf)
		}
		_ = mw.WriteField("client_id", "page-"+name)
		_ = mw.WriteField("body", text)
		if content != nil {
			fw, _ := mw.CreateFormFile("file", name)
			_, _ = io.Copy(fw, content)
		}
		pw.CloseWithError(mw.Close())
	}()
	req, _ := http.NewRequest("POST", p.base+path, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", p.base)
	return p.do(req)
}

var chatCSRFField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func chatCSRF(t *testing.T, page string) string {
	t.Helper()
	m := chatCSRFField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no csrf field in the page:\n%s", page)
	}
	return m[1]
}

// failedPayment finds a demo user with a failed transaction.
func chatFailedPayment(t *testing.T, site *browserSite) (demoUser, wallet.Transaction) {
	t.Helper()
	for _, u := range site.Demo.Users {
		page, err := site.App.Wallet.Transactions(context.Background(), u.ID, wallet.Filter{Status: wallet.StatusFailed, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 0 {
			return u, page.Items[0]
		}
	}
	t.Fatal("the demo has no failed transaction")
	return demoUser{}, wallet.Transaction{}
}

// assignToTeamAgent gives a queued conversation to an agent of its team (by the demo
// supervisor) and returns the agent it is assigned to, whether just now or before.
func assignToTeamAgent(t *testing.T, site *browserSite, conv support.Conversation) staff.Staff {
	t.Helper()
	ctx := context.Background()
	if conv.AssigneeID == nil {
		list, err := site.App.Staff.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if m.Role == staff.RoleAgent && m.Team == conv.Team && !m.Disabled {
				if conv, err = site.App.Support.Assign(ctx, chatLead(t, site), conv.ID, m.ID); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		if conv.AssigneeID == nil {
			t.Fatalf("no agent of team %s in the demo", conv.Team)
		}
	}
	m, err := site.App.Staff.Member(ctx, *conv.AssigneeID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// lead is a supervisor of the demo desk, as the support domain sees staff.
func chatLead(t *testing.T, site *browserSite) support.Viewer {
	t.Helper()
	list, err := site.App.Staff.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.Role == staff.RoleSupervisor {
			return support.ViewerOf(m, "127.0.0.1")
		}
	}
	t.Fatal("no demo supervisor")
	return support.Viewer{}
}

// TestChatPages: the customer's chat pages without JavaScript. A chat started from a failed
// transaction carries it to the desk; every form refuses a missing CSRF token and changes
// nothing; a script in a message is shown as text; internal notes and other users'
// conversations stay hidden; an oversized file is refused and the text kept; a resolved
// conversation is rated once.
func TestChatPages(t *testing.T) {
	site := newChatSite(t, func(c *config.Config) { c.FrameAncestors = []string{"https://shop.example"} })
	ctx := context.Background()
	u, tx := chatFailedPayment(t, site)
	p := newChatClient(t, site, u.Email, u.Password)
	count := func() int {
		list, _, err := site.App.Support.CustomerConversations(ctx, u.ID, support.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	res, page := p.get("/chat?transaction_id=" + tx.ID + "&article=payment-failed")
	tx.Localize("en")
	if res.StatusCode != 200 || !strings.Contains(page, tx.FailureReason) || !strings.Contains(page, `value="payment_failed" selected`) {
		t.Fatalf("start page: %s, reason %q not shown or topic not chosen:\n%s", res.Status, tx.FailureReason, page)
	}
	form := url.Values{"topic": {"payment_failed"}, "message": {"<script>alert(1)</script> my payment failed"},
		"transaction_id": {tx.ID}, "article": {"payment-failed"}, "key": {"k-0123456789abcdef"}}
	before := count()
	if res, _ := p.post("/chat", form); res.StatusCode != http.StatusForbidden || count() != before {
		t.Fatalf("start without CSRF: %s, conversations %d → %d", res.Status, before, count())
	}
	form.Set("csrf", chatCSRF(t, page))
	res, _ = p.post("/chat", form)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/chat/") {
		t.Fatalf("start: %s → %q", res.Status, loc)
	}
	if again, _ := p.post("/chat", form); again.Header.Get("Location") != loc || count() != before+1 {
		t.Errorf("the same form twice: %q then %q, %d conversations", loc, again.Header.Get("Location"), count()-before)
	}
	convID := strings.TrimPrefix(loc, "/chat/")
	conv, err := site.App.Support.CustomerConversation(ctx, u.ID, convID)
	if err != nil || conv.TransactionID != tx.ID || conv.Topic != "payment_failed" {
		t.Fatalf("the desk's conversation: %+v, %v", conv, err)
	}
	v := chatLead(t, site)
	if _, err := site.App.Support.AgentPost(ctx, v, convID, "SECRET-NOTE for staff", true); err != nil {
		t.Fatal(err)
	}
	res, page = p.get(loc)
	if res.StatusCode != 200 {
		t.Fatalf("conversation page: %s", res.Status)
	}
	if strings.Contains(page, "<script>alert(1)") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the script in the message is not shown as text")
	}
	if strings.Contains(page, "SECRET-NOTE") {
		t.Error("the customer sees an internal note")
	}
	if !strings.Contains(page, "/help/payment-failed") || !strings.Contains(page, tx.FailureReason) {
		t.Error("the article or the transaction the chat started from is not on the conversation")
	}
	if !strings.Contains(page, `src="/static/chat.js"`) || strings.Contains(page, "<script>") {
		t.Error("the page's script is not the static file alone")
	}

	other := site.Demo.Users[0]
	if other.ID == u.ID {
		other = site.Demo.Users[1]
	}
	q := newChatClient(t, site, other.Email, other.Password)
	if res, body := q.get(loc); res.StatusCode != http.StatusNotFound || strings.Contains(body, "my payment failed") {
		t.Errorf("another user's conversation: %s", res.Status)
	}

	msgs := func() int {
		m, err := site.App.Support.CustomerMessages(ctx, u.ID, convID, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(m)
	}
	n := msgs()
	csrf := chatCSRF(t, page)
	if res, _ := p.postFile(loc+"/messages", "", "no token", "a.png", nil); res.StatusCode != http.StatusForbidden || msgs() != n {
		t.Errorf("send without CSRF: %s, %d messages → %d", res.Status, n, msgs())
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 100)...)
	if res, body := q.postFile(loc+"/messages", chatCSRF(t, bodyOf(q.get("/chat"))), "not mine", "b.png", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("another user posts: %s %s", res.Status, body)
	}
	big := io.MultiReader(bytes.NewReader(png), io.LimitReader(zeros{}, wallet.MaxAttachment))
	res, page = p.postFile(loc+"/messages", csrf, "keep this text", "big.png", big)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(page, ">keep this text</textarea>") || msgs() != n {
		t.Errorf("oversized file: %s, text kept %v, messages %d → %d", res.Status, strings.Contains(page, "keep this text"), n, msgs())
	}
	res, _ = p.postFile(loc+"/messages", csrf, "here is the receipt", "receipt.png", bytes.NewReader(png))
	if res.StatusCode != http.StatusSeeOther || msgs() != n+1 {
		t.Fatalf("send with a file: %s, %d messages", res.Status, msgs())
	}
	_, page = p.get(loc)
	if !strings.Contains(page, "here is the receipt") || !strings.Contains(page, ">receipt.png</a>") {
		t.Error("the message with its file is not on the page")
	}

	if _, err := site.App.Support.SetStatus(ctx, v, convID, support.StatusResolved); err != nil {
		t.Fatal(err)
	}
	_, page = p.get(loc)
	if !strings.Contains(page, `name="score"`) {
		t.Fatal("no rating form once resolved")
	}
	if res, _ := p.post(loc+"/rating", url.Values{"score": {"5"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("rate without CSRF: %s", res.Status)
	}
	if res, _ := p.post(loc+"/rating", url.Values{"score": {"5"}, "csrf": {chatCSRF(t, page)}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("rate: %s", res.Status)
	}
	if c, _ := site.App.Support.CustomerConversation(ctx, u.ID, convID); c.Rating == nil || c.Rating.Score != 5 {
		t.Errorf("rating stored: %+v", c.Rating)
	}
	_, page = p.get("/chat")
	if !strings.Contains(page, "#"+conv.Ref) {
		t.Error("/chat does not list the earlier conversation")
	}
}

// TestChatWidget: /widget.js is JavaScript other sites may load; /chat?embed=1 may be framed
// by this site and DOMPET_FRAME_ANCESTORS only, and asks an anonymous visitor to log in at the
// top level; the ordinary pages may not be framed at all.
func TestChatWidget(t *testing.T) {
	site := newChatSite(t, func(c *config.Config) { c.FrameAncestors = []string{"https://shop.example"} })
	p := newChatClient(t, site, "", "")
	res, js := p.get("/widget.js")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(js, "/chat?embed=1") {
		t.Fatalf("widget.js: %s %q", res.Status, res.Header.Get("Content-Type"))
	}
	res, page := p.get("/chat?embed=1")
	csp := res.Header.Get("Content-Security-Policy")
	if res.StatusCode != 200 || res.Header.Get("X-Frame-Options") != "" || !strings.Contains(csp, "frame-ancestors 'self' https://shop.example") {
		t.Errorf("embedded chat: %s, XFO %q, CSP %q", res.Status, res.Header.Get("X-Frame-Options"), csp)
	}
	if !strings.Contains(page, `target="_blank"`) || !strings.Contains(page, "/login?next=%2Fchat") || !strings.Contains(page, `class="page-chat embed"`) {
		t.Errorf("embedded chat for an anonymous visitor:\n%s", page)
	}
	if res, _ := p.get("/chat"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
		t.Errorf("/chat anonymous: %s %q", res.Status, res.Header.Get("Location"))
	}
	if res, _ := p.get("/login"); res.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("the login page may be framed")
	}
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	clear(b)
	return len(b), nil
}

func bodyOf(_ *http.Response, b string) string { return b }

// TestChatPagesOutsideHours: a chat started while the desk is closed (today a holiday for every
// team) shows the promised email reply instead of a queue place; in the widget's frame
// (same site, so signed in) the pages stay embedded from the form to the conversation.
func TestChatPagesOutsideHours(t *testing.T) {
	site := newChatSite(t, nil)
	ctx := context.Background()
	now := time.Now().UTC()
	if now.Hour() == 23 && now.Minute() >= 58 {
		t.Skip("too close to midnight for the holiday to hold during the test")
	}
	var week []staff.Period
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		week = append(week, staff.Period{Day: d, Start: "00:00", End: "24:00"})
	}
	teams, err := site.App.Staff.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		h := staff.BusinessHours{TimeZone: "UTC", Weekly: week, Holidays: []string{now.Format(time.DateOnly)}}
		if _, err := site.App.Staff.UpdateTeam(ctx, staff.Operator(), tm.Slug, staff.TeamChange{BusinessHours: &h, Reason: "holiday"}); err != nil {
			t.Fatal(err)
		}
	}
	u := site.Demo.Users[0]
	p := newChatClient(t, site, u.Email, u.Password)
	res, page := p.get("/chat?embed=1")
	if res.StatusCode != 200 || !strings.Contains(page, `action="/chat?embed=1"`) || !strings.Contains(page, `class="page-chat embed"`) {
		t.Fatalf("embedded start page: %s\n%s", res.Status, page)
	}
	res, _ = p.post("/chat?embed=1", url.Values{"csrf": {chatCSRF(t, page)}, "topic": {"other"}, "message": {"are you there?"}, "key": {randomTestKey()}})
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?embed=1") {
		t.Fatalf("start: %s → %q", res.Status, loc)
	}
	_, page = p.get(loc)
	if !strings.Contains(page, "we will reply by email after") || strings.Contains(page, `id="chat-queue"`) {
		t.Errorf("closed desk: no promised reply time, or a queue place:\n%s", page)
	}
	if !strings.Contains(page, `/messages?embed=1"`) {
		t.Error("the embedded conversation's form leaves the frame's layout")
	}
}

func randomTestKey() string {
	return "test-" + strings.Repeat("k", 20) + time.Now().Format("150405.000000")
}

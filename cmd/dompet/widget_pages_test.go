package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/identity"
)

// frameClient is the widget's frame on a merchant's site of another domain, as the browser
// treats it: the Lax cookies of Dompet (session, CSRF) are neither sent nor kept, only the
// widget's own cookie, which it sends by hand (Go's jar keeps no Secure cookie over http).
type frameClient struct {
	t      *testing.T
	base   string
	widget string // the dompet_widget cookie's value
}

func (f *frameClient) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, f.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en")
	if method == "POST" {
		req.Header.Set("Sec-Fetch-Site", "same-origin") // the frame is of Dompet's origin
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if f.widget != "" {
		req.AddCookie(&http.Cookie{Name: "dompet_widget", Value: f.widget})
	}
	res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, string(b)
}

var widgetCodeAttr = regexp.MustCompile(`id="widget-grant"[^>]*data-code="([^"]+)"`)

// widgetGrant allows the chat on /widget/connect as top's user and returns the grant code.
func widgetGrant(t *testing.T, top *chatClient) string {
	t.Helper()
	res, page := top.get("/widget/connect")
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="widget-allow"`) {
		t.Fatalf("/widget/connect: %s\n%s", res.Status, page)
	}
	if res.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("/widget/connect may be framed: X-Frame-Options %q", res.Header.Get("X-Frame-Options"))
	}
	res, page = top.post("/widget/connect", url.Values{"csrf": {chatCSRF(t, page)}})
	m := widgetCodeAttr.FindStringSubmatch(page)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("allow: %s\n%s", res.Status, page)
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("the grant page may be cached: %q", cc)
	}
	return m[1]
}

// redeem trades code for the widget's cookie in frame f; it returns the answer.
func (f *frameClient) redeem(code string) *http.Response {
	f.t.Helper()
	res, _ := f.do("POST", "/widget/session", url.Values{"code": {code}}, "Origin", f.base)
	for _, c := range res.Cookies() {
		if c.Name == "dompet_widget" && c.Value != "" {
			f.widget = c.Value
		}
	}
	return res
}

// TestWidgetSignIn: the widget's frame on another site signs in through a grant minted on
// Dompet's own page: a code used once, for a chat-only session in a SameSite=None,
// Partitioned, Secure, HttpOnly cookie, which opens the chat pages and nothing else, is listed
// in the security centre and ends there or in the frame.
func TestWidgetSignIn(t *testing.T) {
	site := newChatSite(t, nil)
	ctx := context.Background()
	alice := site.Demo.Users[0]
	top := newChatClient(t, site, alice.Email, alice.Password)
	frame := &frameClient{t: t, base: site.URL}

	// Anonymous, the frame offers the popup on this loopback host; over plain http elsewhere
	// the cookie could not be kept, and it opens the login in a new tab as before.
	if _, page := frame.do("GET", "/chat?embed=1", nil); !strings.Contains(page, `id="widget-signin"`) || !strings.Contains(page, `data-connect="/widget/connect"`) {
		t.Errorf("the anonymous frame offers no sign-in popup:\n%s", page)
	}
	req, _ := http.NewRequest("GET", site.URL+"/chat?embed=1", nil)
	req.Host = "dompet.example"
	if res, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if strings.Contains(string(b), `id="widget-signin"`) || !strings.Contains(string(b), `href="/login?next=%2Fchat"`) {
			t.Errorf("over plain http on another host the frame should open the login in a new tab:\n%s", b)
		}
	}

	// Not signed in on Dompet: the popup logs in first and comes back.
	anon := newChatClient(t, site, "", "")
	if res, _ := anon.get("/widget/connect"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fwidget%2Fconnect" {
		t.Errorf("anonymous /widget/connect: %s %s", res.Status, res.Header.Get("Location"))
	}
	// The grant is a CSRF-protected form.
	if res, _ := top.post("/widget/connect", url.Values{"csrf": {"forged"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a grant without the CSRF token: %s", res.Status)
	}

	code := widgetGrant(t, top)
	// Another site's request cannot redeem it (nor sign a visitor into another account).
	res, body := frame.do("POST", "/widget/session", url.Values{"code": {code}}, "Origin", "https://evil.example",
		"Sec-Fetch-Site", "cross-site", "Accept-Language", "zh-CN")
	if p := widgetProblem(t, res, body); res.StatusCode != http.StatusForbidden || p.Code != "forbidden" || p.Detail != "只有 Dompet 自己的页面可以发出此请求。" {
		t.Errorf("a cross-site redemption: %s %+v", res.Status, p)
	}
	res = frame.redeem(code)
	if res.StatusCode != http.StatusNoContent || frame.widget == "" {
		t.Fatalf("redeem: %s, cookie %q", res.Status, frame.widget)
	}
	set := res.Header.Get("Set-Cookie")
	for _, attr := range []string{"HttpOnly", "Secure", "SameSite=None", "Partitioned"} {
		if !strings.Contains(set, attr) {
			t.Errorf("the widget cookie lacks %s: %s", attr, set)
		}
	}
	// Single use.
	for _, c := range []string{code, "not-a-code"} { // used, made up
		res, body := (&frameClient{t: t, base: site.URL}).do("POST", "/widget/session", url.Values{"code": {c}}, "Origin", site.URL)
		if p := widgetProblem(t, res, body); res.StatusCode < 400 || res.StatusCode >= 500 || p.Code == "" || p.Detail == "" {
			t.Errorf("redeeming %q: %s %+v", c, res.Status, p)
		}
	}

	// The chat works in the frame, with the token bound to the widget's session.
	res, page := frame.do("GET", "/chat?embed=1", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, `id="chat-start"`) || !strings.Contains(page, alice.Name) {
		t.Fatalf("signed-in frame: %s\n%s", res.Status, page)
	}
	token := chatCSRF(t, page)
	if _, topPage := top.get("/chat"); chatCSRF(t, topPage) == token {
		t.Fatal("the frame's token is the top page's")
	}
	form := url.Values{"topic": {"fees"}, "message": {"Asked from the shop's page"}, "key": {"widget-key-0123456789"}}
	form.Set("csrf", "forged-"+token)
	if res, _ := frame.do("POST", "/chat?embed=1", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("a chat opened with a wrong token: %s", res.Status)
	}
	form.Set("csrf", token)
	res, _ = frame.do("POST", "/chat?embed=1", form)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/chat/") || !strings.HasSuffix(loc, "?embed=1") {
		t.Fatalf("open a chat in the frame: %s %s", res.Status, loc)
	}
	convID := strings.TrimSuffix(strings.TrimPrefix(loc, "/chat/"), "?embed=1")
	if _, err := site.App.Support.CustomerConversation(ctx, alice.ID, convID); err != nil {
		t.Fatalf("the frame's chat is not Alice's: %v", err)
	}
	res, page = frame.do("GET", loc, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "Asked from the shop&#39;s page") {
		t.Fatalf("the conversation in the frame: %s\n%s", res.Status, page)
	}
	res, _ = frame.do("POST", "/chat/"+convID+"/messages?embed=1", url.Values{"csrf": {chatCSRF(t, page)}, "body": {"And a second line"}, "client_id": {"widget-client-1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("send in the frame: %s", res.Status)
	}

	// Another user's conversation stays hidden.
	budiConv := site.openChat(t, 1, "fees", "Budi's own question")
	if res, _ := frame.do("GET", "/chat/"+budiConv.ID+"?embed=1", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("Alice's widget opened Budi's conversation: %s", res.Status)
	}

	// Chat only: the wallet pages take the widget's session for nobody, the API neither.
	for _, path := range []string{"/app", "/app/pay", "/app/transfer", "/app/history", "/app/security", "/app/notifications", "/widget/connect"} {
		res, _ := frame.do("GET", path, nil)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("%s with the widget's cookie: %s %s, want the login", path, res.Status, res.Header.Get("Location"))
		}
	}
	if res, _ := frame.do("POST", "/app/pay", url.Values{"csrf": {token}, "merchant_id": {"mer_x"}, "amount": {"1000"}}); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("POST /app/pay with the widget's session: %s %s", res.Status, res.Header.Get("Location"))
	}
	for _, path := range []string{"/api/v1/wallet", "/api/v1/me", "/api/v1/transactions", "/api/v1/me/sessions", "/api/v1/support/conversations"} {
		if res, _ := frame.do("GET", path, nil); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with the widget's cookie: %s", path, res.Status)
		}
		if res, _ := frame.do("GET", path, nil, "Authorization", "Bearer "+frame.widget); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s with the widget's token as a bearer: %s", path, res.Status)
		}
	}
	// Nor does the widget's session pass for the user's cookie.
	res, _ = frame.do("GET", "/app", nil, "Cookie", "dompet_session="+frame.widget)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("/app with the widget's token in the session cookie: %s", res.Status)
	}

	// Listed in the security centre; ended there, the frame is anonymous again.
	var widgetSession string
	list, err := site.App.Identity.Sessions(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, ss := range list {
		if ss.Scope == identity.ScopeChat {
			widgetSession = ss.ID
		}
	}
	_, sec := top.get("/app/security")
	if widgetSession == "" || !strings.Contains(sec, "/app/security/sessions/"+widgetSession+"/revoke") || !strings.Contains(sec, "Chat widget") {
		t.Fatalf("the security centre does not list the widget's session %q", widgetSession)
	}
	if res, _ := top.post("/app/security/sessions/"+widgetSession+"/revoke", url.Values{"csrf": {chatCSRF(t, sec)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %s", res.Status)
	}
	if _, page := frame.do("GET", "/chat?embed=1", nil); !strings.Contains(page, `id="widget-signin"`) {
		t.Errorf("the revoked widget session still opens the chat")
	}
	if res, _ := frame.do("GET", loc, nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/chat?embed=1" {
		t.Errorf("the revoked widget session on the conversation: %s %s", res.Status, res.Header.Get("Location"))
	}

	// Signing out in the frame ends the session.
	frame = &frameClient{t: t, base: site.URL}
	if res := frame.redeem(widgetGrant(t, top)); res.StatusCode != http.StatusNoContent {
		t.Fatalf("redeem: %s", res.Status)
	}
	_, page = frame.do("GET", "/chat?embed=1", nil)
	if !strings.Contains(page, `id="widget-signout"`) {
		t.Fatalf("no sign-out in the frame:\n%s", page)
	}
	widgetToken := frame.widget
	res, _ = frame.do("POST", "/widget/logout?embed=1", url.Values{"csrf": {chatCSRF(t, page)}})
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Set-Cookie"), "dompet_widget=;") {
		t.Fatalf("sign out in the frame: %s %q", res.Status, res.Header.Get("Set-Cookie"))
	}
	if _, err := site.App.Identity.AuthenticateChat(ctx, widgetToken); err == nil {
		t.Error("the widget's session outlived its sign-out")
	}
	// The top-level session is untouched.
	if res, _ := top.get("/app"); res.StatusCode != http.StatusOK {
		t.Errorf("/app after the widget's sign-out: %s", res.Status)
	}
	// A grant of a session that ended since grants nothing.
	code = widgetGrant(t, top)
	if res, _ := top.post("/logout", url.Values{"csrf": {chatCSRF(t, sec)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", res.Status)
	}
	if res := (&frameClient{t: t, base: site.URL}).redeem(code); res.StatusCode == http.StatusNoContent {
		t.Errorf("the grant of a logged-out session was redeemed")
	}
}

// widgetProblem reads a refusal of /widget/session: problem+json, as the API answers.
func widgetProblem(t *testing.T, res *http.Response, body string) (p struct{ Code, Detail string }) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("a refused redemption answers %q: %s", ct, body)
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Errorf("a refused redemption's body: %v: %s", err, body)
	}
	return p
}

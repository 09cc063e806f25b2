package httpapi

import (
	"net/http"
	"testing"
)

// TestE2EStreamPageCookie: the pages' scripts cannot read their HttpOnly session cookies,
// so the stream routes take them, from this site's pages only. Another site's page, whose
// WebSocket the browser would send the cookie with just the same, is refused before the
// upgrade; so is a cookie without an Origin, and a cookie on any route that is not a stream.
func TestE2EStreamPageCookie(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	_, agentTok := deskStaff(t, e, "cookie-agent", "agent", "general")
	var conv apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", a.Token, map[string]any{
		"topic": "fees", "message": "why this fee"}), http.StatusCreated), &conv)
	customer := "/api/v1/support/conversations/" + conv.ID + "/stream"
	userCookie, staffCookie := userPageCookie+"="+a.Token, staffPageCookie+"="+agentTok
	widget := widgetCookie + "=" + e2eWidgetToken(t, e, a.Token)

	cases := []struct {
		name   string
		path   string
		header []string
		status int // 0: connected
	}{
		{"customer page of this site", customer, []string{"Cookie", userCookie, "Origin", e.srv.URL}, 0},
		{"agent console of this site", "/api/v1/agent/stream", []string{"Cookie", staffCookie, "Origin", e.srv.URL}, 0},
		{"customer cookie from another site", customer, []string{"Cookie", userCookie, "Origin", "https://evil.example"}, http.StatusForbidden},
		{"staff cookie from another site", "/api/v1/agent/stream", []string{"Cookie", staffCookie, "Origin", "https://evil.example"}, http.StatusForbidden},
		{"cookie without an Origin", customer, []string{"Cookie", userCookie}, http.StatusForbidden},
		{"the staff cookie is not the customer's", customer, []string{"Cookie", userPageCookie + "=" + agentTok, "Origin", e.srv.URL}, http.StatusUnauthorized},
		{"the customer cookie is not the staff's", "/api/v1/agent/stream", []string{"Cookie", staffPageCookie + "=" + a.Token, "Origin", e.srv.URL}, http.StatusUnauthorized},
		{"a cookie on a route that is no stream", "/api/v1/me", []string{"Cookie", userCookie, "Origin", e.srv.URL}, http.StatusUnauthorized},
		{"the widget's chat in its frame of this site", customer, []string{"Cookie", widget, "Origin", e.srv.URL}, 0},
		{"the widget's cookie from another site", customer, []string{"Cookie", widget, "Origin", "https://evil.example"}, http.StatusForbidden},
		{"the widget's cookie is not the staff's", "/api/v1/agent/stream", []string{"Cookie", widget, "Origin", e.srv.URL}, http.StatusUnauthorized},
		{"the widget's session in the user's cookie", customer, []string{"Cookie", userPageCookie + "=" + widget[len(widgetCookie)+1:], "Origin", e.srv.URL}, 0},
		{"the widget's session on a route that is no chat", "/api/v1/me", []string{"Cookie", widget, "Origin", e.srv.URL}, http.StatusUnauthorized},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, resp, err := wsDial(t, e, tc.path, "", false, tc.header...)
			st := 0
			if resp != nil && err != nil {
				st = resp.StatusCode
			}
			if tc.status == 0 && err != nil {
				t.Fatalf("dial: %v (HTTP %d)", err, st)
			}
			if tc.status != 0 && (err == nil || st != tc.status) {
				t.Fatalf("dial: %v, HTTP %d, want %d", err, st, tc.status)
			}
			if c != nil {
				c.CloseNow()
			}
		})
	}
}

package web

import (
	"net"
	"net/http"
	"strings"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
)

// Signing the widget's frame in on a merchant's site of another domain. The browser does not
// send the Lax session cookie to that frame, so:
//
//  1. the frame (static/widgetframe.js) opens /widget/connect in a popup: a top-level page of
//     Dompet, where the user is signed in with the normal cookie (or logs in first);
//  2. the user allows the chat there (a CSRF-protected POST), which mints a grant: a one-time
//     code, valid 60 s, stored hashed (identity.GrantWidget);
//  3. the popup (static/widgetconnect.js) hands the code to its opener with postMessage
//     addressed to Dompet's own origin: the opener is the frame, of Dompet's origin, so the
//     merchant's page cannot receive it; then it closes;
//  4. the frame checks the message's origin and source and POSTs the code to /widget/session
//     (same-origin), which redeems it (identity.RedeemWidget) for a chat-only session of
//     8 hours in the dompet_widget cookie (SameSite=None; Secure; Partitioned; HttpOnly).
//
// That session opens the chat pages (chatView) and the conversation stream only; the user
// sees it in the security centre and can end it there, or in the frame (/widget/logout).

func (s *Site) widgetRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /widget/connect", Page: true, Handler: s.signedIn(s.widgetConnect)},
		{Pattern: "POST /widget/connect", Page: true, Handler: s.signedIn(s.widgetGrant)},
		{Pattern: "POST /widget/session", Page: true, Embeddable: true, Handler: http.HandlerFunc(s.widgetSession)},
		{Pattern: "POST /widget/logout", Page: true, Embeddable: true, Handler: s.handleWith(s.chatView, s.widgetLogout)},
	}
}

// widgetSignIn tells whether the frame of r can keep the widget's cookie: it must be Secure,
// which browsers accept over TLS, and over plain http from localhost only. Elsewhere the frame
// keeps asking for a login in a new tab.
func widgetSignIn(r *http.Request) bool {
	if front.OverTLS(r) {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// widgetConnectData is /widget/connect: the question, then the code for the frame.
type widgetConnectData struct {
	Code string // the grant, once allowed: widgetconnect.js hands it to the frame
}

// widgetConnect is GET /widget/connect, in the popup: allow the chat in the widget?
func (s *Site) widgetConnect(w http.ResponseWriter, r *http.Request, v *View) {
	v.Data = widgetConnectData{}
	s.render(w, r, 0, "widgetconnect", v)
}

// widgetGrant is POST /widget/connect: mint the grant and show the page that hands it over.
func (s *Site) widgetGrant(w http.ResponseWriter, r *http.Request, v *View) {
	code, err := s.o.Services.Identity.GrantWidget(r.Context(), v.User.ID, v.Session)
	if err != nil {
		v.Data = widgetConnectData{}
		s.fail(w, r, "widgetconnect", v, err)
		return
	}
	v.Data = widgetConnectData{Code: code}
	s.render(w, r, 0, "widgetconnect", v) // no-store, like every page
}

// widgetSession is POST /widget/session, from the frame's script: a grant code for the
// widget's session cookie. No CSRF token: the frame has no cookie to match one, and the
// code is the secret; a request another site makes is refused by its Sec-Fetch-Site (or
// Origin), so no page can sign a visitor's frame into someone else's account.
func (s *Site) widgetSession(w http.ResponseWriter, r *http.Request) {
	if err := s.crossOrigin.Check(r); err != nil {
		s.problem(w, r, errCrossSite)
		return
	}
	ss, err := s.o.Services.Identity.RedeemWidget(r.Context(), r.PostFormValue("code"),
		identity.LoginInput{IP: front.ClientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	startWidgetSession(w, ss.Token, ss.ExpiresAt)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// widgetLogout is POST /widget/logout, in the frame: ends the widget's session.
func (s *Site) widgetLogout(w http.ResponseWriter, r *http.Request, v *View) {
	if v.Widget && v.Session != "" {
		if err := s.o.Services.Identity.Logout(r.Context(), v.Session); err != nil {
			s.log.Warn("widget logout failed", "err", err)
		}
	}
	endWidgetSession(w)
	http.Redirect(w, r, "/chat?embed=1", http.StatusSeeOther)
}

// errCrossSite refuses a request another site made for a route only Dompet's own pages call.
var errCrossSite = fault.New("forbidden", "cross-site request refused").Explained(map[string]string{
	"en": "Only Dompet's own pages may make this request.", "zh-CN": "只有 Dompet 自己的页面可以发出此请求。"})

// problem answers a script's call with err as problem+json (Options.Problem), logging what
// is not the caller's fault.
func (s *Site) problem(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if s.o.Problem == nil {
		e := s.explain(err, front.EN)
		http.Error(w, e.Title, e.Status)
		return
	}
	if e := s.explain(err, front.EN); e.Status >= 500 {
		s.log.Error("widget session", "request_id", front.RequestID(r), "err", err)
	}
	s.o.Problem(w, r, err)
}

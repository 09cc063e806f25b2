package web

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
)

// Cookies the pages set. The session cookie holds the same opaque session token the JSON API
// takes as a Bearer token (stored hashed server-side); it is HttpOnly, so page scripts never
// see it, and SameSite=Lax, so another site's form does not carry it.
const (
	sessionCookie = "dompet_session"
	csrfCookie    = "dompet_csrf"
	langCookie    = "lang"
	// widgetCookie is the chat widget's chat-only session (widget.go): SameSite=None and
	// Partitioned, so a merchant's page on another site can keep it in Dompet's frame, and
	// read only by the chat pages (chatView) and the conversation stream.
	widgetCookie = "dompet_widget"
)

// user is the wallet user whose session cookie r carries, if it is valid.
func (s *Site) user(r *http.Request) (*identity.User, string) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" || s.o.Services.Identity == nil {
		return nil, ""
	}
	p, err := s.o.Services.Identity.Authenticate(r.Context(), c.Value)
	if err != nil {
		return nil, ""
	}
	if x := front.ExchangeOf(r); x != nil {
		x.SetPrincipal(p) // the answer is personal: no-store
	}
	u := p.User
	return &u, p.SessionID
}

// chatUser is user, or else the user of the widget's chat-only session: for the chat pages
// only. widget tells which.
func (s *Site) chatUser(r *http.Request) (u *identity.User, sessionID string, widget bool) {
	if u, sid := s.user(r); u != nil {
		return u, sid, false
	}
	c, err := r.Cookie(widgetCookie)
	if err != nil || c.Value == "" || s.o.Services.Identity == nil {
		return nil, "", false
	}
	p, err := s.o.Services.Identity.AuthenticateChat(r.Context(), c.Value)
	if err != nil {
		return nil, "", false
	}
	if x := front.ExchangeOf(r); x != nil {
		x.SetPrincipal(p)
	}
	u2 := p.User
	return &u2, p.SessionID, true
}

// startWidgetSession gives the widget's frame its chat-only session cookie: SameSite=None,
// or a frame on another site would not get it back; Partitioned (CHIPS), so the browser keys
// it by the merchant's site and keeps it where third-party cookies are blocked; Secure, which
// both require (browsers take it over http on localhost only, see widgetSignIn).
func startWidgetSession(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: widgetCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
}

// endWidgetSession removes the widget's session cookie (in the partition of the request).
func endWidgetSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: widgetCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode, Partitioned: true})
}

// startSession gives the browser the session cookie of a login. It lasts as long as the
// session does on the server.
func startSession(w http.ResponseWriter, r *http.Request, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: front.OverTLS(r)})
}

// endSession removes the session cookie.
func endSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: front.OverTLS(r)})
}

// csrfToken is the browser's CSRF token (double-submit: a random cookie that every form
// posts back in its "csrf" field), set on the first page that needs it.
func (s *Site) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported systems
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/",
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: front.OverTLS(r)})
	// The token just set is what this page's forms carry; the request itself had none.
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: tok})
	return tok
}

// widgetCSRF is the CSRF token of the forms of a widget session: the double-submit cookie is
// Lax, so a frame on another site neither keeps nor sends it; the token is bound to the
// widget's session cookie instead (HttpOnly: no script and no other site can derive it).
func widgetCSRF(token string) string {
	h := sha256.Sum256([]byte("dompet widget csrf\x00" + token))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

var errCSRF = errors.New("csrf token missing or wrong")

// csrfTokens are the tokens a form of r may carry: the CSRF cookie's, and the one bound to
// the widget's session cookie.
func csrfTokens(r *http.Request) []string {
	var out []string
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		out = append(out, c.Value)
	}
	if c, err := r.Cookie(widgetCookie); err == nil && c.Value != "" {
		out = append(out, widgetCSRF(c.Value))
	}
	return out
}

// csrfMatch tells whether sent is one of want.
func csrfMatch(sent string, want []string) bool {
	ok := false
	for _, w := range want {
		ok = subtle.ConstantTimeCompare([]byte(sent), []byte(w)) == 1 || ok
	}
	return ok
}

// checkCSRF accepts a state-changing request only from this site's own pages: its token
// (form field "csrf" or header X-CSRF-Token) must equal the CSRF cookie, or the token of the
// widget's session.
func (s *Site) checkCSRF(r *http.Request) error {
	// The first line: what a browser marks as coming from another site (Sec-Fetch-Site, else
	// Origin against Host). The token is the second, for browsers that send neither header.
	if err := s.crossOrigin.Check(r); err != nil {
		return errCSRF
	}
	want := csrfTokens(r)
	if len(want) == 0 {
		return errCSRF
	}
	sent := r.Header.Get("X-CSRF-Token")
	if sent == "" {
		sent = r.PostFormValue("csrf") // parses the form (multipart too) within the route's body limit
	}
	if !csrfMatch(sent, want) {
		return errCSRF
	}
	return nil
}

// safeNext keeps a post-login destination on this site: a path, never a scheme or another
// host ("//evil.example" included).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/app"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/app"
	}
	return next
}

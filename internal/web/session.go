package web

import (
	"crypto/rand"
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

var errCSRF = errors.New("csrf token missing or wrong")

// checkCSRF accepts a state-changing request only from this site's own pages: its token
// (form field "csrf" or header X-CSRF-Token) must equal the CSRF cookie.
func (s *Site) checkCSRF(r *http.Request) error {
	// The first line: what a browser marks as coming from another site (Sec-Fetch-Site, else
	// Origin against Host). The token is the second, for browsers that send neither header.
	if err := s.crossOrigin.Check(r); err != nil {
		return errCSRF
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) != 43 {
		return errCSRF
	}
	sent := r.Header.Get("X-CSRF-Token")
	if sent == "" {
		sent = r.PostFormValue("csrf") // parses the form (multipart too) within the route's body limit
	}
	if subtle.ConstantTimeCompare([]byte(sent), []byte(c.Value)) != 1 {
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

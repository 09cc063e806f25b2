package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Authenticator turns a bearer token into whoever holds it: a user's session, a staff
// member, a merchant's API key. It returns a fault (unauthenticated, account_locked…) when the
// token is no good. The identity and merchant services supply these; P is their type.
type Authenticator[P any] func(ctx context.Context, token string) (P, error)

// localePreferrer is implemented by principals that carry the user's language setting;
// requireUser then answers in it, problems included.
type localePreferrer interface{ PreferredLocale() string }

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(scheme):])
	return tok, tok != ""
}

// credential is the bearer token, or for a WebSocket upgrade (where browsers can't set
// headers) the ?token= query parameter, or on a stream route the page's session cookie
// (streamCookie).
func credential(r *http.Request) (string, bool) {
	if tok, ok := bearer(r); ok {
		return tok, true
	}
	if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		if tok := r.URL.Query().Get("token"); tok != "" {
			return tok, true
		}
	}
	if tok, ok := r.Context().Value(cookieCredentialKey{}).(string); ok && tok != "" {
		return tok, true
	}
	return "", false
}

// The session cookies of the pages (package web sets them): the wallet user's and the staff
// member's. Their scripts cannot read them (HttpOnly), so a page's WebSocket authenticates by
// the cookie the browser sends with the upgrade; only the stream routes take them (no other
// route of the API reads a cookie, so no other needs CSRF protection), and only from a page
// of this very site (checkUpgrade).
const (
	userPageCookie  = "dompet_session"
	staffPageCookie = "dompet_staff"
	// widgetCookie is the chat widget's chat-only session (package web, /widget/session),
	// taken by the customer's conversation stream only.
	widgetCookie = "dompet_widget"
)

// cookieCredentialKey marks a request whose credential is a page cookie.
type cookieCredentialKey struct{}

// streamCookies are the page cookies the route takes, in order of preference: a WebSocket
// stream of users (the chat's also takes the widget's session) or staff.
func streamCookies(rt route) []string {
	if !strings.HasSuffix(rt.pattern, "/stream") || !strings.HasPrefix(rt.pattern, "GET ") {
		return nil
	}
	switch rt.auth {
	case authUser:
		return []string{userPageCookie}
	case authChat:
		// The pages take the session cookie before the widget's, and so does the stream.
		return []string{userPageCookie, widgetCookie}
	case authStaff:
		return []string{staffPageCookie}
	}
	return nil
}

// cookieCredential lets a WebSocket upgrade with neither a bearer header nor ?token= be
// authenticated by the first of the page cookies names it carries.
func cookieCredential(names ...string) middleware {
	return func(next handlerFunc) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			if _, ok := credential(r); !ok && isUpgrade(r) {
				for _, name := range names {
					if c, err := r.Cookie(name); err == nil && c.Value != "" {
						r = r.WithContext(context.WithValue(r.Context(), cookieCredentialKey{}, c.Value))
						break
					}
				}
			}
			return next(w, r)
		}
	}
}

// byCookie reports whether r was authenticated by a page cookie.
func byCookie(r *http.Request) bool {
	_, ok := r.Context().Value(cookieCredentialKey{}).(string)
	return ok
}

// requireUser lets a request through only with a token authn accepts, and keeps the user for
// userOf[P]. A user whose P has PreferredLocale() is answered in that language when the
// request's Accept-Language names none.
func requireUser[P any](authn Authenticator[P]) middleware {
	return func(next handlerFunc) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			p, err := authenticate(r, authn)
			if err != nil {
				return err
			}
			if x := stateOf(r); x != nil {
				x.SetPrincipal(p)
			}
			if lp, ok := any(p).(localePreferrer); ok {
				setLocale(r, lp.PreferredLocale())
			}
			return next(w, r)
		}
	}
}

// requireMerchant lets a request through only with an API key authn accepts, and keeps the
// merchant for merchantOf[P].
func requireMerchant[P any](authn Authenticator[P]) middleware {
	return func(next handlerFunc) handlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			p, err := authenticate(r, authn)
			if err != nil {
				return err
			}
			if x := stateOf(r); x != nil {
				x.SetPrincipal(p)
			}
			return next(w, r)
		}
	}
}

func authenticate[P any](r *http.Request, authn Authenticator[P]) (P, error) {
	var zero P
	tok, ok := credential(r)
	if !ok {
		return zero, errUnauthenticated.Because("Send Authorization: Bearer <token>.")
	}
	p, err := authn(r.Context(), tok)
	if errors.Is(err, db.ErrNotFound) {
		return zero, errUnauthenticated // an unknown token, said plainly
	}
	return p, err
}

// denyAll is the authentication of a kind of caller no service is wired for yet.
func denyAll(handlerFunc) handlerFunc {
	return func(http.ResponseWriter, *http.Request) error {
		return fault.New("unauthenticated", "This kind of credential is not accepted by this server.")
	}
}

package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/money"
)

// View is what every page template gets: the language and its words, who is signed in, the
// CSRF token for its forms, a refused action to explain, and the page's own Data.
type View struct {
	Lang    front.Locale
	User    *identity.User // the signed-in wallet user; nil when anonymous
	Session string         // the user's session id
	Widget  bool           // signed in by the chat widget's chat-only session (chat pages only)
	CSRF    string         // the token every form posts back (field "csrf")
	Path    string         // the request path, for the language switch and "next"
	Query   url.Values
	Problem *Explanation // a refused action, shown above the form
	Notice  string       // a one-line confirmation ("Saved."), already in the page's language
	Demo    bool         // demo mode: the pages link the demo logins and message log
	Data    any          // the page's own values

	site *Site
	page string
}

// view resolves the language, the signed-in user and the CSRF token of r.
func (s *Site) view(w http.ResponseWriter, r *http.Request) *View {
	v := &View{site: s, Path: r.URL.Path, Query: r.URL.Query(), Demo: s.o.Demo}
	v.User, v.Session = s.user(r)
	v.Lang = s.language(w, r, v.User)
	v.CSRF = s.csrfToken(w, r)
	return v
}

// chatView is view for the chat pages, which also take the widget's chat-only session; the
// forms of such a page carry the token bound to it (the CSRF cookie does not reach a frame
// on another site).
func (s *Site) chatView(w http.ResponseWriter, r *http.Request) *View {
	v := &View{site: s, Path: r.URL.Path, Query: r.URL.Query(), Demo: s.o.Demo}
	v.User, v.Session, v.Widget = s.chatUser(r)
	v.Lang = s.language(w, r, v.User)
	if c, err := r.Cookie(widgetCookie); err == nil && v.Widget {
		v.CSRF = widgetCSRF(c.Value)
	} else {
		v.CSRF = s.csrfToken(w, r)
	}
	return v
}

// language is the page's language: ?lang= (remembered in the lang cookie), then the cookie,
// then Accept-Language, then the user's setting (API.md "Web pages").
func (s *Site) language(w http.ResponseWriter, r *http.Request, u *identity.User) front.Locale {
	if q := r.URL.Query().Get("lang"); q != "" {
		if l, ok := front.ParseLocale(q); ok {
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l.String(), Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: front.OverTLS(r)})
			return l
		}
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := front.ParseLocale(c.Value); ok {
			return l
		}
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		return front.Negotiate(h)
	}
	if u != nil {
		if l, ok := front.ParseLocale(u.Locale); ok {
			return l
		}
	}
	return front.EN
}

// T is the message key in the page's language; args fill its %s/%d verbs.
func (v *View) T(key string, args ...any) string {
	s := v.site.cat.text(v.Lang, key)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// N is the counted message key for n (its plural form), with n filled in (%v).
func (v *View) N(key string, n any) string {
	var c int64
	switch x := n.(type) {
	case int:
		c = int64(x)
	case int64:
		c = x
	case float64: // a number read back from JSON
		c = int64(x)
	}
	s := v.site.cat.plural(v.Lang, key, c)
	if strings.Contains(s, "%v") {
		return fmt.Sprintf(s, c)
	}
	return s
}

// ZH tells templates that the page is in Chinese (for the few layout differences).
func (v *View) ZH() bool { return v.Lang == front.ZH }

// Money formats an amount in minor units for people: "IDR 25,000.00". The code rather than
// a symbol, because "Rp" and "$" are ambiguous to a reader of the other language; both
// languages group digits the same way.
func (v *View) Money(minor int64, currency string) string {
	return money.New(minor, currency).String()
}

// Date is t's day in the page's language and Dompet's zone (WIB).
func (v *View) Date(t time.Time) string {
	t = t.In(v.site.loc)
	if v.Lang == front.ZH {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return t.Format("2 Jan 2006")
}

// DateTime is t's day and minute in the page's language and WIB.
func (v *View) DateTime(t time.Time) string {
	return v.Date(t) + " " + t.In(v.site.loc).Format("15:04")
}

// ISO is t as RFC 3339 (for <time datetime>).
func (v *View) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// LangURL is this page in locale tag (the language switch).
func (v *View) LangURL(tag string) template.URL {
	q := url.Values{}
	for k, vs := range v.Query {
		if k != "lang" {
			q[k] = vs
		}
	}
	q.Set("lang", tag)
	return template.URL(v.Path + "?" + q.Encode())
}

// Page is the name of the page being rendered (the nav marks it).
func (v *View) Page() string { return v.page }

// FieldError is the message of the refused field name, if the last action refused it.
func (v *View) FieldError(name string) string {
	if v.Problem == nil {
		return ""
	}
	for _, e := range v.Problem.Errors {
		if e.Field == name {
			return e.Message
		}
	}
	return ""
}

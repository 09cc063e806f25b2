package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/medama-io/go-useragent"

	"github.com/dompet/dompet/internal/checkout"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/helpcenter"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/inbox"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/wallet"
)

//go:embed templates
var templateFS embed.FS

// Explanation is a refused action as a person reads it (the API's problem title and detail,
// in the page's language). The application gives the pages the API's own explainer, so a
// form and the JSON API never word one failure two ways.
type Explanation struct {
	Status int
	Code   string
	Title  string
	Detail string
	Fields map[string]any // attempts_remaining, locked_until, methods, …
	Errors []FieldError   // per-field failures
}

// FieldError is one invalid form field.
type FieldError struct {
	Field   string
	Message string
}

// Explainer turns a domain error into its Explanation in locale l.
type Explainer func(err error, l front.Locale) Explanation

// Site is the server-rendered web app: the wallet pages, the help center, the contact and
// chat pages and the agent console. Its templates and message catalogues are parsed once, in
// New: a missing template or an untranslated message fails the start, not a request.
type Site struct {
	o     Options
	log   *slog.Logger
	pages map[string]*template.Template // by page name: templates/pages/<name>.html
	cat   catalogue
	loc   *time.Location    // dates are shown in this zone
	ua    *useragent.Parser // names the browsers of the security centre

	crossOrigin *http.CrossOriginProtection
}

// Services are the domain packages the pages call directly, as the JSON API does. A nil
// service leaves its pages out (tests mount only what they need).
type Services struct {
	Identity *identity.Service
	Wallet   *wallet.Wallet
	Inbox    *inbox.Service
	Staff    *staff.Service
	Support  *support.Service
	Checkout *checkout.Service // merchant checkouts: /checkout/{id}
	Help     *helpcenter.Service
}

// New parses the templates and the catalogues and checks that every message a template asks
// for exists in every language.
func New(o Options) (*Site, error) {
	s := &Site{o: o, log: o.Log, pages: map[string]*template.Template{}, crossOrigin: http.NewCrossOriginProtection()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.loc, err = time.LoadLocation("Asia/Jakarta"); err != nil {
		s.loc = time.FixedZone("WIB", 7*3600) // no tzdata on the machine: WIB has no DST
	}
	s.ua = newUAParser()
	if s.cat, err = loadCatalogue(catalogueFS); err != nil {
		return nil, err
	}
	if err := s.parse(); err != nil {
		return nil, err
	}
	return s, nil
}

// parse builds one template set per page: the shared layout and partials, plus the page,
// which defines "title" and "main" (and optionally "head").
func (s *Site) parse() error {
	base, err := template.New("base").Funcs(s.funcs()).ParseFS(templateFS, "templates/base/*.html")
	if err != nil {
		return fmt.Errorf("web templates: %w", err)
	}
	files, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return fmt.Errorf("web templates: %w", err)
	}
	for _, f := range files {
		t, err := base.Clone()
		if err != nil {
			return fmt.Errorf("web template %s: %w", f, err)
		}
		if _, err := t.ParseFS(templateFS, f); err != nil {
			return fmt.Errorf("web template %s: %w", f, err)
		}
		name := strings.TrimSuffix(path.Base(f), ".html")
		if t.Lookup("main") == nil {
			return fmt.Errorf("web template %s defines no \"main\"", f)
		}
		s.pages[name] = t
	}
	return s.checkMessages(files)
}

// funcs are the template functions that need no request. Everything that depends on the
// language is a method of View, so that a template reads {{.T "key"}}.
func (s *Site) funcs() template.FuncMap {
	return template.FuncMap{}
}

// render writes page name with v, buffered: a template failure becomes a 500, never half a
// page. status 0 is 200.
func (s *Site) render(w http.ResponseWriter, r *http.Request, status int, name string, v *View) {
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("no such page template", "page", name) // New checked the names it parsed
		http.Error(w, "page not found", http.StatusInternalServerError)
		return
	}
	v.page = name
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.log.Error("page render failed", "page", name, "request_id", front.RequestID(r), "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", v.Lang.String())
	h.Set("Cache-Control", "no-store")
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows err on page name (the form again, with the explanation above it), or a plain
// error page for a failure that is not the user's.
func (s *Site) fail(w http.ResponseWriter, r *http.Request, name string, v *View, err error) {
	e := s.explain(err, v.Lang)
	if e.Status >= 500 {
		s.log.Error("page action failed", "page", name, "request_id", front.RequestID(r), "err", err)
	}
	v.Problem = &e
	s.render(w, r, e.Status, name, v)
}

// explain uses the application's explainer, or a generic text without one.
func (s *Site) explain(err error, l front.Locale) Explanation {
	if s.o.Explain != nil {
		return s.o.Explain(err, l)
	}
	return Explanation{Status: http.StatusInternalServerError, Code: "internal", Title: s.cat.text(l, "error.generic")}
}

// handle wraps a page handler: it resolves the View (language, user, CSRF token) and, for
// anything but GET and HEAD, checks the CSRF token first.
func (s *Site) handle(h func(w http.ResponseWriter, r *http.Request, v *View)) http.Handler {
	return s.handleWith(s.view, h)
}

// handleWith is handle with the View resolved by view (s.view, or s.chatView on the chat
// pages).
func (s *Site) handleWith(view func(http.ResponseWriter, *http.Request) *View, h func(w http.ResponseWriter, r *http.Request, v *View)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := view(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := s.checkCSRF(r); err != nil {
				v.Problem = &Explanation{Status: http.StatusForbidden, Code: "csrf_failed",
					Title: v.T("error.csrf.title"), Detail: v.T("error.csrf.detail")}
				s.render(w, r, http.StatusForbidden, "error", v)
				return
			}
		}
		h(w, r, v)
	})
}

// signedIn wraps a page that needs a wallet user: anonymous visitors are sent to /login,
// which brings them back afterwards.
func (s *Site) signedIn(h func(w http.ResponseWriter, r *http.Request, v *View)) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request, v *View) {
		if v.User == nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		h(w, r, v)
	})
}

// Package web serves Dompet's pages, server-rendered from templates embedded in the binary:
// the front page, the wallet web app, the help center, contact and chat pages and the agent
// console, in English and Chinese (message catalogues in i18n/), and in demo mode /demo,
// the logins. Pages call the domain packages directly, as the JSON API does; every form
// carries a CSRF token, and a page's only scripts are files under /static/.
package web

import (
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/dompet/dompet/internal/front"
)

// Options say what the pages can point to and which services they call.
type Options struct {
	Demo bool // demo mode: show the demo logins and link the message log
	// DemoMessages serves /demo/messages, the SMS and emails sent (codes included), in demo
	// mode; nil leaves it out.
	DemoMessages http.Handler
	// DemoLogins, in demo mode, are shown at /demo; nil leaves the page out.
	DemoLogins *DemoLogins
	// Services are the domain packages behind the pages; a nil one leaves its pages out.
	Services Services
	// Explain words a refused action as the API does (httpapi.Explain).
	Explain Explainer
	// Problem answers a script's call to a page route with problem+json, as the API does
	// (httpapi.WriteProblem); nil answers plain text.
	Problem func(w http.ResponseWriter, r *http.Request, err error)
	Log     *slog.Logger
	// SupportPhone and SupportEmail are shown on the contact page (DOMPET_SUPPORT_PHONE,
	// DOMPET_SUPPORT_EMAIL).
	SupportPhone, SupportEmail string
}

//go:embed static
var static embed.FS

// Routes are the pages, for the HTTP front to mount beside the API. The front negotiates
// their language and gives them the page Content-Security-Policy: no inline script or
// style, so styles and scripts live in /static/.
func (s *Site) Routes() []front.Route {
	assets, _ := fs.Sub(static, "static") // the directory is embedded: cannot fail
	rs := []front.Route{
		{Pattern: "GET /{$}", Page: true, Handler: s.handle(func(w http.ResponseWriter, r *http.Request, v *View) {
			s.render(w, r, 0, "index", v)
		})},
		{Pattern: "GET /static/", Page: true, Handler: http.StripPrefix("/static/", http.FileServerFS(assets))},
	}
	if s.o.DemoLogins != nil {
		rs = append(rs, front.Route{Pattern: "GET /demo", Page: true, Handler: demoPage(s.o.DemoLogins)})
	}
	if s.o.DemoMessages != nil {
		rs = append(rs, front.Route{Pattern: "GET /demo/messages", Page: true, Handler: s.o.DemoMessages})
	}
	if s.o.Services.Identity != nil {
		rs = append(rs, s.authRoutes()...)
	}
	if s.o.Services.Identity != nil && s.o.Services.Wallet != nil {
		rs = append(rs, s.walletRoutes()...)
	}
	if s.o.Services.Identity != nil && s.o.Services.Support != nil && s.o.Services.Wallet != nil {
		rs = append(rs, s.chatRoutes()...)
		rs = append(rs, s.widgetRoutes()...)
	}
	if s.o.Services.Help != nil && s.o.Services.Identity != nil && s.o.Services.Wallet != nil {
		rs = append(rs, s.helpRoutes()...)
	}
	if s.o.Services.Support != nil {
		rs = append(rs, s.contactRoutes()...)
	}
	rs = append(rs, s.appRoutes()...)
	if s.o.Services.Staff != nil && s.o.Services.Support != nil {
		rs = append(rs, s.agentRoutes()...)
	}
	if s.o.Services.Staff != nil && s.o.Services.Support != nil && s.o.Services.Help != nil {
		rs = append(rs, s.agentHelpRoutes()...)
	}
	rs = append(rs, s.checkoutRoutes()...)
	return rs
}

// Routes builds the Site and returns its routes; for callers that need nothing else.
func Routes(o Options) ([]front.Route, error) {
	s, err := New(o)
	if err != nil {
		return nil, err
	}
	return s.Routes(), nil
}

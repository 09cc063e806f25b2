package front

import (
	"net/http"
	"strings"
)

// Header values, shared by every answer. A header map entry is assigned one of these slices
// instead of Header.Set's fresh one, so the security headers cost no allocation; Header.Add
// on a full slice copies it, so the shared values are never changed.
var (
	hvNosniff  = []string{"nosniff"}
	hvDeny     = []string{"DENY"}
	hvReferrer = []string{"same-origin"}
	hvNoStore  = []string{"no-store"}
	hvHSTS     = []string{"max-age=31536000"}
	// The API and errors: JSON is never a document to render or frame.
	hvAPICSP = []string{"default-src 'none'; frame-ancestors 'none'"}
)

// pageCSP is the policy of pages: everything from this origin, no inline script or style
// (styles are stylesheets under /static/), no plugins, no foreign forms. frameAncestors
// ends it.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors "

// headerSet is what a route adds to every answer: its CSP, and X-Frame-Options DENY unless
// it may be framed.
type headerSet struct {
	csp []string
	xfo []string // nil: no X-Frame-Options (embeddable; the CSP's frame-ancestors decides)
}

var apiHeaders = headerSet{csp: hvAPICSP, xfo: hvDeny}

// headersFor builds the header set of a route.
func (f *Front) headersFor(rt Route) headerSet {
	switch {
	case rt.Page && rt.Embeddable:
		anc := append([]string{"'self'"}, f.frameAncestors...)
		return headerSet{csp: []string{pageCSP + strings.Join(anc, " ")}}
	case rt.Page:
		return headerSet{csp: []string{pageCSP + "'none'"}, xfo: hvDeny}
	case rt.Embeddable:
		anc := append([]string{"'self'"}, f.frameAncestors...)
		return headerSet{csp: []string{"default-src 'none'; frame-ancestors " + strings.Join(anc, " ")}}
	}
	return apiHeaders
}

// apply puts hs on h.
func (hs headerSet) apply(h http.Header) {
	h["Content-Security-Policy"] = hs.csp
	if hs.xfo != nil {
		h["X-Frame-Options"] = hs.xfo
	} else {
		delete(h, "X-Frame-Options")
	}
}

// secure adds the headers every answer carries.
func (f *Front) secure(h http.Header, r *http.Request) {
	h["X-Content-Type-Options"] = hvNosniff
	h["Referrer-Policy"] = hvReferrer
	if f.proxies.overTLS(r) {
		h["Strict-Transport-Security"] = hvHSTS
	}
}

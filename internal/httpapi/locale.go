package httpapi

import (
	"net/http"

	"github.com/dompet/dompet/internal/front"
)

// locale is a language Dompet speaks (front.Locale). Problem titles and details exist in each.
type locale = front.Locale

const (
	localeEN   = front.EN
	localeZH   = front.ZH
	numLocales = front.NumLocales
)

// parseLocale maps a language tag (a user's setting) to a locale Dompet speaks.
func parseLocale(tag string) (locale, bool) { return front.ParseLocale(tag) }

// negotiate picks the locale an Accept-Language header prefers; en when it names none Dompet
// speaks.
func negotiate(header string) locale { return front.Negotiate(header) }

// localeOf is the locale a response to r speaks: the authenticated user's setting when a
// handler or the auth middleware set one (setLocale), else Accept-Language (negotiated once
// per request by the front).
func localeOf(r *http.Request) locale { return front.LocaleOf(r) }

// setLocale makes tag (a user's setting such as "zh-CN") the language of the answer to r,
// problems included. An unknown or empty tag leaves Accept-Language in charge.
func setLocale(r *http.Request, tag string) {
	x := stateOf(r)
	if x == nil {
		return
	}
	if l, ok := parseLocale(tag); ok {
		x.SetLocale(l)
	}
}

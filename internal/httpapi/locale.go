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

// localeOf is the locale a response to r speaks: Accept-Language (negotiated once per request
// by the front), else the authenticated user's setting (setLocale), else en.
func localeOf(r *http.Request) locale { return front.LocaleOf(r) }

// setLocale records tag (a user's setting such as "zh-CN") as the language of the answer to r,
// problems included, when its Accept-Language chooses none. An unknown or empty tag changes
// nothing.
func setLocale(r *http.Request, tag string) {
	x := stateOf(r)
	if x == nil {
		return
	}
	if l, ok := parseLocale(tag); ok {
		x.SetPreferred(l)
	}
}

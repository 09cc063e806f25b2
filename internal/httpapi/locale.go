package httpapi

import (
	"net/http"
	"strconv"
	"strings"
)

// locale is a language Dompet speaks. Problem titles and details exist in each.
type locale uint8

const (
	localeEN locale = iota
	localeZH
	numLocales
)

var localeTags = [numLocales]string{"en", "zh-CN"}

func (l locale) String() string { return localeTags[l] }

// parseLocale maps a language tag to a locale: any "zh…" to zh-CN (the only Chinese Dompet
// has), any "en…" to en.
func parseLocale(tag string) (locale, bool) {
	tag = strings.TrimSpace(tag)
	switch {
	case hasLangPrefix(tag, "zh"):
		return localeZH, true
	case hasLangPrefix(tag, "en"):
		return localeEN, true
	}
	return localeEN, false
}

func hasLangPrefix(tag, lang string) bool {
	return len(tag) >= len(lang) && strings.EqualFold(tag[:len(lang)], lang) &&
		(len(tag) == len(lang) || tag[len(lang)] == '-' || tag[len(lang)] == '_')
}

// negotiate picks the locale an Accept-Language header prefers most (highest q, first on a tie);
// en when it names none Dompet speaks.
func negotiate(header string) locale {
	if header == "" {
		return localeEN
	}
	best, bestQ := localeEN, -1.0
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		l, ok := parseLocale(tag)
		if !ok {
			continue
		}
		q := 1.0
		if v, found := strings.CutPrefix(strings.TrimSpace(params), "q="); found {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			q = f
		}
		if q > 0 && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// localeOf is the locale a response to r speaks: the authenticated user's setting when a
// handler or the auth middleware set one (setLocale), else Accept-Language.
func localeOf(r *http.Request) locale {
	if st := stateOf(r); st != nil && st.localeSet {
		return st.locale
	}
	return negotiate(r.Header.Get("Accept-Language"))
}

// setLocale makes tag (a user's setting such as "zh-CN") the language of the answer to r,
// problems included. An unknown or empty tag leaves Accept-Language in charge.
func setLocale(r *http.Request, tag string) {
	st := stateOf(r)
	if st == nil {
		return
	}
	if l, ok := parseLocale(tag); ok {
		st.locale, st.localeSet = l, true
	}
}

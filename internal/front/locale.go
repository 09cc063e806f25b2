package front

import (
	"strings"

	"golang.org/x/text/language"
)

// Locale is a language Dompet speaks. Pages, problem titles and messages exist in each.
type Locale uint8

// The locales, in the order of every per-locale table ([NumLocales]string).
const (
	EN Locale = iota
	ZH
	NumLocales
)

var localeTags = [NumLocales]string{"en", "zh-CN"}

func (l Locale) String() string { return localeTags[l] }

// supported lists what the matcher may pick; supportedLocale maps its index to a Locale.
// Traditional Chinese readers get the only Chinese Dompet has rather than English.
var (
	supported       = []language.Tag{language.English, language.MustParse("zh-CN"), language.MustParse("zh-TW")}
	supportedLocale = []Locale{EN, ZH, ZH}
	matcher         = language.NewMatcher(supported)
)

// match is the locale the matcher finds for tags, and whether it found one at all.
func match(tags ...language.Tag) (Locale, bool) {
	if len(tags) == 0 {
		return EN, false
	}
	_, i, c := matcher.Match(tags...)
	if c == language.No {
		return EN, false
	}
	return supportedLocale[i], true
}

// Negotiate is the locale an Accept-Language header prefers (q values and order respected);
// en when it names none Dompet speaks or cannot be read.
func Negotiate(header string) Locale {
	l, _ := negotiate(header)
	return l
}

// negotiate is Negotiate, and whether the header named a language Dompet speaks.
func negotiate(header string) (Locale, bool) {
	if header == "" {
		return EN, false // the common case costs no parsing
	}
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return EN, false
	}
	return match(tags...)
}

// ParseLocale reads one language tag (a user's setting such as "zh-CN"; "_" works as "-")
// and tells whether Dompet speaks it.
func ParseLocale(tag string) (Locale, bool) {
	// The tags Dompet stores are its own: found without parsing, on every authenticated
	// request's hot path.
	for l, own := range localeTags {
		if strings.EqualFold(tag, own) {
			return Locale(l), true
		}
	}
	if tag == "" {
		return EN, false
	}
	t, err := language.Parse(tag)
	if err != nil {
		return EN, false
	}
	return match(t)
}

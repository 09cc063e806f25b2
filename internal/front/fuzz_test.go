package front

import (
	"net/http"
	"strings"
	"testing"
)

// Fuzz targets of the language choice (docs/design.md, "Fuzz targets"): `go test` runs their
// seeds; `go test -run '^$' -fuzz FuzzX -fuzztime 60s ./internal/front/` explores.

// localeSeeds are tags and headers browsers and users send, and broken ones.
var localeSeeds = []string{"", "en", "zh-CN", "ZH-cn", "zh_CN", "zh", "zh-Hans-CN;q=0.8", "zh-TW", "zh-Hant", "en-US,zh-CN;q=0.9",
	"fr-FR,zh-CN;q=0.5,en;q=0.4", "fr, de", "zh-CN;q=0, en", "en;q=0.2, zh;q=0.7", "*", "id-ID, zh;q=0.5", ";;;garbage",
	"en-GB", "fr", "x-klingon", "i-default", "und", "zh-yue", "zh-min-nan", "en-US-u-ca-buddhist-x-foo", "q=0.5",
	"en;q=1.5", "en;q=-1", "en;q=0.5.5", "zh\x00CN", "\xff\xfe", "ZH-HANT-TW", strings.Repeat("en-", 100) + "US",
	strings.Repeat("zh,", 1000), "en-" + strings.Repeat("a", 300)}

// FuzzParseLocale: a user's setting, a ?lang= or a cookie never panics and gives one of the
// two locales; refused, it is en; Dompet's own tags read back as themselves in any case; and
// the answer does not depend on the case of the tag (BCP 47 tags are case-insensitive).
func FuzzParseLocale(f *testing.F) {
	for _, s := range localeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tag string) {
		l, ok := ParseLocale(tag)
		if l >= NumLocales || (!ok && l != EN) {
			t.Fatalf("ParseLocale(%q) = %d %v", tag, l, ok)
		}
		if back, ok := ParseLocale(l.String()); !ok || back != l {
			t.Fatalf("%s reads back as %v %v", l, back, ok)
		}
		if l2, ok2 := ParseLocale(strings.ToUpper(tag)); l2 != l || ok2 != ok {
			t.Fatalf("ParseLocale(%q) = %v %v, of its upper case %v %v", tag, l, ok, l2, ok2)
		}
	})
}

// FuzzNegotiate: any Accept-Language header never panics and gives one of the two locales, en
// when it names none Dompet speaks; a header of one tag Dompet speaks (as ParseLocale reads
// it) chooses that locale; and an answer's Locale follows the header when it chose, else the
// user's setting.
func FuzzNegotiate(f *testing.F) {
	for _, s := range localeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		l, chose := negotiate(header)
		if l >= NumLocales || (!chose && l != EN) {
			t.Fatalf("negotiate(%q) = %d %v", header, l, chose)
		}
		if Negotiate(header) != l {
			t.Fatalf("Negotiate(%q) differs from negotiate", header)
		}
		if pl, ok := ParseLocale(header); ok && !strings.ContainsAny(header, ",;*_") && strings.TrimSpace(header) == header {
			if l != pl || !chose {
				t.Fatalf("header %q gives %v %v, the tag reads as %v", header, l, chose, pl)
			}
		}
		for _, pref := range []Locale{EN, ZH} {
			x := &Exchange{req: &http.Request{Header: http.Header{"Accept-Language": {header}}}}
			x.SetPreferred(pref)
			want := pref
			if chose {
				want = l
			}
			if got := x.Locale(); got != want {
				t.Fatalf("header %q, setting %v: answer in %v, want %v", header, pref, got, want)
			}
		}
	})
}

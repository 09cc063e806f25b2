package helpcenter

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Fuzz targets of the help center (docs/design.md, "Fuzz targets"): `go test` runs their
// seeds; `go test -run '^$' -fuzz FuzzX -fuzztime 60s ./internal/helpcenter/` explores.

// FuzzSearch: any query (any bytes, CJK, typos, thousands of words), in any locale, category
// and limit, gives at most the limit (20 by default, 50 at most), each a published article as
// it is (title, category, locale), a slug once, only the category asked for, a snippet of
// valid UTF-8; a blank query nothing; and the same answer twice (no state left behind in the
// pooled scratch space).
func FuzzSearch(f *testing.F) {
	sn := shippedSnapshot(f)
	for _, q := range benchQueries {
		f.Add(q.q, q.locale, "", 0)
	}
	for _, s := range []struct {
		q, locale, category string
		limit               int
	}{
		{"refund", LocaleEN, "refunds", 3}, {"锁定", LocaleEN, "", 1}, {"   ", LocaleZH, "", 5},
		{"xyzzyqwv", LocaleEN, "", 50}, {"password 密码", "", "account", 500}, {"\xff\xfe锁\x00定", "fr", "nope", -1},
		{strings.Repeat("pin ", 300), LocaleEN, "", 0}, {strings.Repeat("账户被锁定", 100), LocaleZH, "security", 7},
		{"İstanbul ǅ ß ﬁ", LocaleEN, "", 2}, {"a", LocaleEN, "", 0}, {"withdrawl refnd pasword insuficient", LocaleEN, "", 10},
	} {
		f.Add(s.q, s.locale, s.category, s.limit)
	}
	f.Fuzz(func(t *testing.T, q, locale, category string, limit int) {
		query := Query{Q: q, Locale: locale, Category: category, Limit: limit}
		got := sn.search(query)
		want := limit
		if want <= 0 {
			want = 20
		}
		want = min(want, 50)
		if len(got) > want {
			t.Fatalf("%d results for limit %d", len(got), limit)
		}
		if strings.TrimSpace(q) == "" && len(got) > 0 {
			t.Fatalf("blank query %q found %d", q, len(got))
		}
		seen := map[string]bool{}
		for _, r := range got {
			a := sn.articles[r.Slug][r.Locale]
			if a == nil {
				t.Fatalf("result %s/%s is no published article", r.Locale, r.Slug)
			}
			if r.Title != a.Title || r.Category != a.Category {
				t.Fatalf("result %+v does not show its article (%q, %s)", r, a.Title, a.Category)
			}
			if category != "" && r.Category != category {
				t.Fatalf("category %q let %s (%s) through", category, r.Slug, r.Category)
			}
			if seen[r.Slug] {
				t.Fatalf("%s listed twice", r.Slug)
			}
			seen[r.Slug] = true
			if !utf8.ValidString(r.Snippet) || len(r.Snippet) > 3*150 {
				t.Fatalf("snippet %q", r.Snippet)
			}
		}
		if again := sn.search(query); fmt.Sprint(again) != fmt.Sprint(got) {
			t.Fatalf("the same query answered\n%v\nthen\n%v", got, again)
		}
	})
}

// The renderer's allowlist: its tags and, on <a> only, href.
var renderTags = map[string]bool{"h2": true, "h3": true, "p": true, "blockquote": true, "ul": true, "ol": true,
	"li": true, "strong": true, "code": true, "a": true}

// FuzzRenderHTML: for any body (shipped articles as seeds, and attempts at markup), the HTML
// that /help/{slug} shows, read by an HTML5 tokenizer, has only the allowlisted elements,
// balanced, with no attribute but href on <a>, and that href one of the safe targets (a path
// of this site, https or mailto: never javascript: or data:); no "<script" nor "on…="
// anywhere in a tag; and its text is the body's text (PlainText), nothing dropped or added.
func FuzzRenderHTML(f *testing.F) {
	shipped, err := Shipped()
	if err != nil {
		f.Fatal(err)
	}
	for _, a := range shipped {
		f.Add(a.Body)
	}
	for _, s := range []string{
		"## Hi <b>\n\n- **bold** and `x<y>`\n- [home](/help) [bad](javascript:void)\n\n<script>alert(1)</script>",
		`[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) [z](//evil.example) [w](data:text/html,<b>)`,
		`[a](/x" onclick="alert(1)) [b](https://x.example/"onmouseover=alert(1)) [c](/\evil)`,
		"<img src=x onerror=alert(1)>\n> <a href=\"javascript:x\">q</a>\n1. `<script>`\n2. **<svg onload=x>**",
		"[**bold** link](/help/x) **[link in bold](mailto:help@dompet.example)** [`code`](https://dompet.example)",
		"&lt;script&gt; &amp; &#x3C;script&#x3E; \x00 \r\r\n \xff\xfe",
		"### \n# \n- \n> \n1. \n**", "[[[[a](b)]]]]((((", "**a**b**c**", "`a``b`", "[](/x)", "[a](/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out := RenderHTML(src)
		lower := strings.ToLower(out)
		if strings.Contains(lower, "<script") {
			t.Fatalf("script in %q", out)
		}
		z := html.NewTokenizer(strings.NewReader(out))
		var stack []string
		var text strings.Builder
	tokens:
		for {
			switch z.Next() {
			case html.ErrorToken:
				break tokens
			case html.TextToken:
				text.Write(z.Text())
			case html.StartTagToken:
				tok := z.Token()
				if !renderTags[tok.Data] {
					t.Fatalf("element <%s> in %q", tok.Data, out)
				}
				for _, at := range tok.Attr {
					if tok.Data != "a" || at.Key != "href" || at.Namespace != "" {
						t.Fatalf("attribute %s on <%s> in %q", at.Key, tok.Data, out)
					}
					if !safeHref(at.Val) {
						t.Fatalf("href %q in %q", at.Val, out)
					}
				}
				if tok.Data == "a" && len(tok.Attr) != 1 {
					t.Fatalf("<a> without exactly one href in %q", out)
				}
				stack = append(stack, tok.Data)
			case html.EndTagToken:
				tok := z.Token()
				if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
					t.Fatalf("</%s> closes %v in %q", tok.Data, stack, out)
				}
				stack = stack[:len(stack)-1]
			default:
				t.Fatalf("token %v in %q", z.Token(), out)
			}
		}
		if len(stack) > 0 {
			t.Fatalf("%v left open in %q", stack, out)
		}
		if got, want := visible(text.String()), visible(PlainText(src)); got != want {
			t.Fatalf("text of %q is\n%q\nthe body's is\n%q", src, got, want)
		}
	})
}

// safeHref is what a rendered link may point to, read independently of safeTarget.
func safeHref(h string) bool {
	l := strings.ToLower(h)
	if strings.ContainsAny(h, " \t\n\r\"'<>\\") || strings.HasPrefix(l, "javascript:") || strings.HasPrefix(l, "data:") ||
		strings.HasPrefix(l, "vbscript:") || strings.HasPrefix(l, "//") {
		return false
	}
	return strings.HasPrefix(h, "/") || strings.HasPrefix(h, "https://") || strings.HasPrefix(h, "mailto:")
}

// visible is text as a reader sees it, for comparison: without white space (blocks and list
// items are separated by it differently in HTML and plain text), NUL (which HTML drops) and
// with invalid UTF-8 read as U+FFFD.
func visible(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == 0 {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

// BenchmarkRenderUnclosed renders a body of 50,000 characters of unclosed marks, the worst
// case before RenderHTML remembered a missing closing mark (quadratic: 76 ms a render of
// "[" repeated, 2 ms since).
func BenchmarkRenderUnclosed(b *testing.B) {
	for _, unit := range []string{"[", "[a](", "**a ", "`a "} {
		src := strings.Repeat(unit, 50_000/len(unit))
		b.Run(strings.TrimSpace(unit), func(b *testing.B) {
			for b.Loop() {
				RenderHTML(src)
			}
		})
	}
}

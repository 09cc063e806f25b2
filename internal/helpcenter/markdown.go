package helpcenter

import (
	"html"
	"strings"
)

// Article bodies are written in a small, safe subset of Markdown, rendered here so that no
// text can become markup: every character of the source is HTML-escaped, and only these
// constructs make tags:
//
//	## Heading, ### Heading           <h2>, <h3> (a single # is an <h2> too)
//	- item, * item                    <ul><li>
//	1. item                           <ol><li>
//	> text                            <blockquote>
//	**bold**, `code`                  <strong>, <code>
//	[text](https://… | /path | mailto:…)   <a href>; any other link target stays text
//
// Paragraphs are separated by blank lines. Raw HTML is shown as text, never rendered.

// RenderHTML renders a body of the subset above as HTML safe to put in a page.
func RenderHTML(src string) string {
	var b strings.Builder
	for _, blk := range blocks(src) {
		switch blk.kind {
		case "h2", "h3", "p", "blockquote":
			b.WriteString("<" + blk.kind + ">")
			b.WriteString(inline(strings.Join(blk.lines, "\n"), true))
			b.WriteString("</" + blk.kind + ">\n")
		case "ul", "ol":
			b.WriteString("<" + blk.kind + ">")
			for _, l := range blk.lines {
				b.WriteString("<li>" + inline(l, true) + "</li>")
			}
			b.WriteString("</" + blk.kind + ">\n")
		}
	}
	return b.String()
}

// PlainText is a body without its markup: what search indexes and snippets show. Its blocks
// are read as RenderHTML reads them (a paragraph's lines together, so that **bold** may span
// them; a list item alone).
func PlainText(src string) string {
	var parts []string
	for _, blk := range blocks(src) {
		switch blk.kind {
		case "ul", "ol":
			for _, l := range blk.lines {
				parts = append(parts, inline(l, false))
			}
		default:
			parts = append(parts, inline(strings.Join(blk.lines, "\n"), false))
		}
	}
	return strings.Join(parts, "\n")
}

type block struct {
	kind  string
	lines []string
}

func blocks(src string) []block {
	var out []block
	var cur *block
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
	}
	for _, raw := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		l := strings.TrimSpace(raw)
		kind, text := lineKind(l)
		switch {
		case l == "":
			flush()
		case kind == "h2" || kind == "h3":
			flush()
			out = append(out, block{kind: kind, lines: []string{text}})
		case cur != nil && cur.kind == kind && kind != "p":
			cur.lines = append(cur.lines, text)
		case cur != nil && cur.kind == "p" && kind == "p":
			cur.lines = append(cur.lines, text)
		default:
			flush()
			cur = &block{kind: kind, lines: []string{text}}
		}
	}
	flush()
	return out
}

func lineKind(l string) (kind, text string) {
	switch {
	case strings.HasPrefix(l, "### "):
		return "h3", strings.TrimSpace(l[4:])
	case strings.HasPrefix(l, "## "):
		return "h2", strings.TrimSpace(l[3:])
	case strings.HasPrefix(l, "# "):
		return "h2", strings.TrimSpace(l[2:])
	case strings.HasPrefix(l, "- "), strings.HasPrefix(l, "* "):
		return "ul", strings.TrimSpace(l[2:])
	case strings.HasPrefix(l, "> "):
		return "blockquote", strings.TrimSpace(l[2:])
	}
	if i := strings.Index(l, ". "); i > 0 && i <= 3 && strings.Trim(l[:i], "0123456789") == "" {
		return "ol", strings.TrimSpace(l[i+2:])
	}
	return "p", l
}

// inline renders **bold**, `code` and [links](target) of s; with markup false it gives the
// text alone. Everything else is escaped.
func inline(s string, markup bool) string {
	var b strings.Builder
	text := func(t string) {
		if markup {
			b.WriteString(html.EscapeString(t))
		} else {
			b.WriteString(t)
		}
	}
	// Once a closing mark is missing from the rest of s, it is missing for every later opening
	// too: remembering that keeps a body of unclosed marks linear instead of quadratic.
	var noBold, noCode, noLink bool
	for len(s) > 0 {
		i := strings.IndexAny(s, "*`[")
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "**") && !noBold:
			j := strings.Index(s[2:], "**")
			if j < 0 {
				noBold = true
			}
			if j > 0 {
				if markup {
					b.WriteString("<strong>" + inline(s[2:2+j], true) + "</strong>")
				} else {
					b.WriteString(inline(s[2:2+j], false))
				}
				s = s[4+j:]
				continue
			}
		case s[0] == '`' && !noCode:
			j := strings.IndexByte(s[1:], '`')
			if j < 0 {
				noCode = true
			}
			if j > 0 {
				if markup {
					b.WriteString("<code>" + html.EscapeString(s[1:1+j]) + "</code>")
				} else {
					b.WriteString(s[1 : 1+j])
				}
				s = s[2+j:]
				continue
			}
		case s[0] == '[' && !noLink:
			j := strings.Index(s, "](")
			if j < 0 {
				noLink = true
			}
			if j > 0 {
				k := strings.IndexByte(s[j+2:], ')')
				if k < 0 {
					noLink = true
				}
				if k > 0 {
					label, target := s[1:j], s[j+2:j+2+k]
					switch {
					case !markup:
						b.WriteString(inline(label, false))
					case safeTarget(target):
						b.WriteString(`<a href="` + html.EscapeString(target) + `">` + inline(label, true) + "</a>")
					default:
						b.WriteString(inline(label, true))
					}
					s = s[j+3+k:]
					continue
				}
			}
		}
		text(s[:1])
		s = s[1:]
	}
	return b.String()
}

// safeTarget allows links to Dompet's own pages, https sites and mail addresses only (never
// javascript: or data: URLs).
func safeTarget(t string) bool {
	if strings.ContainsAny(t, " \t\n\"'<>\\") {
		return false
	}
	switch {
	case strings.HasPrefix(t, "/") && !strings.HasPrefix(t, "//"):
		return true
	case strings.HasPrefix(t, "https://"), strings.HasPrefix(t, "mailto:"):
		return true
	}
	return false
}

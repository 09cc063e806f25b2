package main

import (
	"fmt"
	"maps"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// a11yPages are the main pages the accessibility checks walk: the path, and for a page
// reached by a form (the payment confirmation), the form that leads to it.
type a11yPage struct {
	path   string
	form   url.Values // nil: a GET
	signed bool
}

// a11yMainPages lists them; optional pages (help, contact, chat, the agent's login) are
// checked when the site serves them.
func a11yMainPages(site *browserSite) (main []a11yPage, optional []string) {
	main = []a11yPage{
		{path: "/"}, {path: "/login"}, {path: "/register"}, {path: "/recover"},
		{path: "/app", signed: true}, {path: "/app/history", signed: true}, {path: "/app/security", signed: true},
		{path: "/app/pay", signed: true},
		{path: "/app/pay", signed: true, form: url.Values{"amount": {"10000"}, "currency": {"IDR"},
			"merchant_id": {site.Demo.Merchants[0].ID}, "order_ref": {"A11Y-1"}}},
	}
	return main, []string{"/help", "/contact", "/chat", "/agent/login"}
}

// TestPagesAccessibleMarkup parses every main page as served, in English and Chinese, and
// checks what a screen reader needs: the page language, one h1, a label for each control,
// alt text on images, a name on each button and link.
func TestPagesAccessibleMarkup(t *testing.T) {
	site := newPageSite(t)
	alice := site.Demo.Users[0]
	pages, optional := a11yMainPages(site)
	for _, lang := range []string{"en", "zh-CN"} {
		anon := newPageClient(t, site.URL, lang)
		user := newPageClient(t, site.URL, lang)
		user.login(alice.Email, alice.Password)
		for _, pg := range pages {
			p := anon
			if pg.signed {
				p = user
			}
			var st int
			var body string
			if pg.form == nil {
				st, body, _ = p.get(pg.path)
			} else {
				st, body, _ = p.post(pg.path, maps.Clone(pg.form)) // post adds this client's CSRF token
			}
			if st != 200 {
				t.Errorf("%s %s: %d %.300s", lang, pg.path, st, body)
				continue
			}
			for _, problem := range a11yProblems(body) {
				t.Errorf("%s %s (form %v): %s", lang, pg.path, pg.form != nil, problem)
			}
		}
		for _, path := range optional {
			st, body, _ := anon.get(path)
			if st != 200 {
				t.Logf("%s: %d, not checked", path, st)
				continue
			}
			for _, problem := range a11yProblems(body) {
				t.Errorf("%s %s: %s", lang, path, problem)
			}
		}
	}
}

// TestA11yProblemsFinds: the checker itself finds each kind of fault.
func TestA11yProblemsFinds(t *testing.T) {
	bad := `<!doctype html><html><body><h1>a</h1><h1>b</h1><img src=x><input id=q name=q>
<select name=s></select><button></button><a href="/x"></a><label for=z>z</label><input id=z type=hidden></body></html>`
	got := strings.Join(a11yProblems(bad), "\n")
	for _, want := range []string{"no lang", "2 h1", "img without alt", `input "q" has no label`, `select "s" has no label`, "button without a name", "link without a name"} {
		if !strings.Contains(got, want) {
			t.Errorf("not found: %s (found: %s)", want, got)
		}
	}
	good := `<!doctype html><html lang=en><body><h1>a</h1><img src=x alt=""><label for=q>Q</label><input id=q>
<input aria-label="s" name=s><input type=hidden name=h><button aria-label="close"></button><button><span>Go</span></button><a href="/x"><img src=y alt="Home"></a><input type=submit value="Send"></body></html>`
	if p := a11yProblems(good); len(p) > 0 {
		t.Errorf("problems in a good page: %v", p)
	}
}

// a11yProblems lists what the page misses.
func a11yProblems(page string) []string {
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return []string{"unparsable: " + err.Error()}
	}
	var problems []string
	labelled := map[string]bool{}
	var h1s int
	var elems []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			elems = append(elems, n)
			switch n.Data {
			case "label":
				if f := attr(n, "for"); f != "" {
					labelled[f] = true
				}
			case "h1":
				h1s++
			case "html":
				if strings.TrimSpace(attr(n, "lang")) == "" {
					problems = append(problems, "no lang on <html>")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	if h1s != 1 {
		problems = append(problems, fmt.Sprintf("%d h1 (want one)", h1s))
	}
	for _, n := range elems {
		switch n.Data {
		case "input", "select", "textarea":
			typ := attr(n, "type")
			if typ == "hidden" || typ == "submit" {
				if typ == "submit" && attr(n, "value") == "" && attr(n, "aria-label") == "" {
					problems = append(problems, "submit input without a name")
				}
				continue
			}
			if !labelled[attr(n, "id")] && attr(n, "aria-label") == "" && attr(n, "aria-labelledby") == "" {
				name := attr(n, "id")
				if name == "" {
					name = attr(n, "name")
				}
				problems = append(problems, fmt.Sprintf("%s %q has no label", n.Data, name))
			}
		case "img":
			if !hasAttr(n, "alt") {
				problems = append(problems, "img without alt: "+attr(n, "src"))
			}
		case "button":
			if accessibleName(n) == "" {
				problems = append(problems, "button without a name")
			}
		case "a":
			if hasAttr(n, "href") && accessibleName(n) == "" {
				problems = append(problems, "link without a name: "+attr(n, "href"))
			}
		}
	}
	return problems
}

// accessibleName is an element's aria-label, else its text and its images' alt text.
func accessibleName(n *html.Node) string {
	if l := strings.TrimSpace(attr(n, "aria-label")); l != "" {
		return l
	}
	if l := strings.TrimSpace(attr(n, "title")); l != "" {
		return l
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && n.Data == "img":
			b.WriteString(attr(n, "alt"))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.TrimSpace(b.String())
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

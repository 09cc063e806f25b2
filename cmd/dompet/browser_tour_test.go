package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// tourJS measures what a person on a 360 px phone would notice on the page: the page wider
// than the screen, text cut by the screen's edge, images that did not load, and the page's
// language; with its visible text (innerText) and the text of its controls and headings
// (what is the site's own words rather than people's data).
const tourJS = `(() => {
  const W = window.innerWidth, out = {lang: document.documentElement.lang,
    scrollWidth: document.documentElement.scrollWidth, width: W, cut: [], images: [],
    text: document.body.innerText, chrome: [], small: [], squeezed: []};
  // An element inside a box that scrolls or clips sideways may reach past the screen: the
  // box is what must fit (and is checked itself).
  const clipped = el => { for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX; if (o !== 'visible') return true; } return false; };
  for (const el of document.body.querySelectorAll('*')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const st = getComputedStyle(el), r = el.getBoundingClientRect();
    if (st.visibility !== 'visible' || st.display === 'none' || r.width === 0 || r.height === 0) continue;
    if (r.right <= 0 || r.left >= W) continue; // off screen on purpose (a skip link)
    // Text squeezed into a column a character or two wide, one line each (Chinese in a
    // narrow table cell breaks between any two characters).
    const fs = parseFloat(st.fontSize), txt = el.textContent.trim();
    if ([...txt].length >= 3 && r.width < 2.5 * fs && r.height > 2.5 * fs * 1.2)
      out.squeezed.push(el.tagName.toLowerCase() + ' "' + txt.slice(0, 20) + '" ' + Math.round(r.width) + '×' + Math.round(r.height) + ' px');
    if ((r.left < -0.5 || r.right > W + 0.5) && !clipped(el))
      out.cut.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' "' +
        el.textContent.trim().slice(0, 30) + '" at ' + Math.round(r.left) + '..' + Math.round(r.right));
  }
  // Controls a thumb must hit: 44 px high at least (WCAG 2.5.5), links in a sentence aside.
  for (const el of document.querySelectorAll('button, select, textarea, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio])')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height && r.height < 43.5)
      out.small.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + (el.id ? '#' + el.id : '') +
        ' "' + (el.innerText || el.value || el.name || '').trim().slice(0, 20) + '" ' + Math.round(r.height) + ' px high');
  }
  for (const img of document.images)
    if (!img.complete || img.naturalWidth === 0) out.images.push(img.currentSrc || img.src);
  // People's words are not the site's: text marked as another language (lang) or as a name
  // not to translate (translate="no"), such as an English canned reply or a team's name.
  const page = document.documentElement.lang;
  const foreign = el => el.closest('[translate=no]') || (el.closest('[lang]') || document.documentElement).lang !== page;
  out.foreign = [...document.body.querySelectorAll('[lang], [translate=no]')].filter(foreign).map(el => el.innerText.trim()).filter(Boolean);
  for (const el of document.querySelectorAll('button, label, th, legend, h1, h2, h3, nav a, summary, option, input[type=submit], .button, dt, dd')) {
    if (!el.getClientRects().length) continue;
    if (foreign(el)) continue;
    let own = el.innerText || el.value || '';
    if (el.querySelector('[lang], [translate=no]')) { // its own words, without the foreign parts inside it
      const c = el.cloneNode(true);
      for (const f of c.querySelectorAll('[lang], [translate=no]')) if (f.closest('[translate=no]') || f.lang !== page) f.remove();
      own = c.textContent;
    }
    out.chrome.push(own.trim());
  }
  return JSON.stringify(out);
})()`

type tourPage struct {
	Lang        string   `json:"lang"`
	ScrollWidth int      `json:"scrollWidth"`
	Width       int      `json:"width"`
	Cut         []string `json:"cut"`
	Images      []string `json:"images"`
	Text        string   `json:"text"`
	Chrome      []string `json:"chrome"`
	Foreign     []string `json:"foreign"` // text marked as another language or not to translate
	Small       []string `json:"small"`
	Squeezed    []string `json:"squeezed"`
}

// catalogueKey looks like a message key shown instead of its text: a lowercase dotted name of
// three parts or more (wallet.history.title); an email's or a web address's dots are not one.
var catalogueKey = regexp.MustCompile(`(^|[^@/\w.-])([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z0-9_.]*[a-z0-9_])\b`)

// latinWord is a word in Latin letters, in a zh-CN control or heading.
var latinWord = regexp.MustCompile(`[A-Za-z][A-Za-z'’-]{2,}`)

// zhAllowed are the Latin words a Chinese page rightly shows as they are: the brand and a few
// mixed-case terms; words in capitals (codes, acronyms, references) and the demo's names
// (people, shops, staff) are allowed too.
var zhAllowed = map[string]bool{"Dompet": true, "PIN": true, "TOTP": true, "IDR": true, "USD": true, "SGD": true,
	"EUR": true, "MYR": true, "CNY": true, "JPY": true, "API": true, "SMS": true, "FAQ": true, "Email": true, "QR": true,
	"OTP": true, "English": true, "CSV": true}

// tourEnglish is every English UI text of the catalogues whose Chinese differs, in pieces of
// two words or more (the parts between a message's %s verbs): found on a zh-CN page, it is
// text left untranslated.
func tourEnglish(t *testing.T) []string {
	t.Helper()
	// A message is a string, or its plural forms ({"one": …, "other": …}), each kept.
	load := func(name string) map[string]string {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var entries map[string]json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m := map[string]string{}
		for k, v := range entries {
			var s string
			var forms map[string]string
			if json.Unmarshal(v, &s) == nil {
				m[k] = s
			} else if err := json.Unmarshal(v, &forms); err == nil {
				for f, s := range forms {
					m[k+"#"+f] = s
				}
			} else {
				t.Fatalf("%s: %s: %v", name, k, err)
			}
		}
		return m
	}
	files, err := filepath.Glob("../../internal/web/i18n/*.en.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogues: %v", err)
	}
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]|\{[^}]*\}`)
	seen := map[string]bool{}
	for _, f := range files {
		en, zh := load(f), load(strings.TrimSuffix(f, ".en.json")+".zh-CN.json")
		for k, v := range en {
			if zh[k] == v {
				continue
			}
			for _, piece := range verb.Split(v, -1) {
				piece = strings.TrimSpace(strings.Trim(strings.TrimSpace(piece), ".,:;!?()—–-\"'"))
				if len(strings.Fields(piece)) >= 2 && len(piece) >= 8 {
					seen[piece] = true
				}
			}
		}
	}
	var out []string
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// TestBrowserTour: the customer pages and the agent console, in English and in Chinese, on a
// 360×800 phone, as one person signed in once: each page fits the screen's width (no
// sideways scrolling, no text cut by the edge), its images load, <html lang> is the
// language asked for, no message key is shown instead of its text, and the Chinese pages
// show no English text of the catalogues, nor English words on their controls and
// headings. Each page's full screenshot is kept (tour-<lang>-<page>.png).
func TestBrowserTour(t *testing.T) {
	start := time.Now()
	site := newBrowserSite(t, nil)
	english := tourEnglish(t)
	alice := site.Demo.Users[0]
	b := newBrowser(t, "en")
	// newBrowser's page is 360 px wide; here it is a phone too (touch, and a page without a
	// mobile viewport would be laid out at 980 px and shrunk: the width check says so).
	b.do(chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	var shots int

	check := func(lang, name string) {
		t.Helper()
		var p tourPage
		if err := json.Unmarshal([]byte(value(b, chromedp.Evaluate[string](tourJS))), &p); err != nil {
			t.Fatal(err)
		}
		where := lang + " " + name
		if p.Width != 360 {
			t.Errorf("%s: laid out %d px wide on a 360 px phone (no <meta name=viewport>?)", where, p.Width)
		}
		if p.ScrollWidth > p.Width {
			t.Errorf("%s: the page is %d px wide on a %d px screen", where, p.ScrollWidth, p.Width)
		}
		for _, c := range p.Cut {
			t.Errorf("%s: text cut by the screen's edge: %s", where, c)
		}
		for _, c := range p.Squeezed {
			t.Errorf("%s: text squeezed into a narrow column: %s", where, c)
		}
		for _, c := range p.Small {
			t.Errorf("%s: too small to tap: %s", where, c)
		}
		for _, src := range p.Images {
			t.Errorf("%s: image not loaded: %s", where, src)
		}
		if p.Lang != lang {
			t.Errorf("%s: <html lang=%q>", where, p.Lang)
		}
		for _, m := range catalogueKey.FindAllStringSubmatch(p.Text, -1) {
			t.Errorf("%s: message key shown: %q", where, m[2])
		}
		if lang == "zh-CN" {
			text := p.Text
			for _, f := range p.Foreign {
				text = strings.ReplaceAll(text, f, "")
			}
			for _, e := range english {
				if strings.Contains(text, e) {
					t.Errorf("%s: English left on the Chinese page: %q", where, e)
				}
			}
			for _, c := range p.Chrome {
				for _, tok := range strings.Fields(c) {
					if strings.ContainsAny(tok, "0123456789@_./") {
						continue // an id, an address, a file name, a code
					}
					for _, w := range latinWord.FindAllString(tok, -1) {
						if !zhAllowed[w] && strings.ToUpper(w) != w && !demoName(site, w) {
							t.Errorf("%s: English word %q in %q", where, w, c)
						}
					}
				}
			}
		}
		b.screenshot("tour-" + lang + "-" + name)
		shots++
	}
	visit := func(lang, name, path string) {
		t.Helper()
		b.do(chromedp.Navigate(site.URL+path), chromedp.WaitReady(chromedp.CSS(`body`)))
		check(lang, name)
	}
	langs := []string{"en", "zh-CN"}

	// Before signing in: the pages a visitor sees.
	for _, lang := range langs {
		b.do(chromedp.Navigate(site.URL + "/?lang=" + lang)) // remembered in a cookie
		for _, p := range [][2]string{{"home", "/"}, {"login", "/login"}, {"register", "/register"}} {
			visit(lang, p[0], p[1])
		}
	}

	b.do(chromedp.Navigate(site.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`#login`), alice.Email), chromedp.SendKeys(chromedp.CSS(`#password`), alice.Password),
		chromedp.Submit(chromedp.CSS(`#password`)), chromedp.WaitVisible(chromedp.CSS(`.balances`)))

	// A link's path found on the page: a transaction of the history, an article of the help.
	link := func(path, css string) string {
		t.Helper()
		b.do(chromedp.Navigate(site.URL + path))
		href := value(b, chromedp.Evaluate[string](`(document.querySelector(`+jsString(css)+`) || {}).href || ""`))
		if href == "" {
			t.Fatalf("%s has no %s", path, css)
		}
		u, err := url.Parse(href)
		if err != nil {
			t.Fatal(err)
		}
		return u.RequestURI()
	}
	tx := link("/app/history", `a[href^="/app/history/"]`)
	article := link("/help", `a[href^="/help/"]:not([href^="/help/guide/"])`)

	pages := [][2]string{{"app", "/app"}, {"history", "/app/history"}, {"transaction", tx},
		{"topup", "/app/topup"}, {"pay", "/app/pay"}, {"transfer", "/app/transfer"}, {"withdraw", "/app/withdraw"},
		{"fx", "/app/fx"}, {"remit", "/app/remit"}, {"refunds", "/app/refunds"}, {"security", "/app/security"},
		{"notifications", "/app/notifications"}, {"help", "/help"}, {"help-search", "/help?q=" + url.QueryEscape("锁定")},
		{"article", article}, {"guide", "/help/guide/payment_failed"}, {"contact", "/contact"}, {"chat", "/chat"},
		{"widget-connect", "/widget/connect"}}
	for _, lang := range langs {
		b.do(chromedp.Navigate(site.URL + "/app?lang=" + lang))
		for _, p := range pages {
			visit(lang, p[0], p[1])
		}
	}

	// The console, signed in as a supervisor (who sees every conversation and the reports),
	// in the same browser: its session is a cookie of its own.
	lead := site.demoAgent(t, "supervisor", "payments")
	code, err := totp.GenerateCode(lead.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(site.URL+"/agent/login?lang=en"),
		chromedp.SendKeys(chromedp.CSS(`#email`), lead.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), site.Demo.Logins.AgentPassword),
		chromedp.SendKeys(chromedp.CSS(`#otp`), code),
		chromedp.Submit(chromedp.CSS(`#otp`)), chromedp.WaitVisible(chromedp.CSS(`#live`)))
	conv := link("/agent?view=all", `a[href^="/agent/conversations/"]`)
	for _, lang := range langs {
		b.do(chromedp.Navigate(site.URL + "/agent?lang=" + lang))
		for _, p := range [][2]string{{"agent-inbox", "/agent?view=all"}, {"agent-conversation", conv}, {"agent-reports", "/agent/reports"},
			{"agent-canned", "/agent/canned"}, {"agent-help", "/agent/help"}, {"agent-help-edit", "/agent/help/fees/" + lang},
			{"agent-admin", "/agent/admin"}} {
			visit(lang, p[0], p[1])
			if p[0] == "agent-inbox" {
				inboxCards(t, b, lang)
			}
		}
	}
	t.Logf("%d pages checked in %.1f s", shots, time.Since(start).Seconds())
}

// demoName: w is part of the name of a demo person, shop or staff member (people's names are
// not translated).
func demoName(site *browserSite, w string) bool {
	for _, u := range site.Demo.Users {
		if strings.Contains(u.Name, w) {
			return true
		}
	}
	for _, m := range site.Demo.Merchants {
		if strings.Contains(m.Name, w) {
			return true
		}
	}
	for _, a := range site.Demo.Agents {
		if strings.Contains(a.Name, w) || strings.Contains(a.Email, w) {
			return true
		}
	}
	return false
}

// jsString quotes s for a script.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// inboxJS reports what of the console's inbox scrolls sideways (the list itself, or a box
// around it or inside it), and how its conversations are shown: the header row's display,
// the number of rows, and the number of labels visible in each.
const inboxJS = `(() => {
  const inbox = document.querySelector('table#inbox'), out = {sideways: [], thead: '', rows: 0, labels: []};
  if (!inbox) return JSON.stringify(out);
  const boxes = [...inbox.querySelectorAll('*'), inbox];
  for (let e = inbox.parentElement; e; e = e.parentElement) boxes.push(e);
  for (const e of boxes)
    if (e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
      out.sideways.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + e.scrollWidth + ' > ' + e.clientWidth);
  out.thead = getComputedStyle(inbox.tHead).display;
  for (const tr of inbox.tBodies[0].rows) {
    out.rows++;
    out.labels.push([...tr.querySelectorAll('.lbl')].filter(l => l.getClientRects().length).map(l => l.innerText.trim()));
  }
  return JSON.stringify(out);
})()`

// inboxCards: on the 360 px phone, the console's inbox does not scroll sideways: each
// conversation is a card whose lines carry their labels, in the page's language.
func inboxCards(t *testing.T, b *browser, lang string) {
	t.Helper()
	var got struct {
		Sideways []string   `json:"sideways"`
		THead    string     `json:"thead"`
		Rows     int        `json:"rows"`
		Labels   [][]string `json:"labels"`
	}
	if err := json.Unmarshal([]byte(value(b, chromedp.Evaluate[string](inboxJS))), &got); err != nil {
		t.Fatal(err)
	}
	if got.Rows == 0 {
		t.Fatalf("%s agent-inbox: no conversation listed", lang)
	}
	for _, s := range got.Sideways {
		t.Errorf("%s agent-inbox: scrolls sideways: %s", lang, s)
	}
	if got.THead != "none" {
		t.Errorf("%s agent-inbox: the table's header row shows (%s) on a phone", lang, got.THead)
	}
	want := map[string][]string{"en": {"Customer", "Channel", "Topic", "Status", "SLA due", "Assignee"},
		"zh-CN": {"客户", "渠道", "主题", "状态", "SLA 截止", "处理人"}}[lang]
	for i, labels := range got.Labels {
		for _, w := range want {
			if !slices.Contains(labels, w) {
				t.Errorf("%s agent-inbox: card %d lacks the label %q: %q", lang, i, w, labels)
			}
		}
	}
}

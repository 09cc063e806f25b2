package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// contrastJS lists the visible text elements of the page whose text colour against the
// background behind it (the first opaque ancestor background, translucent layers blended,
// white at the bottom) is under WCAG 2's AA ratio: 4.5:1, or 3:1 for large text (24 px, or
// 18.66 px bold). Each entry names the element, its colours and the ratio.
const contrastJS = `(() => {` + colourJS + `  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    const st = getComputedStyle(el), r = el.getBoundingClientRect();
    if (st.visibility !== 'visible' || st.display === 'none' || r.width === 0 || r.right < 0 || r.bottom < 0) continue;
    const fg0 = parse(st.color); if (!fg0) { out.push(el.tagName + ': colour ' + st.color + ' not understood'); continue; }
    const bg = background(el), fg = over(fg0, bg);
    const ratio = contrast(fg, bg);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) out.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' "' +
      el.textContent.trim().slice(0, 30) + '": ' + st.color + ' on rgb(' + bg.slice(0,3).map(Math.round) + ') = ' + ratio.toFixed(2) + ' < ' + need);
  }
  return out;
})()`

// colourJS holds the colour helpers of contrastJS and focusedJS: parse a computed rgb()/rgba()
// colour, blend a translucent colour over another, the background behind an element, and the
// WCAG 2 contrast ratio of two colours.
const colourJS = `
  const parse = s => { const m = s.match(/rgba?\(([\d.]+),?\s*([\d.]+),?\s*([\d.]+)(?:\s*[,/]\s*([\d.]+))?\)/);
    return m ? [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]] : null; };
  const over = (top, bot) => [0,1,2].map(i => top[i]*top[3] + bot[i]*(1-top[3])).concat([1]);
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v/12.92 : Math.pow((v+0.055)/1.055, 2.4); };
    return 0.2126*f(c[0]) + 0.7152*f(c[1]) + 0.0722*f(c[2]); };
  const background = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let bg = [255,255,255,1]; for (const l of layers.reverse()) bg = over(l, bg); return bg; };
  const contrast = (x, y) => { const [a, b] = [lum(x), lum(y)]; return (Math.max(a,b)+0.05) / (Math.min(a,b)+0.05); };
`

// focusablesJS marks the elements Tab should reach, in DOM order, and answers how many.
const focusablesJS = `(() => {
  const els = [...document.querySelectorAll('a[href], button, input, select, textarea, [tabindex]')].filter(e =>
    !e.disabled && e.type !== 'hidden' && e.getAttribute('tabindex') !== '-1' && e.getClientRects().length > 0 &&
    getComputedStyle(e).visibility === 'visible');
  els.forEach((e, i) => e.setAttribute('data-a11y-order', i));
  return els.length;
})()`

// focusedJS describes the focused element: its place in the order and whether the focus is
// drawn: an outline that is not none, has a width and a contrast of at least 3:1 with the
// background around the element (WCAG 1.4.11, non-text contrast; the ring is drawn outside the
// element), or a box shadow.
const focusedJS = `(() => {` + colourJS + `const e = document.activeElement, st = getComputedStyle(e);
  const ring = parse(st.outlineColor), around = background(e.parentElement || e);
  const outline = st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0;
  const faint = outline && ring && contrast(over(ring, around), around) < 3;
  const drawn = (outline && !faint) || st.boxShadow !== 'none';
  return (e.getAttribute('data-a11y-order') ?? ('unexpected ' + e.tagName + '#' + e.id)) +
    (drawn ? '' : faint ? ' faint-indicator ' + st.outlineColor + ' on rgb(' + around.slice(0,3).map(Math.round) + ')' : ' no-indicator'); })()`

// TestBrowserAccessibility: in Chromium, in English and Chinese, every visible text of the
// main pages has a contrast of at least 4.5:1 (3:1 large); on the login page and the payment
// confirmation Tab walks through every control in DOM order, each with a visible focus
// ring; Enter in the password field logs in.
func TestBrowserAccessibility(t *testing.T) {
	site := newBrowserSite(t, nil)
	for i, lang := range []string{"en", "zh-CN"} {
		// One person per language: a second browser is a new device, which is asked for an SMS code.
		alice := site.Demo.Users[i]
		b := newBrowser(t, lang)
		contrast := func(path string) {
			t.Helper()
			for _, bad := range value(b, chromedp.Evaluate[[]string](contrastJS)) {
				t.Errorf("%s %s: contrast: %s", lang, path, bad)
			}
		}
		visit := func(path string) {
			t.Helper()
			b.do(chromedp.Navigate(site.URL+path), chromedp.WaitVisible(chromedp.CSS(`h1`)))
			contrast(path)
		}
		for _, path := range []string{"/", "/register", "/recover", "/agent/login", "/login"} {
			visit(path)
		}
		b.keyboard("/login " + lang)
		b.do(chromedp.SendKeys(chromedp.CSS(`#login`), alice.Email), chromedp.SendKeys(chromedp.CSS(`#password`), alice.Password+kb.Enter))
		b.do(chromedp.WaitVisible(chromedp.CSS(`.balances`)))
		if loc := b.location(); !strings.HasSuffix(loc, "/app") {
			t.Errorf("%s: Enter in the login form led to %s", lang, loc)
		}
		for _, path := range []string{"/app", "/app/history", "/app/security", "/help", "/help/guide/payment_failed", "/contact", "/chat", "/app/pay"} {
			visit(path)
		}
		b.do(chromedp.SendKeys(chromedp.CSS(`#amount`), "10000"),
			chromedp.SendKeys(chromedp.CSS(`#merchant_id`), site.Demo.Merchants[0].ID),
			chromedp.SendKeys(chromedp.CSS(`#order_ref`), "A11Y-"+lang), chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(chromedp.CSS(`#confirm-button`)))
		contrast("/app/pay/confirm")
		b.keyboard("/app/pay confirmation " + lang)
		b.screenshot("a11y-pay-confirm-focus-" + lang)
	}
}

// keyboard walks the page with Tab from its first focusable element (the skip link) to its
// last, then back once with Shift+Tab, and fails the test where focus leaves the DOM order
// or is not drawn.
func (b *browser) keyboard(page string) {
	b.t.Helper()
	n := value(b, chromedp.Evaluate[int](focusablesJS))
	if n < 3 {
		b.t.Fatalf("%s: only %d focusable elements", page, n)
	}
	value(b, chromedp.Evaluate[bool](`document.querySelector('[data-a11y-order="0"]').focus(), true`))
	var got []string
	for range n - 1 {
		b.do(chromedp.KeyEvent(kb.Tab))
		got = append(got, value(b, chromedp.Evaluate[string](focusedJS)))
	}
	// The first element was focused by script: come back to it by keyboard to see its ring.
	for range n - 1 {
		b.do(chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift)))
	}
	first := value(b, chromedp.Evaluate[string](focusedJS))
	got = append([]string{first}, got...)
	for i, g := range got {
		if want := strconv.Itoa(i); g != want {
			b.t.Errorf("%s: Tab stop %d is %q, want element %s with a visible focus indicator", page, i, g, want)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/config"
)

// TestBrowserWidgetCrossSite: a merchant's page on another site (http://127.0.0.1:PORT)
// carries the one <script> tag of Dompet (http://localhost:PORT2). The customer opens the
// widget, signs in through Dompet's popup (log in, allow the chat), and the frame is signed in
// with its chat-only partitioned cookie, which neither the merchant's page nor the frame's
// scripts can read; the customer starts a chat, an agent replies through the API, and the
// reply appears live in the frame. In English and in Chinese (the shop page's language, which
// the widget's frame speaks, and the browser's, which Dompet's popup speaks), each on a site
// of its own.
func TestBrowserWidgetCrossSite(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { widgetCrossSite(t, lang) })
	}
}

func widgetCrossSite(t *testing.T, lang string) {
	var dompet string // http://localhost:PORT2, known once the site runs
	shop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="%s"><head><title>Toko Contoh</title></head>
<body><h1>Toko Contoh</h1><p>Batik, kopi and more.</p>
<script src="%s/widget.js" defer></script></body></html>`, lang, dompet)
	}))
	t.Cleanup(shop.Close)
	site := newBrowserSite(t, func(c *config.Config) { c.FrameAncestors = []string{shop.URL} })
	dompet = strings.Replace(site.URL, "127.0.0.1", "localhost", 1) // another site than the shop's
	ctx := context.Background()
	u := site.Demo.Users[0]

	b := newBrowser(t, lang)
	b.do(chromedp.Navigate(shop.URL),
		chromedp.Click(chromedp.CSS(`#dompet-chat-button`)),
		chromedp.WaitReady(chromedp.CSS(`#dompet-chat-frame`)))
	// The frame is of another site: Chromium runs it as a target of its own.
	fb := b.frame(dompet + "/chat")
	fb.waitFor(`#widget-signin`)

	// "Sign in to chat" opens Dompet's page in a popup, opened by the frame.
	popup := chromedp.WaitNewTarget(fb.ctx, func(info *target.Info) bool { return info.Type == "page" })
	fb.click(`#widget-signin`)
	var pb *targetPage
	select {
	case id, ok := <-popup:
		if !ok {
			t.Fatal("no popup target")
		}
		pb = b.attach(id)
	case <-time.After(stepTimeout):
		t.Fatal("the sign-in popup did not open")
	}
	pb.waitFor(`#login`) // not signed in on Dompet: its login first
	if l := pb.eval(`document.documentElement.lang`); l != lang {
		t.Errorf("the popup's login speaks %q", l)
	}
	pb.fill(`#login`, u.Email)
	pb.fill(`#password`, u.Password)
	pb.submit(`#password`)
	pb.waitFor(`#widget-allow`)
	if loc := pb.eval(`location.href`); loc != dompet+"/widget/connect" {
		t.Errorf("after the login the popup is at %s", loc)
	}
	pb.submit(`#widget-allow`) // the page hands the code to the frame and closes

	// The frame is signed in: the chat form, with who is chatting.
	fb.waitFor(`#message`)
	if l := fb.eval(`document.documentElement.lang`); l != lang {
		t.Errorf("the frame speaks %q", l)
	}
	if who := fb.eval(`document.getElementById("widget-user").textContent`); !strings.Contains(who, u.Name) {
		t.Errorf("the frame says %q, want %s", who, u.Name)
	}
	// No script sees a token or a cookie: not the shop's page, not the frame's own.
	if c := value(b, chromedp.Evaluate[string](`document.cookie`)); c != "" {
		t.Errorf("the shop's page sees cookies: %q", c)
	}
	if c := fb.eval(`document.cookie`); strings.Contains(c, "dompet_widget") {
		t.Errorf("the frame's script reads the widget's cookie: %q", c)
	}

	fb.fill(`#topic`, "other")
	fb.fill(`#message`, "Hello from the shop: is my order paid?")
	fb.submit(`#message`)
	fb.waitFor(`#chat-log li.msg-customer`)
	fb.waitFor(`#chat-send[data-live="1"]`) // its WebSocket, with the widget's cookie
	convID := fb.eval(`document.getElementById("chat-send").dataset.conv`)
	conv, err := site.App.Support.CustomerConversation(ctx, u.ID, convID)
	if err != nil {
		t.Fatalf("conversation %q: %v", convID, err)
	}

	// An agent of its team takes it and replies through the API.
	agent := assignToTeamAgent(t, site, conv)
	token := widgetAgentToken(t, site, agent.Email)
	const reply = "Yes, your order is paid. Anything else?"
	body, _ := json.Marshal(map[string]string{"body": reply})
	req, _ := http.NewRequest("POST", site.URL+"/api/v1/agent/conversations/"+convID+"/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("agent reply: %s", res.Status)
	}
	fb.waitFor(`#chat-log li.msg-agent`) // live, without a reload
	if got := fb.eval(`document.querySelector("#chat-log li.msg-agent .body").textContent`); got != reply {
		t.Errorf("the frame shows %q, want the agent's reply", got)
	}
	b.screenshot(shotIn("widget-cross-site", lang))
}

// targetPage drives a target chromedp attached to after it loaded: the widget's frame from
// another site (Chromium runs it as a target of its own) or the popup it opens. chromedp
// learns a target's frames from their navigation events, which such a target never sent it,
// so its queries wait forever there; these steps are scripts in the target's page instead.
type targetPage struct {
	t   *testing.T
	ctx context.Context
}

// frame is the cross-site iframe whose URL starts with prefix, once Chromium lists it.
func (b *browser) frame(prefix string) *targetPage {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for {
		infos, err := chromedp.Targets(b.ctx)
		if err != nil {
			b.t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, prefix) {
				return b.attach(info.TargetID)
			}
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("no frame at %s among %d targets", prefix, len(infos))
		}
		time.Sleep(50 * time.Millisecond) // polling for the frame, with a deadline
	}
}

// attach is the target id (a popup, a cross-site frame).
func (b *browser) attach(id target.ID) *targetPage {
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(id))
	b.t.Cleanup(cancel)
	// The first call attaches, and the attachment lives as long as that call's context: it
	// must have no deadline (as the browser's first).
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("attach %s: %v", id, err)
	}
	return &targetPage{t: b.t, ctx: ctx}
}

// withGesture runs a script as a user's action (a popup may open from it).
func withGesture(p *runtime.EvaluateParams) { p.UserGesture = new(true) }

// try evaluates expr once; a page between two documents fails, and is tried again.
func (p *targetPage) try(expr string) (string, error) {
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[string](expr, withGesture))
}

// eval is the string expr gives in the page.
func (p *targetPage) eval(expr string) string {
	p.t.Helper()
	v, err := p.try(expr)
	if err != nil {
		p.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor waits until an element matches css, polling with a deadline (the page may be
// loading another document meanwhile).
func (p *targetPage) waitFor(css string) {
	p.t.Helper()
	q, _ := json.Marshal(css)
	deadline := time.Now().Add(stepTimeout)
	for {
		if v, err := p.try(fmt.Sprintf(`document.querySelector(%s) ? "yes" : "no"`, q)); err == nil && v == "yes" {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %s in %s", css, p.eval(`location.href`))
		}
		time.Sleep(50 * time.Millisecond) // polling with a deadline
	}
}

// click clicks the element css as the user does.
func (p *targetPage) click(css string) {
	p.t.Helper()
	q, _ := json.Marshal(css)
	// After this script: a popup the click opens must not hold the script's answer back.
	p.eval(fmt.Sprintf(`(function (el) { setTimeout(function () { el.click(); }, 0); return ""; })(document.querySelector(%s))`, q))
}

// fill types v into the field css.
func (p *targetPage) fill(css, v string) {
	p.t.Helper()
	q, _ := json.Marshal(css)
	val, _ := json.Marshal(v)
	p.eval(fmt.Sprintf(`document.querySelector(%s).value = %s, ""`, q, val))
}

// submit submits the form of the element css (with its submit event: scripts see it).
func (p *targetPage) submit(css string) {
	p.t.Helper()
	q, _ := json.Marshal(css)
	p.eval(fmt.Sprintf(`(function (el) { var f = el.form || el; f.requestSubmit(el.type === "submit" ? el : undefined); return ""; })(document.querySelector(%s))`, q))
}

// widgetAgentToken logs the demo staff member email in through the API.
func widgetAgentToken(t *testing.T, site *browserSite, email string) string {
	t.Helper()
	for _, a := range site.Demo.Agents {
		if a.Email != email {
			continue
		}
		code, err := totp.GenerateCode(a.TOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"email": a.Email, "password": site.Demo.Logins.AgentPassword, "otp": code})
		res, err := http.Post(site.URL+"/api/v1/agent/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var login struct {
			Token string `json:"token"`
		}
		if err := json.NewDecoder(res.Body).Decode(&login); err != nil || login.Token == "" {
			t.Fatalf("agent login %s: %s %v", email, res.Status, err)
		}
		return login.Token
	}
	t.Fatalf("%s is no demo agent", email)
	return ""
}

package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/support"
)

// TestConsoleCallDisposition: a phone conversation's page shows the disposition form; the
// agent records one with a note (303 and the conversation shows it), the reports chart it, and
// a chat conversation has no form and refuses the post in the API's words.
func TestConsoleCallDisposition(t *testing.T) {
	site := newDemoSite(t)
	ctx := context.Background()
	res, err := site.App.Support.Call(ctx, support.CallEvent{Type: support.CallIncoming, CallID: "console-call-1",
		From: site.Demo.Users[0].Phone})
	if err != nil {
		t.Fatal(err)
	}
	agent := newConsoleClient(t, site)
	agent.staffLogin(site.demoAgent(t, "agent", res.Route.Team))
	page := "/agent/conversations/" + res.ConversationID
	_, body := agent.get(page + "?lang=en")
	if !strings.Contains(body, `id="disposition-form"`) || !strings.Contains(body, `<dd id="conv-disposition">Not set</dd>`) {
		t.Fatalf("the phone conversation lacks the disposition form or state")
	}
	r, _ := agent.post(page+"/call-disposition", url.Values{"disposition": {"escalated"}, "note": {"fraud team"}}, true)
	if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "done=disposition") {
		t.Fatalf("disposition: %s %s", r.Status, r.Header.Get("Location"))
	}
	_, body = agent.get(page + "?lang=en&done=disposition")
	if !strings.Contains(body, `<dd id="conv-disposition">Escalated · fraud team</dd>`) || !strings.Contains(body, "Call disposition: Escalated. Note: fraud team") { // the note, in the page language
		t.Errorf("the conversation does not show the disposition")
	}

	chat := site.openChat(t, 0, "other", "hello")
	_, body = agent.get("/agent/conversations/" + chat.ID + "?lang=en")
	if strings.Contains(body, `id="disposition-form"`) {
		t.Error("a chat shows the disposition form")
	}
	r, body = agent.post("/agent/conversations/"+chat.ID+"/call-disposition", url.Values{"disposition": {"resolved"}}, true)
	if r.StatusCode != http.StatusConflict || !strings.Contains(body, "Only phone and call-back conversations") {
		t.Errorf("disposition of a chat: %s", r.Status)
	}

	lead := newConsoleClient(t, site)
	lead.staffLogin(site.demoAgent(t, "supervisor", res.Route.Team))
	if _, body = lead.get("/agent/reports?lang=en&days=1"); !strings.Contains(body, `id="by-disposition"`) ||
		!strings.Contains(body, "Calls by disposition") {
		t.Error("the reports lack the disposition chart")
	}
}

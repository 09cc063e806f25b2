package main

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/dompet/dompet/internal/support"
)

// TestConsoleCallTextsInLanguage: the phone channel stores its subject and system messages in
// English (the API returns them so), and the console shows them in its own language: the
// inbox's subject, the conversation's title, "incoming call" and "call ended" messages and
// the disposition note, in English and in Chinese; the API's text is unchanged.
func TestConsoleCallTextsInLanguage(t *testing.T) {
	site := newDemoSite(t)
	ctx := context.Background()
	user := site.Demo.Users[0]
	res, err := site.App.Support.Call(ctx, support.CallEvent{Type: support.CallIncoming, CallID: "lang-call-1", From: user.Phone})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := site.App.Support.Call(ctx, support.CallEvent{Type: support.CallEnded, CallID: "lang-call-1", From: user.Phone,
		Reason: "no_answer", DurationSeconds: 75}); err != nil {
		t.Fatal(err)
	}
	conv, err := site.App.Support.Call(ctx, support.CallEvent{Type: support.CallIncoming, CallID: "lang-call-2", From: "anonymous"})
	if err != nil {
		t.Fatal(err)
	}
	lead := newConsoleClient(t, site)
	lead.staffLogin(site.demoAgent(t, "supervisor", res.Route.Team))
	page := "/agent/conversations/" + res.ConversationID
	lead.get(page)
	if r, body := lead.post(page+"/call-disposition", url.Values{"disposition": {"callback_needed"}, "note": {"ring back at 5"}}, true); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("disposition: %s %s", r.Status, body)
	}

	for _, tc := range []struct {
		lang           string
		inbox, conv    []string
		notInbox, notC []string
	}{
		{"en", []string{"Call from " + user.Name, "Call from anonymous caller", ">anonymous caller<"},
			[]string{"Call from " + user.Name, "Incoming call from " + user.Name + " (call lang-call-1)",
				"Call ended: no answer, talked for 1 min 15 s", "Call disposition: Call-back needed. Note: ring back at 5", "Phone · <time"},
			nil, []string{"no_answer", "1m15s"}},
		{"zh-CN", []string{"来电：" + user.Name, "来电：匿名来电", ">匿名来电<"},
			[]string{"来电：" + user.Name, user.Name + " 来电（通话 lang-call-1）", "通话结束：无人接听，通话时长 1 分 15 秒",
				"通话结果：需要回电。备注：ring back at 5", "电话 · <time"},
			[]string{"Call from", "anonymous"}, []string{"Call from", "Incoming call", "Call ended", "Call disposition", "phone · <time"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			_, inbox := lead.get("/agent?view=all&lang=" + tc.lang)
			inbox = html.UnescapeString(inbox)
			for _, want := range tc.inbox {
				if !strings.Contains(inbox, want) {
					t.Errorf("the inbox lacks %q", want)
				}
			}
			for _, bad := range tc.notInbox {
				if strings.Contains(inbox, bad) {
					t.Errorf("the inbox shows %q", bad)
				}
			}
			_, body := lead.get(page + "?lang=" + tc.lang)
			body = html.UnescapeString(body)
			for _, want := range tc.conv {
				if !strings.Contains(body, want) {
					t.Errorf("the conversation lacks %q", want)
				}
			}
			for _, bad := range tc.notC {
				if strings.Contains(body, bad) {
					t.Errorf("the conversation shows %q", bad)
				}
			}
		})
	}

	// The API keeps the stored English texts (API.md).
	c, err := site.App.Support.Conversation(ctx, conv.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "Call from anonymous" {
		t.Errorf("stored subject %q", c.Subject)
	}
}

package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dompet/dompet/internal/support"
)

// TestBrowserChatFromFailedPayment: a demo customer whose payment failed starts a chat from
// that transaction (its reason on the form), lands on the conversation, which says where it
// stands (the agent, or the queue place and wait) and connects its WebSocket with the page's
// cookie; an agent replies through the desk, and the reply appears on the page without a
// reload. The message typed meanwhile stays in the box: the page was not reloaded.
func TestBrowserChatFromFailedPayment(t *testing.T) {
	site := newBrowserSite(t, nil)
	ctx := context.Background()
	u, tx := failedPayment(t, site)
	tx.Localize("en")
	b := newBrowser(t, "en")
	b.do(chromedp.Navigate(site.URL+"/chat?transaction_id="+tx.ID), // sent to log in, then back
		chromedp.SendKeys(chromedp.CSS(`#login`), u.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), u.Password),
		chromedp.Submit(chromedp.CSS(`#password`)))
	if reason := b.text(`#chat-tx`); !strings.Contains(reason, tx.FailureReason) {
		t.Errorf("the chat form does not show the failure reason %q: %q", tx.FailureReason, reason)
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`#message`), "My payment failed, what now?"),
		chromedp.Submit(chromedp.CSS(`#message`)),
		chromedp.WaitVisible(chromedp.CSS(`#chat-log li.msg-customer`)),
		chromedp.WaitReady(chromedp.CSS(`#chat-send[data-live="1"]`)))
	state := b.text(`#chat-state p:not([hidden])`)
	if !strings.Contains(state, "chatting with") && !strings.Contains(state, "in the queue") {
		t.Errorf("the conversation says neither the agent nor the queue: %q", state)
	}
	convID := strings.TrimPrefix(strings.SplitN(b.location(), "?", 2)[0], site.URL+"/chat/")
	conv, err := site.App.Support.CustomerConversation(ctx, u.ID, convID)
	if err != nil || conv.TransactionID != tx.ID {
		t.Fatalf("conversation %s: %+v %v", convID, conv, err)
	}
	v := lead(t, site)
	if conv.AssigneeID != nil {
		m, err := site.App.Staff.Member(ctx, *conv.AssigneeID)
		if err != nil {
			t.Fatal(err)
		}
		v = support.ViewerOf(m, "127.0.0.1")
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`#body`), "still typing"))
	if _, err := site.App.Support.AgentPost(ctx, v, convID, "Hello, I see the failed payment. Let me check.", false); err != nil {
		t.Fatal(err)
	}
	if reply := b.text(`#chat-log li.msg-agent`); !strings.Contains(reply, "Let me check.") || !strings.Contains(reply, v.Name) {
		t.Errorf("the agent's reply: %q", reply)
	}
	if typed := value(b, chromedp.Value(chromedp.CSS(`#body`))); typed != "still typing" {
		t.Errorf("the page was reloaded: the box holds %q", typed)
	}
	b.screenshot("chat-en")
}

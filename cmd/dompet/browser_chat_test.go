package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/dompet/dompet/internal/support"
)

// TestBrowserChatFromFailedPayment: a demo customer whose payment failed opens it in the
// history and starts a chat from there (the reason on the chat form), lands on the conversation, which says where it
// stands (the agent, or the queue place and wait) and connects its WebSocket with the page's
// cookie; a queued chat is assigned by a supervisor and the agent's name appears live; the
// agent types (the page says so) and replies through the desk, and the reply appears on the
// page without a reload; a message sent from the page goes over the socket, and the agent's
// read marker shows as "seen". The message typed meanwhile stays in the box: the page was not reloaded.
// In English and in Chinese, each on a site of its own (the demo has one failed payment).
func TestBrowserChatFromFailedPayment(t *testing.T) {
	for _, lang := range flowLangs {
		t.Run(lang, func(t *testing.T) { chatFromFailedPayment(t, lang) })
	}
}

func chatFromFailedPayment(t *testing.T, lang string) {
	site := newBrowserSite(t, nil)
	ctx := context.Background()
	u, tx := chatFailedPayment(t, site)
	tx.Localize(lang)
	b := newBrowser(t, lang)
	b.do(chromedp.Navigate(site.URL+"/app/history/"+tx.ID), // sent to log in, then back
		chromedp.SendKeys(chromedp.CSS(`#login`), u.Email),
		chromedp.SendKeys(chromedp.CSS(`#password`), u.Password),
		chromedp.Submit(chromedp.CSS(`#password`)),
		chromedp.Click(chromedp.CSS(`main a[href^="/chat?transaction_id="]`))) // the transaction's "contact support"
	if reason := b.text(`#chat-tx`); !strings.Contains(reason, tx.FailureReason) {
		t.Errorf("the chat form does not show the failure reason %q: %q", tx.FailureReason, reason)
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`#message`), "My payment failed, what now?"))
	b.screenshot("chat-start-" + lang)
	b.do(chromedp.Submit(chromedp.CSS(`#message`)),
		chromedp.WaitVisible(chromedp.CSS(`#chat-log li.msg-customer`)),
		chromedp.WaitReady(chromedp.CSS(`#chat-send[data-live="1"]`)))
	state := b.text(`#chat-state p:not([hidden])`)
	if !containsMsg(t, state, lang, "chat.agent") && !containsMsg(t, state, lang, "chat.queue") {
		t.Errorf("the conversation says neither the agent nor the queue: %q", state)
	}
	convID := strings.TrimPrefix(strings.SplitN(b.location(), "?", 2)[0], site.URL+"/chat/")
	conv, err := site.App.Support.CustomerConversation(ctx, u.ID, convID)
	if err != nil || conv.TransactionID != tx.ID {
		t.Fatalf("conversation %s: %+v %v", convID, conv, err)
	}
	// Queued: a supervisor gives it to an agent of its team, and the page says so live.
	m := assignToTeamAgent(t, site, conv)
	v := support.ViewerOf(m, "127.0.0.1")
	if agent := b.text(`#chat-agent`); !strings.Contains(agent, m.Name) {
		t.Errorf("the agent shown: %q, want %s", agent, m.Name)
	}
	b.do(chromedp.SendKeys(chromedp.CSS(`#body`), "still typing"))
	site.App.Support.Typing(ctx, convID, support.Author{Type: support.AuthorAgent, ID: m.ID, Name: m.Name})
	b.do(chromedp.WaitVisible(chromedp.CSS(`#chat-typing`)))
	if _, err := site.App.Support.AgentPost(ctx, v, convID, "Hello, I see the failed payment. Let me check.", false); err != nil {
		t.Fatal(err)
	}
	if reply := b.text(`#chat-log li.msg-agent`); !strings.Contains(reply, "Let me check.") || !strings.Contains(reply, v.Name) {
		t.Errorf("the agent's reply: %q", reply)
	}
	if typed := value(b, chromedp.Value(chromedp.CSS(`#body`))); typed != "still typing" {
		t.Errorf("the page was reloaded: the box holds %q", typed)
	}
	// Sent over the socket (no form post: the mark on the window survives): acknowledged once
	// stored, then shown as stored.
	value(b, chromedp.Evaluate[bool](`window.chatMark = true`))
	b.do(chromedp.SetValue(chromedp.CSS(`#body`), "Thank you"), chromedp.Click(chromedp.CSS(`#chat-send button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#chat-log li.msg-customer:not(.msg-pending):last-child`)))
	msgs, err := site.App.Support.CustomerMessages(ctx, u.ID, convID, "")
	if err != nil || msgs[len(msgs)-1].Body != "Thank you" || msgs[len(msgs)-1].ClientID == "" {
		t.Errorf("the message sent from the page: %+v %v", msgs[len(msgs)-1], err)
	}
	if !value(b, chromedp.Evaluate[bool](`window.chatMark === true`)) {
		t.Error("the page was reloaded to send the message")
	}
	if last := b.text(`#chat-log li:last-child .body`); last != "Thank you" {
		t.Errorf("the last message on the page: %q", last)
	}
	// The agent reads it: the page says so.
	if _, err := site.App.Support.AgentRead(ctx, v, convID, msgs[len(msgs)-1].ID); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.WaitVisible(chromedp.CSS(`#chat-seen`)))
	b.screenshot("chat-" + lang)
}

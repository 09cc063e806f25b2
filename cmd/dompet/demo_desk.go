package main

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/dompet/dompet/internal/app"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// demoConversation is one of the desk's demo conversations, for `dompet demo --json`.
type demoConversation struct {
	Key     string `json:"key"`
	ID      string `json:"id"`
	Ref     string `json:"ref"`
	Channel string `json:"channel"`
	Status  string `json:"status"`
	What    string `json:"what"`
}

// demoPDF is a tiny valid PDF: the receipt Li Wei mails.
var demoPDF = []byte("%PDF-1.4\n1 0 obj<< /Type /Catalog /Pages 2 0 R >>endobj\n2 0 obj<< /Type /Pages /Kids [] /Count 0 >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n")

// demoDesk loads the desk's demo conversations, one or more per channel, so that a newcomer
// logging in as an agent sees the desk working: a chat waiting in the queue, a chat assigned
// with an agent's reply, an email from a Chinese customer with a receipt, a phone call with
// the agent's call notes and disposition, a call-back request, and a resolved chat with its
// CSAT score. Each is found again by a fixed key (the opening message's client id, the mail's
// Message-ID, the call id), so a second run adds nothing. Demo agents start offline, so the
// chat that waits is assigned the moment a payments agent comes online.
func demoDesk(ctx context.Context, a *app.App, sum *demoSummary) error {
	if err := demoOpenHours(ctx, a); err != nil {
		return err
	}
	members, err := a.Staff.List(ctx)
	if err != nil {
		return fmt.Errorf("demo desk: %w", err)
	}
	byEmail := map[string]staff.Staff{}
	for _, m := range members {
		byEmail[m.Email] = m
	}
	viewer := func(local, team string) (support.Viewer, error) {
		m, ok := byEmail[local+"."+team+"@dompet.localhost"]
		if !ok {
			return support.Viewer{}, fmt.Errorf("demo desk: no demo staff %s.%s", local, team)
		}
		return support.ViewerOf(m, "127.0.0.1"), nil
	}
	lead, err := viewer("supervisor", staff.DefaultTeam)
	if err != nil {
		return err
	}
	alice, budi, li := sum.Users[0], sum.Users[1], sum.Users[2]
	s := a.Support
	add := func(key, what string, c support.Conversation) {
		sum.Conversations = append(sum.Conversations, demoConversation{Key: key, ID: c.ID, Ref: c.Ref, Channel: c.Channel,
			Status: c.Status, What: what})
	}
	// chat opens a chat with a fixed client id unless one exists; then runs on the new one.
	chat := func(key string, u demoUser, topic, body, txID string, then func(c support.Conversation) error) (support.Conversation, error) {
		c, ok, err := s.OpenedWith(ctx, key)
		if err != nil || ok {
			return c, err
		}
		c, _, err = s.Open(ctx, support.NewConversation{Channel: support.ChannelChat, Topic: topic, Body: body, ClientID: key,
			TransactionID: txID, Customer: support.Customer{UserID: u.ID, Email: u.Email, Phone: u.Phone, Name: u.Name}})
		if err != nil {
			return c, fmt.Errorf("demo chat %s: %w", key, err)
		}
		if then != nil {
			if err := then(c); err != nil {
				return c, fmt.Errorf("demo chat %s: %w", key, err)
			}
		}
		return s.Conversation(ctx, c.ID)
	}
	failedPayment := ""
	for _, st := range sum.Activity {
		if st.Key == "demo-10" {
			failedPayment = st.Transaction
		}
	}

	// 1. Budi's payment was refused: his chat waits for a payments agent.
	c, err := chat("demo-chat-queued", budi, "payment_failed",
		"My payment to Toko Buku Demo was refused, but I thought I had enough money. Can you check?", failedPayment, nil)
	if err != nil {
		return err
	}
	add("demo-chat-queued", "chat waiting in the queue", c)

	// 2. Alice asks about her refund; the payments agent has it and has answered.
	payments, err := viewer("agent", "payments")
	if err != nil {
		return err
	}
	c, err = chat("demo-chat-assigned", alice, "refund",
		"I asked Toko Buku Demo for a refund two days ago (wrong edition). When will I get my money back?", "",
		func(c support.Conversation) error {
			if _, err := s.Assign(ctx, lead, c.ID, payments.StaffID); err != nil {
				return err
			}
			_, err := s.AgentPost(ctx, payments, c.ID, "Hello Alice, I can see your refund request for the book order. "+
				"The shop has 3 working days to answer; I have asked them to hurry and will write again tomorrow.", false)
			return err
		})
	if err != nil {
		return err
	}
	add("demo-chat-assigned", "chat assigned, with the agent's reply", c)

	// 3. Li Wei writes in Chinese by email, with the receipt attached.
	r, err := s.ReceiveEmail(ctx, support.InboundEmail{MessageID: "demo-email-1@dompet.localhost", From: li.Email, FromName: li.Name,
		Subject: "人民币充值没有到账", Lang: "zh-CN",
		Text: "您好，\n\n我昨天用银联卡充值了 800 元人民币，卡已经扣款，但是钱包里看不到。附件是银行的收据。\n\n谢谢，\n李伟",
		Attachments: []support.EmailAttachment{{Filename: "银行收据.pdf", ContentType: "application/pdf",
			Size: int64(len(demoPDF)), Content: demoPDF}}})
	if err != nil {
		return fmt.Errorf("demo email: %w", err)
	}
	if r.New {
		s.EmailStored(ctx, r.ConversationID, "demo-email-1@dompet.localhost")
	}
	if c, err = s.Conversation(ctx, r.ConversationID); err != nil {
		return fmt.Errorf("demo email: %w", err)
	}
	add("demo-email-1", "email from a Chinese customer, with an attachment", c)

	// 4. Budi phoned; the accounts agent took the call and wrote notes and the disposition.
	accounts, err := viewer("agent", "accounts")
	if err != nil {
		return err
	}
	var call support.CallResult
	for _, e := range []support.CallEvent{
		{Type: support.CallIncoming, CallID: "demo-call-1", From: budi.Phone},
		{Type: support.CallAnswered, CallID: "demo-call-1", From: budi.Phone, AgentEmail: "agent.accounts@dompet.localhost"},
		{Type: support.CallEnded, CallID: "demo-call-1", From: budi.Phone, Reason: "completed", DurationSeconds: 252},
	} {
		if call, err = s.Call(ctx, e); err != nil {
			return fmt.Errorf("demo call: %w", err)
		}
	}
	msgs, err := s.Messages(ctx, call.ConversationID, "", true, 0)
	if err != nil {
		return fmt.Errorf("demo call: %w", err)
	}
	noted := false
	for _, m := range msgs {
		noted = noted || (m.Internal && strings.HasPrefix(m.Body, "Call notes"))
	}
	if !noted {
		if _, err := s.AgentPost(ctx, accounts, call.ConversationID, "Call notes: Budi could not log in after a new phone. "+
			"Identity checked (date of birth, last top-up amount); explained how to reset the password from /recover.\n"+
			"Disposition: resolved on the call.", true); err != nil {
			return fmt.Errorf("demo call notes: %w", err)
		}
		if _, err := s.SetStatus(ctx, accounts, call.ConversationID, support.StatusResolved); err != nil {
			return fmt.Errorf("demo call: %w", err)
		}
	}
	if c, err = s.Conversation(ctx, call.ConversationID); err != nil {
		return fmt.Errorf("demo call: %w", err)
	}
	add("demo-call-1", "phone call with call notes and disposition", c)

	// 5. Alice asks to be called back about fees.
	mine, _, err := s.CustomerConversations(ctx, alice.ID, support.Filter{Channel: support.ChannelCallback, Limit: 50})
	if err != nil {
		return fmt.Errorf("demo call-back: %w", err)
	}
	if len(mine) == 0 {
		cb, err := s.RequestCallback(ctx, support.Customer{UserID: alice.ID, Email: alice.Email, Phone: alice.Phone, Name: alice.Name},
			alice.Phone, "fees", "About the fee on my conversion to SGD; after 14:00 please.", nil)
		if err != nil {
			return fmt.Errorf("demo call-back: %w", err)
		}
		if c, err = s.Conversation(ctx, cb.ConversationID); err != nil {
			return fmt.Errorf("demo call-back: %w", err)
		}
	} else {
		c = mine[0]
	}
	add("demo-callback-1", "call-back request", c)

	// 6. Li Wei's locked account, resolved, rated 5.
	c, err = chat("demo-chat-resolved", li, "account_locked", "我的账户被锁定了，输错了三次密码。请帮我解锁。", "",
		func(c support.Conversation) error {
			if _, err := s.Assign(ctx, lead, c.ID, accounts.StaffID); err != nil {
				return err
			}
			if _, err := s.AgentPost(ctx, accounts, c.ID, "您好，已核实您的身份，账户已解锁。请重新登录，并建议开启两步验证。", false); err != nil {
				return err
			}
			if _, err := s.SetStatus(ctx, accounts, c.ID, support.StatusResolved); err != nil {
				return err
			}
			_, err := s.Rate(ctx, li.ID, c.ID, 5, "很快就解决了，谢谢！")
			return err
		})
	if err != nil {
		return err
	}
	add("demo-chat-resolved", "resolved chat with a CSAT score", c)
	return nil
}

// demoOpenHours opens the demo desk around the clock, so that a chat started at any hour
// meets an agent (outside business hours a chat becomes an email-style conversation, which a
// newcomer would otherwise see first at night). A team whose hours are already so is left
// alone, and the change is audited like any other.
func demoOpenHours(ctx context.Context, a *app.App) error {
	teams, err := a.Staff.Teams(ctx)
	if err != nil {
		return fmt.Errorf("demo hours: %w", err)
	}
	h := staff.BusinessHours{TimeZone: "Asia/Jakarta", Holidays: []string{}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		h.Weekly = append(h.Weekly, staff.Period{Day: d, Start: "00:00", End: "24:00"})
	}
	for _, t := range teams {
		if reflect.DeepEqual(t.BusinessHours, h) {
			continue
		}
		if _, err := a.Staff.UpdateTeam(ctx, staff.Operator(), t.Slug, staff.TeamChange{BusinessHours: &h, Reason: "demo: the desk is open around the clock"}); err != nil {
			return fmt.Errorf("demo hours of %s: %w", t.Slug, err)
		}
	}
	return nil
}

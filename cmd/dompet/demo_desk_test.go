package main

import (
	"context"
	"slices"
	"testing"

	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// TestDemoDesk: the demo loads a conversation of each kind the issue names, on every channel;
// a second load adds none and changes none; the desk's staff see them as the agent API shows
// them (support.AgentConversations is what GET /api/v1/agent/conversations serves).
func TestDemoDesk(t *testing.T) {
	ctx := context.Background()
	a := newTestApp(t)
	first, err := seedDemo(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	members, err := a.Staff.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	viewer := func(email string) support.Viewer {
		for _, m := range members {
			if m.Email == email {
				return support.ViewerOf(m, "127.0.0.1")
			}
		}
		t.Fatalf("no staff %s", email)
		return support.Viewer{}
	}
	lead := viewer("supervisor.general@dompet.localhost")
	type seen struct {
		conv  support.Conversation
		msgs  []support.Message
		notes int
	}
	look := func() map[string]seen {
		t.Helper()
		all, _, err := a.Support.AgentConversations(ctx, lead, support.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]seen{}
		for _, c := range all {
			msgs, err := a.Support.AgentMessages(ctx, lead, c.ID, "")
			if err != nil {
				t.Fatal(err)
			}
			s := seen{conv: c, msgs: msgs}
			for _, m := range msgs {
				if m.Internal {
					s.notes++
				}
			}
			out[c.ID] = s
		}
		return out
	}
	before := look()
	if len(first.Conversations) != 6 || len(before) != 6 {
		t.Fatalf("%d conversations reported, %d on the desk; want 6", len(first.Conversations), len(before))
	}
	byKey := map[string]seen{}
	var channels []string
	for _, c := range first.Conversations {
		s, ok := before[c.ID]
		if !ok {
			t.Fatalf("%s (%s) is not on the desk", c.Key, c.ID)
		}
		byKey[c.Key] = s
		channels = append(channels, s.conv.Channel)
	}
	for _, ch := range support.Channels {
		if !slices.Contains(channels, ch) {
			t.Errorf("no demo conversation on channel %s", ch)
		}
	}
	if q := byKey["demo-chat-queued"].conv; q.Status != support.StatusOpen || q.AssigneeID != nil || q.Queue == nil || q.Queue.Position != 1 ||
		q.TransactionID == "" {
		t.Errorf("queued chat: %+v", q)
	}
	if s := byKey["demo-chat-assigned"]; s.conv.AssigneeID == nil || len(s.msgs) != 2 || s.msgs[1].Author.Type != support.AuthorAgent {
		t.Errorf("assigned chat: %+v %+v", s.conv, s.msgs)
	}
	if s := byKey["demo-email-1"]; s.conv.Channel != support.ChannelEmail || s.conv.Subject != "人民币充值没有到账" ||
		len(s.msgs) != 1 || len(s.msgs[0].Attachments) != 1 || s.msgs[0].Attachments[0].ContentType != "application/pdf" {
		t.Errorf("email: %+v %+v", s.conv, s.msgs)
	}
	if s := byKey["demo-call-1"]; s.conv.Channel != support.ChannelPhone || s.notes != 1 || s.conv.Status != support.StatusResolved ||
		s.conv.Customer.UserID != first.Users[1].ID {
		t.Errorf("phone call: %+v %+v", s.conv, s.msgs)
	}
	if s := byKey["demo-callback-1"]; s.conv.Channel != support.ChannelCallback || s.conv.Queue == nil {
		t.Errorf("call-back: %+v", s.conv)
	}
	if s := byKey["demo-chat-resolved"]; s.conv.Status != support.StatusResolved || s.conv.Rating == nil || s.conv.Rating.Score != 5 {
		t.Errorf("resolved chat: %+v", s.conv)
	}
	// A payments agent sees the waiting chat in their unassigned view.
	mine, _, err := a.Support.AgentConversations(ctx, viewer("agent.payments@dompet.localhost"), support.Filter{View: "unassigned", Limit: 50})
	if err != nil || !slices.ContainsFunc(mine, func(c support.Conversation) bool { return c.ID == byKey["demo-chat-queued"].conv.ID }) {
		t.Errorf("payments agent's unassigned view: %+v %v", mine, err)
	}
	if m, err := a.Staff.Member(ctx, lead.StaffID); err != nil || m.Role != staff.RoleSupervisor {
		t.Fatalf("lead: %+v %v", m, err)
	}

	second, err := seedDemo(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	after := look()
	if len(after) != len(before) {
		t.Fatalf("second load: %d conversations, was %d", len(after), len(before))
	}
	for i, c := range second.Conversations {
		if c.ID != first.Conversations[i].ID {
			t.Fatalf("second load: %s is %s, was %s", c.Key, c.ID, first.Conversations[i].ID)
		}
		if n, was := len(after[c.ID].msgs), len(before[c.ID].msgs); n != was {
			t.Fatalf("second load: %s has %d messages, had %d", c.Key, n, was)
		}
	}
}

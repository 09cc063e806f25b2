package support

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/outbox"
	"github.com/dompet/dompet/internal/staff"
)

func receive(t *testing.T, s *Service, in InboundEmail) ReceivedEmail {
	t.Helper()
	if in.From == "" {
		in.From = "customer@mail.test"
	}
	if in.Text == "" {
		in.Text = "hello"
	}
	r, err := s.ReceiveEmail(context.Background(), in)
	if err != nil {
		t.Fatalf("receive %s: %v", in.MessageID, err)
	}
	return r
}

func thread(t *testing.T, s *Service, ids []string, ref string) (EmailThread, bool) {
	t.Helper()
	th, ok, err := s.ThreadEmail(context.Background(), ids, ref)
	if err != nil {
		t.Fatal(err)
	}
	return th, ok
}

// The desk's side of the mailbox contract (mailbox.Desk), as the mailbox's in-memory desk
// shows it: threading by any stored Message-ID (ours included) or by reference, duplicates,
// and a promised reply time.
func TestEmailDesk(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a := receive(t, f.s, InboundEmail{MessageID: "a1@mail.test", AckMessageID: "ack1@dompet.test", Subject: "Help", Lang: "en"})
	if !a.New || a.Duplicate || a.Ref == "" || a.ReplyBy.IsZero() || a.ConversationID == "" {
		t.Fatalf("first mail: %+v", a)
	}
	b := receive(t, f.s, InboundEmail{MessageID: "b1@mail.test", AckMessageID: "ack2@dompet.test", From: "other@mail.test"})
	for _, c := range []struct {
		ids  []string
		ref  string
		want string
	}{
		{[]string{"zz@x", "ack1@dompet.test"}, "", a.ConversationID},
		{[]string{"a1@mail.test"}, "", a.ConversationID},
		{[]string{"b1@mail.test", "a1@mail.test"}, "", b.ConversationID}, // the earliest in the list wins
		{[]string{"a1@mail.test", "b1@mail.test"}, "", a.ConversationID},
		{nil, strings.ToLower(a.Ref), a.ConversationID},
		{[]string{"nope@x"}, "", ""},
		{nil, "NOPE", ""},
	} {
		th, ok := thread(t, f.s, c.ids, c.ref)
		if ok != (c.want != "") || th.ConversationID != c.want {
			t.Fatalf("%v %q: got %+v %v, want %s", c.ids, c.ref, th, ok, c.want)
		}
	}
	th, _ := thread(t, f.s, []string{"a1@mail.test"}, "")
	if th.Customer != "customer@mail.test" || th.Lang != "en" || th.Subject != "Help" || th.LastInbound != "a1@mail.test" ||
		strings.Join(th.MessageIDs, " ") != "a1@mail.test ack1@dompet.test" {
		t.Fatalf("thread: %+v", th)
	}

	// A retry of the opening mail, and of a reply, store nothing.
	if r := receive(t, f.s, InboundEmail{MessageID: "a1@mail.test", AckMessageID: "ack9@dompet.test"}); !r.Duplicate || r.ConversationID != a.ConversationID {
		t.Fatalf("retry of the first mail: %+v", r)
	}
	if r := receive(t, f.s, InboundEmail{ConversationID: a.ConversationID, MessageID: "a2@mail.test", Text: "more"}); r.New || r.Duplicate {
		t.Fatalf("reply: %+v", r)
	}
	if r := receive(t, f.s, InboundEmail{ConversationID: a.ConversationID, MessageID: "a2@mail.test", Text: "more"}); !r.Duplicate {
		t.Fatalf("retry of the reply: %+v", r)
	}
	// An auto-reply threads as a system message and does not reopen a resolved conversation.
	if _, err := f.s.SetStatus(ctx, Viewer{StaffID: "sup", Role: staff.RoleSupervisor}, a.ConversationID, StatusResolved); err != nil {
		t.Fatal(err)
	}
	receive(t, f.s, InboundEmail{ConversationID: a.ConversationID, MessageID: "auto@mail.test", Automatic: "Auto-Submitted: auto-replied", Text: "I am away"})
	c, _ := f.s.Conversation(ctx, a.ConversationID)
	msgs, _ := f.s.Messages(ctx, a.ConversationID, "", true, 0)
	if c.Status != StatusResolved || len(msgs) != 3 || msgs[2].Author.Type != AuthorSystem {
		t.Fatalf("after an auto-reply: %s, %+v", c.Status, msgs)
	}
	th, _ = thread(t, f.s, []string{"a1@mail.test"}, "")
	if th.LastInbound != "a2@mail.test" {
		t.Fatalf("an automatic mail became the last inbound: %+v", th)
	}

	// Inside a transaction that fails, nothing the desk did stays.
	boom := errors.New("boom")
	err := f.d.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := f.s.ReceiveEmail(ctx, InboundEmail{MessageID: "c1@mail.test", AckMessageID: "ack3@dompet.test", From: "x@mail.test", Text: "hi"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, ok := thread(t, f.s, []string{"c1@mail.test", "ack3@dompet.test"}, ""); ok {
		t.Fatal("a rolled-back mail threads")
	}
}

// An agent's reply on an email conversation is mailed by a row written in the transaction
// that stores it, and its Message-ID threads; if the row cannot be made, nothing is stored.
func TestEmailReply(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var fail bool
	var got EmailThread
	s := f.service(Options{Email: func(th EmailThread, body string) (db.Row, string, error) {
		if fail {
			return db.Row{}, "", errors.New("no composer")
		}
		got = th
		return outbox.Row(outbox.Message{Topic: "support.email", Payload: []byte(`{}`)}), "reply-" + body + "@dompet.test", nil
	}})
	f.dir.add("ag", staff.RoleAgent, "general", 2)
	a := receive(t, s, InboundEmail{MessageID: "a1@mail.test", AckMessageID: "ack1@dompet.test"})
	v := Viewer{StaffID: "ag", Name: "Agent ag", Role: staff.RoleAgent, Team: "general"}
	if _, err := s.AgentPost(ctx, v, a.ConversationID, "one", false); err != nil {
		t.Fatal(err)
	}
	if got.LastInbound != "a1@mail.test" || got.Customer != "customer@mail.test" {
		t.Fatalf("thread given to the composer: %+v", got)
	}
	if th, ok := thread(t, s, []string{"reply-one@dompet.test"}, ""); !ok || th.ConversationID != a.ConversationID {
		t.Fatal("the reply's Message-ID does not thread")
	}
	var rows int
	if err := f.d.QueryRow(ctx, `SELECT COUNT(*) FROM outbox_messages WHERE topic = 'support.email'`).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("outbox rows %d %v", rows, err)
	}
	fail = true
	if _, err := s.AgentPost(ctx, v, a.ConversationID, "two", false); err == nil {
		t.Fatal("a reply that cannot be mailed was stored")
	}
	if _, err := s.AgentPost(ctx, v, a.ConversationID, "a note", true); err != nil { // notes are not mailed
		t.Fatal(err)
	}
	msgs, _ := s.Messages(ctx, a.ConversationID, "", true, 0)
	if len(msgs) != 3 || msgs[1].Body != "one" || msgs[2].Body != "a note" {
		t.Fatalf("messages: %+v", msgs)
	}
}

// Due times come from the team's calendar: a conversation opened on Friday evening after
// closing is due in business time from Monday's opening; a Monday holiday moves it on.
func TestSLADueTimes(t *testing.T) {
	t.Parallel()
	jkt, _ := time.LoadLocation("Asia/Jakarta")
	weekdays := staff.BusinessHours{TimeZone: "Asia/Jakarta", Holidays: []string{}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		weekdays.Weekly = append(weekdays.Weekly, staff.Period{Day: d, Start: "09:00", End: "12:00"}, staff.Period{Day: d, Start: "13:00", End: "17:00"})
	}
	holiday := weekdays
	holiday.Holidays = []string{"2026-11-09"}
	friday := time.Date(2026, 11, 6, 19, 30, 0, 0, jkt) // Friday evening, closed
	for _, c := range []struct {
		name           string
		hours          staff.BusinessHours
		topic          string
		first, resolve time.Time
	}{
		// normal: 1 h / 24 h of business time (7 h a day, lunch closed)
		{"weekdays", weekdays, "other", time.Date(2026, 11, 9, 10, 0, 0, 0, jkt), time.Date(2026, 11, 12, 12, 0, 0, 0, jkt)},
		{"monday holiday", holiday, "other", time.Date(2026, 11, 10, 10, 0, 0, 0, jkt), time.Date(2026, 11, 13, 12, 0, 0, 0, jkt)},
		// account_security: 15 min / 4 h
		{"security", weekdays, "account_security", time.Date(2026, 11, 9, 9, 15, 0, 0, jkt), time.Date(2026, 11, 9, 14, 0, 0, 0, jkt)},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.dir.teams = []staff.Team{{Slug: "general", Topics: []string{"other", "account_security"}, BusinessHours: c.hours}}
			f.clock.t = friday.UTC()
			conv, _, err := f.s.Open(context.Background(), NewConversation{Channel: ChannelChat, Customer: Customer{UserID: "u1"}, Topic: c.topic, Body: "hi"})
			if err != nil {
				t.Fatal(err)
			}
			if conv.SLA == nil || !conv.SLA.FirstResponseDue.Equal(c.first) || !conv.SLA.ResolutionDue.Equal(c.resolve) {
				t.Fatalf("sla %+v, want %s / %s", conv.SLA, c.first, c.resolve)
			}
		})
	}
}

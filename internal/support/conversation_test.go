package support

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/staff"
)

func TestMessagesIdempotentOrderedAndNotesHidden(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.dir.add("stf_a", staff.RoleAgent, "general", 2)
	f.online(t, "stf_a")
	c := f.chat(t, f.s, "usr_1", "other")
	if c.Ref == "" || len(c.Ref) != 8 {
		t.Fatalf("ref %q", c.Ref)
	}
	if byRef, err := f.s.ByRef(ctx, strings.ToLower(c.Ref)); err != nil || byRef.ID != c.ID {
		t.Fatalf("by ref: %v %v", byRef.ID, err)
	}
	sub, stop := f.s.Bus().Subscribe(SubjectConversation(c.ID))
	defer stop()
	cust := Author{Type: AuthorCustomer, ID: "usr_1", Name: "Budi"}
	m1, err := f.s.Append(ctx, c.ID, NewMessage{Author: cust, Body: "one", ClientID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.s.Append(ctx, c.ID, NewMessage{Author: cust, Body: "one", ClientID: "k1"})
	if err != nil || again.ID != m1.ID {
		t.Fatalf("resend: %v %v, want the first message %s", again.ID, err, m1.ID)
	}
	v := Viewer{StaffID: "stf_a", Name: "Sari", Role: staff.RoleAgent, Team: "general"}
	if _, err := f.s.AgentPost(ctx, v, c.ID, "customer looks legit", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AgentPost(ctx, v, c.ID, "hello, I'm Sari", false); err != nil {
		t.Fatal(err)
	}
	got, err := f.s.CustomerMessages(ctx, "usr_1", c.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range got {
		bodies = append(bodies, m.Body)
	}
	if strings.Join(bodies, "|") != "help please|one|hello, I'm Sari" {
		t.Fatalf("customer sees %q", bodies)
	}
	after, _ := f.s.CustomerMessages(ctx, "usr_1", c.ID, m1.ID)
	if len(after) != 1 || after[0].Body != "hello, I'm Sari" {
		t.Fatalf("after %s: %+v", m1.ID, after)
	}
	all, _ := f.s.AgentMessages(ctx, v, c.ID, "")
	if len(all) != 4 || !all[2].Internal {
		t.Fatalf("agent sees %d messages: %+v", len(all), all)
	}
	// The customer's subject got the two public messages once each, never the note.
	var n int
	for {
		select {
		case e := <-sub:
			if strings.Contains(string(e.Payload), "legit") {
				t.Fatal("an internal note was published to the customer's subject")
			}
			n++
			continue
		default:
		}
		break
	}
	if n != 2 {
		t.Fatalf("%d events on the customer's subject, want 2", n)
	}
	conv, _ := f.s.Conversation(ctx, c.ID)
	if conv.FirstResponseAt == nil {
		t.Fatal("no first response time after the agent's reply")
	}

	// Another customer sees nothing of it.
	if _, err := f.s.CustomerConversation(ctx, "usr_2", c.ID); err != ErrNotFound {
		t.Fatalf("another customer: %v", err)
	}
	if _, err := f.s.CustomerPost(ctx, "usr_2", "Eve", c.ID, NewMessage{Body: "hi"}); err != ErrNotFound {
		t.Fatalf("another customer posts: %v", err)
	}
	if list, _, _ := f.s.CustomerConversations(ctx, "usr_2", Filter{}); len(list) != 0 {
		t.Fatalf("another customer lists %d", len(list))
	}
	// An agent of another team does not see it; a supervisor does.
	if _, err := f.s.AgentConversation(ctx, Viewer{StaffID: "stf_x", Role: staff.RoleAgent, Team: "payments"}, c.ID); err != ErrNotFound {
		t.Fatalf("agent of another team: %v", err)
	}
	if _, err := f.s.AgentConversation(ctx, Viewer{StaffID: "stf_s", Role: staff.RoleSupervisor, Team: "payments"}, c.ID); err != nil {
		t.Fatalf("supervisor: %v", err)
	}
	wantCode(t, func() error {
		_, err := f.s.AgentConversation(ctx, Viewer{StaffID: "stf_r", Role: staff.RoleReviewer}, c.ID)
		return err
	}(), "forbidden")

	// Too long a body is refused and stores nothing.
	_, err = f.s.Append(ctx, c.ID, NewMessage{Author: cust, Body: strings.Repeat("x", 100<<10)})
	wantCode(t, err, "invalid_request")
	if all2, _ := f.s.AgentMessages(ctx, v, c.ID, ""); len(all2) != 4 {
		t.Fatalf("%d messages after a refused one", len(all2))
	}

	// Rating: only once resolved, only once.
	_, err = f.s.Rate(ctx, "usr_1", c.ID, 5, "")
	wantCode(t, err, "invalid_state")
	if _, err := f.s.SetStatus(ctx, v, c.ID, StatusResolved); err != nil {
		t.Fatal(err)
	}
	if r, err := f.s.Rate(ctx, "usr_1", c.ID, 4, "quick"); err != nil || r.Rating == nil || r.Rating.Score != 4 {
		t.Fatalf("rate: %+v %v", r.Rating, err)
	}
	_, err = f.s.Rate(ctx, "usr_1", c.ID, 1, "")
	wantCode(t, err, "invalid_state")
	// Closed refuses new messages.
	lead := Viewer{StaffID: "stf_s", Role: staff.RoleSupervisor}
	if _, err := f.s.SetStatus(ctx, lead, c.ID, StatusClosed); err != nil {
		t.Fatal(err)
	}
	_, err = f.s.Append(ctx, c.ID, NewMessage{Author: cust, Body: "hello?"})
	wantCode(t, err, "invalid_state")
}

func TestTeamOfTopicFallsBackToGeneral(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// No agent in accounts: account topics go to general.
	if c := f.chat(t, f.s, "usr_1", "account_locked"); c.Team != "general" {
		t.Fatalf("team %s, want general", c.Team)
	}
	f.dir.add("stf_a", staff.RoleAgent, "accounts", 1)
	if c := f.chat(t, f.s, "usr_1", "account_locked"); c.Team != "accounts" {
		t.Fatalf("team %s, want accounts", c.Team)
	}
	// A queued chat with nobody on waits with the default handling estimate.
	c := f.chat(t, f.s, "usr_2", "account_security")
	if c.Queue == nil || c.Queue.Position != 2 || c.Queue.EstimatedWaitSeconds != 2*int64(defaultHandling/time.Second) {
		t.Fatalf("queue %+v", c.Queue)
	}
}

func TestAssignRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.dir.add("stf_a", staff.RoleAgent, "payments", 1)
	f.dir.add("stf_b", staff.RoleAgent, "payments", 1)
	c := f.chat(t, f.s, "usr_1", "refund") // nobody online: queued
	a := Viewer{StaffID: "stf_a", Name: "A", Role: staff.RoleAgent, Team: "payments"}
	b := Viewer{StaffID: "stf_b", Name: "B", Role: staff.RoleAgent, Team: "payments"}
	_, err := f.s.Assign(ctx, a, c.ID, "stf_b")
	wantCode(t, err, "forbidden") // an agent takes only for themselves
	got, err := f.s.Assign(ctx, a, c.ID, "stf_a")
	if err != nil || got.AssigneeID == nil || *got.AssigneeID != "stf_a" || got.Queue != nil {
		t.Fatalf("take: %+v %v", got, err)
	}
	_, err = f.s.Assign(ctx, b, c.ID, "stf_b")
	wantCode(t, err, "forbidden") // taken
	sup := Viewer{StaffID: "stf_s", Role: staff.RoleSupervisor, Team: "general"}
	if got, err = f.s.Assign(ctx, sup, c.ID, "stf_b"); err != nil || *got.AssigneeID != "stf_b" {
		t.Fatalf("reassign: %+v %v", got, err)
	}
	if st, _ := f.s.Agent(ctx, "stf_a"); st.Active != 0 {
		t.Fatalf("stf_a's load %d after the reassignment", st.Active)
	}
	if st, _ := f.s.Agent(ctx, "stf_b"); st.Active != 1 {
		t.Fatalf("stf_b's load %d", st.Active)
	}
}

func TestOpenAt(t *testing.T) {
	h := staff.BusinessHours{TimeZone: "Asia/Jakarta", Holidays: []string{"2026-12-25"}, Weekly: []staff.Period{
		{Day: "mon", Start: "08:00", End: "12:00"}, {Day: "mon", Start: "13:00", End: "17:00"},
		{Day: "fri", Start: "08:00", End: "17:00"}}}
	jkt, _ := time.LoadLocation("Asia/Jakarta")
	at := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04", s, jkt)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, c := range []struct {
		now, next string // next "" when open
	}{
		{"2026-11-30 09:00", ""},                 // Monday morning
		{"2026-11-30 12:30", "2026-11-30 13:00"}, // lunch
		{"2026-11-30 17:00", "2026-12-04 08:00"}, // Monday evening: Friday next
		{"2026-12-04 18:00", "2026-12-07 08:00"}, // Friday evening: Monday
		{"2026-12-24 20:00", "2026-12-28 08:00"}, // Christmas Friday is a holiday
	} {
		open, next := OpenAt(h, at(c.now))
		if c.next == "" {
			if !open {
				t.Errorf("%s: closed, want open", c.now)
			}
			continue
		}
		if open || !next.Equal(at(c.next)) {
			t.Errorf("%s: open %v next %v, want next %s", c.now, open, next.In(jkt), c.next)
		}
	}
}

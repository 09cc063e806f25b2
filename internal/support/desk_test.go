package support

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/staff"
)

// fixedClock is a clock a test moves by hand.
type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// weekdays9to5 is Monday to Friday, 09:00 to 17:00 UTC.
func weekdays9to5() staff.BusinessHours {
	h := staff.BusinessHours{TimeZone: "UTC", Holidays: []string{}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
		h.Weekly = append(h.Weekly, staff.Period{Day: d, Start: "09:00", End: "17:00"})
	}
	return h
}

// deskFixture is a fixture whose service runs on a hand-moved clock, with the payments team
// open on weekdays 09:00 to 17:00 UTC (and an agent, so its topics route to it).
func deskFixture(t *testing.T) (*fixture, *Service, *fixedClock) {
	f := newFixture(t)
	f.dir.mu.Lock()
	f.dir.teams[1].BusinessHours = weekdays9to5()
	f.dir.mu.Unlock()
	f.dir.add("stf_p", staff.RoleAgent, "payments", 0)
	c := &fixedClock{}
	return f, New(f.d, Options{Staff: f.dir, Now: c.Now}), c
}

var lead = Viewer{StaffID: "stf_lead", Name: "Lead", Role: staff.RoleSupervisor}

// at is a time of the week of Monday 2 November 2026, UTC.
func at(day, hh, mm int) time.Time { return time.Date(2026, 11, 2+day, hh, mm, 0, 0, time.UTC) }

func TestReportSummaryByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, s, clk := deskFixture(t)
	clk.Set(at(7, 12, 0)) // the next Monday noon
	type row struct {
		id, channel, topic, team, status                   string
		created                                            time.Time
		assigned, first, resolved, frDue, resDue, pausedAt *time.Time
		pauses                                             string
		rating                                             int
	}
	p := func(t time.Time) *time.Time { return &t }
	far := p(at(30, 0, 0))
	rows := []row{
		// payments (weekdays 09–17): opened Monday 16:50, first reply Tuesday 09:05 → 10 + 5 business
		// minutes = 900 s; resolved Tuesday 10:00 → 70 min = 4200 s; waited 120 s; rated 5.
		{id: "cnv_1", channel: "chat", topic: "payment_failed", team: "payments", status: "resolved", created: at(0, 16, 50),
			assigned: p(at(0, 16, 52)), first: p(at(1, 9, 5)), resolved: p(at(1, 10, 0)), frDue: p(at(1, 9, 50)), resDue: far, rating: 5},
		// first reply 11:30 = 5400 s, after its 11:00 due (a breach); resolved 14:00 with an hour
		// pending 12:00–13:00 → 3 h = 10800 s; waited 600 s; rated 3.
		{id: "cnv_2", channel: "email", topic: "refund", team: "payments", status: "resolved", created: at(1, 10, 0),
			assigned: p(at(1, 10, 10)), first: p(at(1, 11, 30)), resolved: p(at(1, 14, 0)), frDue: p(at(1, 11, 0)), resDue: far,
			pauses: fmt.Sprintf("[[%d,%d]]", micros(at(1, 12, 0)), micros(at(1, 13, 0))), rating: 3},
		// accounts (always open): first reply after 60 s; waited 30 s; still open past its
		// resolution due (a breach).
		{id: "cnv_3", channel: "chat", topic: "account_locked", team: "accounts", status: "open", created: at(2, 8, 0),
			assigned: p(at(2, 8, 0).Add(30 * time.Second)), first: p(at(2, 8, 1)), frDue: p(at(2, 8, 30)), resDue: p(at(2, 16, 0))},
		// never answered nor assigned, both targets due: two breaches.
		{id: "cnv_4", channel: "phone", topic: "other", team: "general", status: "open", created: at(3, 10, 0),
			frDue: p(at(3, 11, 0)), resDue: p(at(4, 10, 0))},
		// 30 min to the first reply = 1800 s, 40 min to resolve = 2400 s, waited 1200 s, rated 1.
		{id: "cnv_5", channel: "callback", topic: "fees", team: "payments", status: "closed", created: at(4, 9, 0),
			assigned: p(at(4, 9, 20)), first: p(at(4, 9, 30)), resolved: p(at(4, 9, 40)), frDue: far, resDue: far, rating: 1},
		// resolved in 10 min = 600 s without a reply: a first response never given on a
		// resolved conversation is no breach.
		{id: "cnv_8", channel: "chat", topic: "other", team: "general", status: "resolved", created: at(4, 12, 0),
			resolved: p(at(4, 12, 10)), frDue: p(at(4, 13, 0)), resDue: far},
		// outside the period: before from, and at to (exclusive).
		{id: "cnv_6", channel: "chat", topic: "fees", team: "payments", status: "resolved", created: at(7, 0, 0), rating: 2},
		{id: "cnv_7", channel: "chat", topic: "fees", team: "payments", status: "resolved", created: at(-1, 23, 59), rating: 2},
	}
	for i, r := range rows {
		var rating any
		if r.rating > 0 {
			rating = r.rating
		}
		us := func(t *time.Time) any {
			if t == nil {
				return nil
			}
			return micros(*t)
		}
		if r.pauses == "" {
			r.pauses = "[]"
		}
		if _, err := f.d.Exec(ctx, `INSERT INTO support_conversations (id, ref, channel, customer_id, topic, status, team,
			assigned_at, first_response_at, resolved_at, first_response_due, resolution_due, paused_at, pauses, rating,
			created_at, updated_at) VALUES (?, ?, ?, 'usr_x', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.id, fmt.Sprintf("REF%d", i), r.channel, r.topic, r.status, r.team, us(r.assigned), us(r.first), us(r.resolved),
			us(r.frDue), us(r.resDue), us(r.pausedAt), r.pauses, rating, micros(r.created), micros(r.created)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Report(ctx, Viewer{StaffID: "stf_a", Role: staff.RoleAgent, Team: "payments"}, at(0, 0, 0), at(7, 0, 0)); err == nil {
		t.Fatal("an agent got the report")
	}
	got, err := s.Report(ctx, lead, at(0, 0, 0), at(7, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	v := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	check := func(what string, got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	check("conversations", got.Conversations, 6)
	check("by channel", got.ByChannel, map[string]int{"chat": 3, "email": 1, "phone": 1, "callback": 1})
	check("by topic", got.ByTopic, map[string]int{"account_locked": 1, "account_security": 0, "fees": 1, "other": 2, "payment_failed": 1, "refund": 1})
	// first response {60, 900, 1800, 5400}: p50 is the 2nd, p90 the 4th.
	check("first response", []int64{int64(got.FirstResponse.Count), v(got.FirstResponse.P50), v(got.FirstResponse.P90)}, []int64{4, 900, 5400})
	// resolution {600, 2400, 4200, 10800}: p50 the 2nd, p90 the 4th.
	check("resolution", []int64{int64(got.Resolution.Count), v(got.Resolution.P50), v(got.Resolution.P90)}, []int64{4, 2400, 10800})
	// queue wait {30, 120, 600, 1200}.
	check("queue wait", []int64{int64(got.QueueWait.Count), v(got.QueueWait.P50), v(got.QueueWait.P90)}, []int64{4, 120, 1200})
	check("breaches", got.SLABreaches, Breaches{Total: 4, FirstResponse: 2, Resolution: 2})
	check("csat count", got.CSAT.Count, 3)
	if got.CSAT.Average == nil || *got.CSAT.Average != 3 {
		t.Errorf("csat average %v, want 3", got.CSAT.Average)
	}
	check("csat distribution", got.CSAT.Distribution, map[string]int{"1": 1, "2": 0, "3": 1, "4": 0, "5": 1})

	// An empty period: zero counts, null percentiles and average.
	empty, err := s.Report(ctx, lead, at(20, 0, 0), at(21, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if empty.Conversations != 0 || empty.FirstResponse.P50 != nil || empty.CSAT.Average != nil || empty.ByChannel["chat"] != 0 {
		t.Fatalf("empty period: %+v", empty)
	}
}

func TestSLAPausedWhilePending(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	type step struct {
		at     time.Time
		status string // "" a customer message
	}
	cases := []struct {
		name          string
		topic         string
		opened        time.Time
		steps         []step
		wantFirstDue  time.Time
		wantResDue    time.Time // zero: not checked
		wantPauseSecs int64     // business seconds paused, as the report measures
	}{
		{name: "always open, one pause of 30 min", topic: "other", opened: at(0, 9, 0),
			steps:        []step{{at(0, 9, 10), StatusPending}, {at(0, 9, 40), StatusOpen}},
			wantFirstDue: at(0, 10, 30), wantResDue: at(1, 9, 30)},
		{name: "always open, two pauses of 10 and 15 min", topic: "other", opened: at(0, 9, 0),
			steps:        []step{{at(0, 9, 10), StatusPending}, {at(0, 9, 20), StatusOpen}, {at(0, 9, 30), StatusPending}, {at(0, 9, 45), ""}},
			wantFirstDue: at(0, 10, 25), wantResDue: at(1, 9, 25)},
		{name: "weekdays 9-17, pending overnight counts only open time", topic: "fees", opened: at(0, 16, 30),
			// 16:45–17:00 Monday and 09:00–09:15 Tuesday are paused: 30 business minutes; the
			// first response (1 h) due Tuesday 09:30 without a pause moves to 10:00.
			steps:        []step{{at(0, 16, 45), StatusPending}, {at(1, 9, 15), ""}},
			wantFirstDue: at(1, 10, 0)},
		{name: "weekdays 9-17, pending entirely while closed changes nothing", topic: "fees", opened: at(0, 16, 30),
			steps:        []step{{at(0, 17, 30), StatusPending}, {at(0, 20, 0), StatusOpen}},
			wantFirstDue: at(1, 9, 30)},
		{name: "no pause", topic: "other", opened: at(0, 9, 0), wantFirstDue: at(0, 10, 0), wantResDue: at(1, 9, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, s, clk := deskFixture(t)
			clk.Set(tc.opened)
			c, _, err := s.Open(ctx, NewConversation{Channel: ChannelChat, Customer: Customer{UserID: "usr_1", Name: "Budi"}, Topic: tc.topic, Body: "hello"})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range tc.steps {
				clk.Set(st.at)
				if st.status == "" {
					_, err = s.Append(ctx, c.ID, NewMessage{Author: Author{Type: AuthorCustomer, ID: "usr_1"}, Body: "back"})
				} else {
					_, err = s.SetStatus(ctx, lead, c.ID, st.status)
				}
				if err != nil {
					t.Fatalf("at %s: %v", st.at, err)
				}
			}
			got, err := s.Conversation(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != StatusOpen || !got.SLA.FirstResponseDue.Equal(tc.wantFirstDue) {
				t.Fatalf("status %s, first response due %s, want open and %s", got.Status, got.SLA.FirstResponseDue, tc.wantFirstDue)
			}
			if !tc.wantResDue.IsZero() && !got.SLA.ResolutionDue.Equal(tc.wantResDue) {
				t.Fatalf("resolution due %s, want %s", got.SLA.ResolutionDue, tc.wantResDue)
			}
			// The breach alarm of the new due time is in the outbox.
			var n int
			if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM outbox_messages WHERE dedupe_key = ?`,
				fmt.Sprintf("sla:%s:%s:breached:%d", c.ID, TargetFirstResponse, tc.wantFirstDue.Unix())).Scan(&n); err != nil || n != 1 {
				t.Fatalf("breach alarm for %s: %d rows, %v", tc.wantFirstDue, n, err)
			}
		})
	}
}

func TestAlarmsQuietWhilePending(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	c := Conversation{Status: StatusPending, SLA: &SLA{FirstResponseDue: due, ResolutionDue: due}}
	a := slaAlarm{Target: TargetFirstResponse, State: "breached", Due: due}
	if alarmDue(c, a) {
		t.Fatal("an alarm fires while the conversation is pending")
	}
	c.Status = StatusOpen
	if !alarmDue(c, a) {
		t.Fatal("an alarm of an open conversation does not fire")
	}
}

func TestOpenOnceConcurrentReplays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	in := NewConversation{Channel: ChannelChat, Customer: Customer{UserID: "usr_1", Name: "Budi"}, Topic: "other", Body: "hello"}
	const n = 8
	ids := make([]string, n)
	replays := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var c Conversation
			c, replays[i], errs[i] = f.s.OpenOnce(ctx, in, Once{Key: "k-1", Hash: "h-1"})
			ids[i] = c.ID
		})
	}
	wg.Wait()
	firsts := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("request %d opened %s, request 0 %s", i, ids[i], ids[0])
		}
		if !replays[i] {
			firsts++
		}
	}
	if firsts != 1 {
		t.Fatalf("%d requests opened a conversation", firsts)
	}
	var count int
	if err := f.d.QueryRow(ctx, `SELECT COUNT(*) FROM support_conversations WHERE customer_id = 'usr_1'`).Scan(&count); err != nil || count != 1 {
		t.Fatalf("%d conversations (%v)", count, err)
	}
	// Another body under the same key is a conflict; another key opens another.
	other := in
	other.Body = "something else"
	if _, _, err := f.s.OpenOnce(ctx, other, Once{Key: "k-1", Hash: "h-2"}); err == nil || !strings.Contains(err.Error(), "Idempotency-Key") {
		t.Fatalf("same key, other body: %v", err)
	}
	// Call-backs: concurrent replays give one call-back, and its row commits with the conversation.
	cbs := make([]Callback, n)
	for i := range n {
		wg.Go(func() {
			cbs[i], errs[i] = f.s.RequestCallback(ctx, Customer{UserID: "usr_2"}, "+6281234567890", "fees", "", &Once{Key: "k-1", Hash: "h-3"})
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || cbs[i].ID != cbs[0].ID || cbs[i].ConversationID != cbs[0].ConversationID {
			t.Fatalf("call-back %d: %+v %v (first %+v)", i, cbs[i], errs[i], cbs[0])
		}
	}
	if err := f.d.QueryRow(ctx, `SELECT COUNT(*) FROM support_callbacks c JOIN support_conversations v ON v.id = c.conversation_id
		WHERE v.customer_id = 'usr_2'`).Scan(&count); err != nil || count != 1 {
		t.Fatalf("%d call-backs (%v)", count, err)
	}
}

func TestChatOutsideHoursBecomesEmail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name     string
		opened   time.Time
		email    string
		channel  string
		waitSecs int64
	}{
		// Friday 18:00: the payments team opens again Monday 09:00, 63 hours later.
		{"friday evening", at(4, 18, 0), "budi@example.com", ChannelEmail, 63 * 3600},
		// Monday 07:30: opens at 09:00.
		{"early monday", at(0, 7, 30), "budi@example.com", ChannelEmail, 90 * 60},
		// Open hours: a chat stays a chat, waiting on handling times.
		{"during hours", at(0, 10, 0), "budi@example.com", ChannelChat, -1},
		// No email to answer to: stays a chat, told the time until the opening.
		{"closed, no email", at(4, 18, 0), "", ChannelChat, 63 * 3600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, _, clk := deskFixture(t)
			s := New(f.d, Options{Staff: f.dir, Now: clk.Now, Opening: OpenAt})
			clk.Set(tc.opened)
			c, _, err := s.Open(ctx, NewConversation{Channel: ChannelChat, Topic: "fees", Body: "why this fee?",
				Customer: Customer{UserID: "usr_1", Name: "Budi", Email: tc.email}})
			if err != nil {
				t.Fatal(err)
			}
			if c.Channel != tc.channel || c.Queue == nil {
				t.Fatalf("channel %s queue %+v, want %s", c.Channel, c.Queue, tc.channel)
			}
			if tc.waitSecs >= 0 && c.Queue.EstimatedWaitSeconds != tc.waitSecs {
				t.Fatalf("estimated wait %d s, want %d", c.Queue.EstimatedWaitSeconds, tc.waitSecs)
			}
			msgs, err := s.Messages(ctx, c.ID, "", false, 0)
			if err != nil {
				t.Fatal(err)
			}
			system := 0
			for _, m := range msgs {
				if m.Author.Type == AuthorSystem {
					system++
					if !strings.Contains(m.Body, tc.email) || !strings.Contains(m.Body, "09:00 UTC") || !strings.Contains(m.Body, "邮件") {
						t.Fatalf("system message: %q", m.Body)
					}
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.channel == ChannelEmail]; system != want {
				t.Fatalf("%d system messages, want %d: %+v", system, want, msgs)
			}
		})
	}
}

package support

import (
	"context"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/staff"
)

// TestConsoleStats: the console's figures from conversations in every state: counts by
// channel and topic, response and resolution spreads, breaches once due times pass, CSAT;
// and only leads may read them.
func TestConsoleStats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	agent := f.dir.add("stf_a", staff.RoleAgent, "payments", 10)
	lead := f.dir.add("stf_lead", staff.RoleSupervisor, "payments", 0)
	f.online(t, "stf_a")
	va, vl := ViewerOf(agent, ""), ViewerOf(lead, "")
	start := f.clock.Now()
	var convs []Conversation
	for i, topic := range []string{"payment_failed", "payment_failed", "fees", "refund"} {
		convs = append(convs, f.chat(t, f.s, []string{"usr_1", "usr_2", "usr_3", "usr_4"}[i], topic))
	}
	for _, c := range convs[:2] { // two answered, resolved and rated
		if _, err := f.s.AgentPost(ctx, va, c.ID, "on it", false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SetStatus(ctx, va, c.ID, StatusResolved); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.Rate(ctx, "usr_1", convs[0].ID, 5, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Rate(ctx, "usr_2", convs[1].ID, 2, "slow"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ConsoleStats(ctx, va, start, start.Add(time.Hour)); err == nil {
		t.Fatal("an agent read the reports")
	}
	st, err := f.s.ConsoleStats(ctx, vl, start, start.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	count := func(cs []StatCount, label string) int {
		for _, c := range cs {
			if c.Label == label {
				return c.N
			}
		}
		return -1
	}
	if st.Total != 4 || count(st.ByChannel, "chat") != 4 || count(st.ByChannel, "email") != 0 ||
		count(st.ByTopic, "payment_failed") != 2 || count(st.ByTopic, "fees") != 1 || count(st.ByTopic, "other") != 0 {
		t.Errorf("counts: %+v", st)
	}
	if st.FirstResponse.N != 2 || st.Resolution.N != 2 || st.QueueWait.N != 4 || st.FirstResponse.P50 <= 0 {
		t.Errorf("spreads: first %+v, resolution %+v, wait %+v", st.FirstResponse, st.Resolution, st.QueueWait)
	}
	if st.Ratings != 2 || st.Satisfied != 1 || st.MeanScore != 3.5 || st.Scores[4] != 1 || st.Scores[1] != 1 {
		t.Errorf("CSAT: %d ratings, %d satisfied, mean %v, scores %v", st.Ratings, st.Satisfied, st.MeanScore, st.Scores)
	}
	if st.FirstResponseBreaches != 0 || st.ResolutionBreaches != 0 {
		t.Errorf("breaches before anything is due: %d, %d", st.FirstResponseBreaches, st.ResolutionBreaches)
	}
	// A week on, the two unanswered conversations are late on both counts.
	f.clock.mu.Lock()
	f.clock.t = f.clock.t.Add(7 * 24 * time.Hour)
	f.clock.mu.Unlock()
	if st, err = f.s.ConsoleStats(ctx, vl, start, start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if st.FirstResponseBreaches != 2 || st.ResolutionBreaches != 2 {
		t.Errorf("breaches a week on: %d first responses, %d resolutions; want 2 and 2", st.FirstResponseBreaches, st.ResolutionBreaches)
	}
	// Outside the period: nothing.
	if st, _ = f.s.ConsoleStats(ctx, vl, start.Add(time.Hour), start.Add(2*time.Hour)); st.Total != 0 {
		t.Errorf("%d conversations outside the period", st.Total)
	}
}

func TestSpreadOf(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 10; i++ {
		ds = append(ds, time.Duration(i)*time.Second)
	}
	if s := spreadOf(ds); s.N != 10 || s.P50 != 5*time.Second || s.P90 != 9*time.Second {
		t.Errorf("1…10 s: %+v", s)
	}
	if s := spreadOf([]time.Duration{time.Minute}); s.P50 != time.Minute || s.P90 != time.Minute {
		t.Errorf("one value: %+v", s)
	}
	if s := spreadOf(nil); s != (StatSpread{}) {
		t.Errorf("none: %+v", s)
	}
}

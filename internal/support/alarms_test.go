package support

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/outbox"
	"github.com/dompet/dompet/internal/staff"
)

// Opening a conversation writes its SLA alarms to the outbox at their instants; a fired alarm
// tells the team and the assignee only while its target is unmet and its due time current.
func TestSLAAlarms(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.dir.add("ag", staff.RoleAgent, "general", 2)
	f.online(t, "ag")
	c := f.chat(t, f.s, "u1", "other")
	opened := c.CreatedAt

	rows, err := f.d.Query(ctx, `SELECT id, payload, next_attempt_at FROM outbox_messages WHERE topic = ? ORDER BY next_attempt_at, id`, SLATopic)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		d  outbox.Delivery
		a  slaAlarm
		at time.Time
	}
	var got []row
	for rows.Next() {
		var r row
		var at int64
		var payload string
		if err := rows.Scan(&r.d.ID, &payload, &at); err != nil {
			t.Fatal(err)
		}
		r.d.Payload, r.at = []byte(payload), time.UnixMicro(at)
		if err := json.Unmarshal(r.d.Payload, &r.a); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	rows.Close()
	// normal priority on a 24/7 calendar: 1 h and 24 h, warnings at 80 %
	want := []struct {
		target, state string
		after         time.Duration
	}{
		{TargetFirstResponse, "warning", 48 * time.Minute},
		{TargetFirstResponse, "breached", time.Hour},
		{TargetResolution, "warning", 24 * time.Hour * 8 / 10},
		{TargetResolution, "breached", 24 * time.Hour},
	}
	if len(got) != len(want) {
		t.Fatalf("%d alarm rows, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].a.Target != w.target || got[i].a.State != w.state || got[i].at.Sub(opened).Round(time.Second) != w.after {
			t.Fatalf("alarm %d: %+v at +%s, want %+v", i, got[i].a, got[i].at.Sub(opened), w)
		}
	}

	h := f.s.SLAHandler()
	team, stopTeam := f.s.Bus().Subscribe(SubjectTeam("general"))
	defer stopTeam()
	agent, stopAgent := f.s.Bus().Subscribe(SubjectAgent("ag"))
	defer stopAgent()
	drain := func() {
		for {
			select {
			case <-team:
			case <-agent:
			default:
				return
			}
		}
	}
	fire := func(r row) (told bool) {
		t.Helper()
		drain()
		if err := h(ctx, r.d); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-team:
			var e Event
			if err := json.Unmarshal(ev.Payload, &e); err != nil || e.Type != "sla" || e.Target != r.a.Target || e.State != r.a.State {
				t.Fatalf("team event %s %v", ev.Payload, err)
			}
			select {
			case <-agent:
			default:
				t.Fatal("the assignee was not told")
			}
			return true
		default:
			return false
		}
	}
	if !fire(got[0]) {
		t.Fatal("a first-response warning of an unanswered conversation told nobody")
	}
	if _, err := f.s.AgentPost(ctx, Viewer{StaffID: "ag", Name: "Agent ag", Role: staff.RoleAgent, Team: "general"}, c.ID, "hello", false); err != nil {
		t.Fatal(err)
	}
	if fire(got[1]) {
		t.Fatal("a breach of a first response already given was announced")
	}
	if !fire(got[2]) {
		t.Fatal("the resolution warning told nobody")
	}
	stale := got[3]
	stale.a.Due = stale.a.Due.Add(time.Hour)
	stale.d.Payload, _ = json.Marshal(stale.a)
	if fire(stale) {
		t.Fatal("an alarm for a due time no longer stored was announced")
	}
	if _, err := f.s.SetStatus(ctx, Viewer{StaffID: "sup", Role: staff.RoleSupervisor}, c.ID, StatusResolved); err != nil {
		t.Fatal(err)
	}
	if fire(got[3]) {
		t.Fatal("a breach of a resolved conversation was announced")
	}
}

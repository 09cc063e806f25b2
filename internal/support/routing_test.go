package support

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/staff"
)

// assignedCounts is how many open or pending conversations each agent holds, from the
// conversations themselves (not the load counter the router keeps).
func (f *fixture) assignedCounts(t testing.TB) map[string]int {
	t.Helper()
	rows, err := f.d.Query(context.Background(), `SELECT assignee, COUNT(*) FROM support_conversations
		WHERE assignee IS NOT NULL AND status IN ('open', 'pending') GROUP BY assignee`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var a string
		var n int
		if err := rows.Scan(&a, &n); err != nil {
			t.Fatal(err)
		}
		out[a] = n
	}
	return out
}

func TestRoutingThreeAgentsTenChats(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	for _, id := range []string{"stf_a", "stf_b", "stf_c"} {
		f.dir.add(id, staff.RoleAgent, "payments", 2)
	}
	f.dir.add("stf_sup", staff.RoleSupervisor, "payments", 5) // never routed to
	f.online(t, "stf_a", "stf_b", "stf_c", "stf_sup")

	events, stop := f.s.Bus().Subscribe("support.conversation.*")
	defer stop()
	var convs []Conversation
	for i := range 10 {
		convs = append(convs, f.chat(t, f.s, fmt.Sprintf("usr_%d", i), "payment_failed"))
	}
	for i, c := range convs {
		if c.Team != "payments" {
			t.Fatalf("chat %d routed to team %s", i, c.Team)
		}
		if i < 6 {
			if c.AssigneeID == nil || c.Queue != nil {
				t.Fatalf("chat %d: assignee %v, queue %+v; want assigned at once", i, c.AssigneeID, c.Queue)
			}
			continue
		}
		if c.AssigneeID != nil || c.Queue == nil || c.Queue.Position != i-5 {
			t.Fatalf("chat %d: assignee %v, queue %+v; want queued at %d", i, c.AssigneeID, c.Queue, i-5)
		}
		if c.Queue.EstimatedWaitSeconds <= 0 {
			t.Fatalf("chat %d: estimated wait %d", i, c.Queue.EstimatedWaitSeconds)
		}
	}
	counts := f.assignedCounts(t)
	if len(counts) != 3 || counts["stf_a"] != 2 || counts["stf_b"] != 2 || counts["stf_c"] != 2 {
		t.Fatalf("assigned %v, want 2 each to the three agents", counts)
	}
	// Every chat learned of its assignment; queued ones their positions.
	assigned := map[string]bool{}
drain:
	for {
		select {
		case e := <-events:
			if strings.Contains(string(e.Payload), `"type":"assigned"`) {
				assigned[e.Subject] = true
			}
		default:
			break drain
		}
	}
	if len(assigned) != 6 {
		t.Fatalf("%d assigned events, want 6", len(assigned))
	}

	// An agent resolves one: the first queued chat is theirs at once, the others move up.
	mine, _, err := f.s.AgentConversations(ctx, Viewer{StaffID: "stf_b", Role: staff.RoleAgent, Team: "payments"}, Filter{View: "mine"})
	if err != nil || len(mine) != 2 {
		t.Fatalf("stf_b's conversations: %d, %v", len(mine), err)
	}
	b := Viewer{StaffID: "stf_b", Name: "Agent stf_b", Role: staff.RoleAgent, Team: "payments"}
	if _, err := f.s.SetStatus(ctx, b, mine[0].ID, StatusResolved); err != nil {
		t.Fatal(err)
	}
	first, err := f.s.Conversation(ctx, convs[6].ID)
	if err != nil {
		t.Fatal(err)
	}
	if first.AssigneeID == nil || *first.AssigneeID != "stf_b" || first.Queue != nil {
		t.Fatalf("first queued chat after the resolve: assignee %v queue %+v, want stf_b", first.AssigneeID, first.Queue)
	}
	for i, c := range convs[7:] {
		got, err := f.s.Conversation(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Queue == nil || got.Queue.Position != i+1 {
			t.Fatalf("chat %d: queue %+v, want position %d", i+7, got.Queue, i+1)
		}
	}
	if a, _ := f.s.Agent(ctx, "stf_b"); a.Active != 2 {
		t.Fatalf("stf_b's load %d, want 2", a.Active)
	}

	// A returning conversation (the customer writes again after the resolve) is routed again.
	if _, err := f.s.Append(ctx, mine[0].ID, NewMessage{Author: Author{Type: AuthorCustomer, ID: mine[0].Customer.UserID}, Body: "still broken"}); err != nil {
		t.Fatal(err)
	}
	back, _ := f.s.Conversation(ctx, mine[0].ID)
	if back.Status != StatusOpen || back.AssigneeID != nil || back.Queue == nil || back.Queue.Position != 4 {
		t.Fatalf("returning conversation: status %s, assignee %v, queue %+v; want open, queued 4th", back.Status, back.AssigneeID, back.Queue)
	}

	// A fourth agent coming online takes the first two waiting at once.
	f.dir.add("stf_d", staff.RoleAgent, "payments", 2)
	f.online(t, "stf_d")
	if counts := f.assignedCounts(t); counts["stf_d"] != 2 {
		t.Fatalf("after stf_d came online: %v", counts)
	}
}

func TestRoutingTwoServicesRacing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	for _, id := range []string{"stf_a", "stf_b", "stf_c"} {
		f.dir.add(id, staff.RoleAgent, "accounts", 2)
	}
	// Two services on one store, as two processes, open and route at the same time: only
	// the conditional updates stand between them (on PostgreSQL truly concurrent).
	s1, s2 := f.service(Options{}), f.service(Options{})
	f.online(t, "stf_a", "stf_b", "stf_c")

	var wg sync.WaitGroup
	convs := make([]string, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := s1
			if i%2 == 1 {
				s = s2
			}
			c, _, err := s.Open(ctx, NewConversation{Channel: ChannelChat, Customer: Customer{UserID: fmt.Sprintf("usr_%d", i)},
				Topic: "account_locked", Body: "locked out"})
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				return
			}
			convs[i] = c.ID
		}()
	}
	wg.Wait()
	// Both routers look at the queue again, at once.
	wg.Add(2)
	go func() { defer wg.Done(); s1.route(ctx, "accounts") }()
	go func() { defer wg.Done(); s2.route(ctx, "accounts") }()
	wg.Wait()

	counts := f.assignedCounts(t)
	total := 0
	for a, n := range counts {
		if n > 2 {
			t.Errorf("%s holds %d chats, capacity 2", a, n)
		}
		total += n
	}
	if total != 6 {
		t.Fatalf("%d chats assigned, want 6 (%v)", total, counts)
	}
	positions := map[int]bool{}
	for _, id := range convs {
		c, err := f.s.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if c.Queue != nil {
			positions[c.Queue.Position] = true
		}
	}
	if len(positions) != 4 || !positions[1] || !positions[4] {
		t.Fatalf("queue positions %v, want 1-4", positions)
	}
	for _, id := range []string{"stf_a", "stf_b", "stf_c"} {
		if a, _ := f.s.Agent(ctx, id); a.Active != counts[id] {
			t.Errorf("%s: load counter %d, conversations %d", id, a.Active, counts[id])
		}
	}
}

func TestEstimateOutsideBusinessHours(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// General opens Mondays 08:00 UTC only; the fixture's clock is Monday 2 November 09:00,
	// an hour after opening: closed until next Monday.
	f.dir.mu.Lock()
	f.dir.teams[2].BusinessHours = staff.BusinessHours{TimeZone: "UTC", Holidays: []string{},
		Weekly: []staff.Period{{Day: "mon", Start: "08:00", End: "09:00"}}}
	f.dir.mu.Unlock()
	c := f.chat(t, f.s, "usr_1", "other")
	want := int64(7*24*3600 - 3600)
	if c.Queue == nil || c.Queue.EstimatedWaitSeconds < want-1 || c.Queue.EstimatedWaitSeconds > want {
		t.Fatalf("queue %+v, want about %d s (until next Monday 08:00)", c.Queue, want)
	}
}

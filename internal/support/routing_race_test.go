package support

import (
	"context"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/staff"
)

// gate holds each router that reaches it (Options.BeforeAssign) until the test lets that one
// arrival proceed; armed only once the fixture is set up, and open for good after release.
type gate struct {
	mu       sync.Mutex
	armed    bool
	arrivals chan arrival
	open     chan struct{}
}

// arrival is one router held at the gate: which router, the conversation and agent it chose.
type arrival struct {
	router  int
	choice  string // "conversation agent"
	proceed chan struct{}
}

func newGate() *gate { return &gate{arrivals: make(chan arrival, 16), open: make(chan struct{})} }

// hook is router's Options.BeforeAssign.
func (g *gate) hook(router int) func(convID, staffID string) {
	return func(convID, staffID string) {
		g.mu.Lock()
		armed := g.armed
		g.mu.Unlock()
		if !armed {
			return
		}
		a := arrival{router: router, choice: convID + " " + staffID, proceed: make(chan struct{})}
		g.arrivals <- a
		select {
		case <-a.proceed:
		case <-g.open:
		}
	}
}

func (g *gate) arm() {
	g.mu.Lock()
	g.armed = true
	g.mu.Unlock()
}

// release lets every router through, now and later.
func (g *gate) release() {
	g.mu.Lock()
	g.armed = false
	g.mu.Unlock()
	close(g.open)
}

// queuedOffline opens n chats of topic while the team's agents are offline (so they wait),
// then marks the agents online in the store without routing.
func queuedOffline(t *testing.T, f *fixture, n int, topic string, agents ...string) []Conversation {
	t.Helper()
	ctx := context.Background()
	for _, id := range agents {
		if err := f.s.Presence(ctx, id, Offline); err != nil {
			t.Fatal(err)
		}
	}
	var convs []Conversation
	for i := range n {
		c := f.chat(t, f.s, "usr_"+string(rune('a'+i)), topic)
		if c.Queue == nil {
			t.Fatalf("chat %d not queued", i)
		}
		convs = append(convs, c)
	}
	if _, err := f.d.Exec(ctx, `UPDATE support_agents SET presence = 'online'`); err != nil {
		t.Fatal(err)
	}
	return convs
}

// TestRoutingRacersChooseTheSameChat: two services (two processes) both choose the first
// queued chat and the same agent (capacity 2) before either writes. The first assigns it and
// comes back for the second chat; the other, let through then, must find the first chat taken
// and not assign it again; only then may the first go on. No chat is assigned twice and the
// load counter matches what the agent holds.
func TestRoutingRacersChooseTheSameChat(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.dir.add("stf_a", staff.RoleAgent, "accounts", 2)
	g := newGate()
	routers := []*Service{f.service(Options{BeforeAssign: g.hook(0)}), f.service(Options{BeforeAssign: g.hook(1)})}
	convs := queuedOffline(t, f, 3, "account_locked", "stf_a")
	g.arm()
	done := []chan struct{}{make(chan struct{}), make(chan struct{})}
	for i, s := range routers {
		go func() { defer close(done[i]); s.route(context.Background(), "accounts") }()
	}
	first, second := <-g.arrivals, <-g.arrivals
	if first.choice != convs[0].ID+" stf_a" || second.choice != first.choice {
		t.Fatalf("routers chose %q and %q, want both %s stf_a", first.choice, second.choice, convs[0].ID)
	}
	close(first.proceed) // assigns the first chat, then stops at the gate for the second
	if again := <-g.arrivals; again.router != first.router || again.choice != convs[1].ID+" stf_a" {
		t.Fatalf("after assigning, router %d chose %q", again.router, again.choice)
	}
	close(second.proceed) // the first chat is taken: it must look at the queue again
	select {
	case a := <-g.arrivals:
		if a.router != second.router || a.choice != convs[1].ID+" stf_a" {
			t.Fatalf("router %d chose %q after losing the race", a.router, a.choice)
		}
	case <-done[second.router]:
	}
	g.release()
	<-done[0]
	<-done[1]
	counts := f.assignedCounts(t)
	if a, _ := f.s.Agent(context.Background(), "stf_a"); counts["stf_a"] != 2 || a.Active != 2 {
		t.Fatalf("stf_a holds %d chats with a load counter of %d, want 2 and 2", counts["stf_a"], a.Active)
	}
	if c, _ := f.s.Conversation(context.Background(), convs[2].ID); c.AssigneeID != nil || c.Queue == nil || c.Queue.Position != 1 {
		t.Fatalf("third chat: assignee %v queue %+v, want first in the queue", c.AssigneeID, c.Queue)
	}
}

// TestRoutingCapacityTakenMeanwhile: a router chooses a free agent; before it writes, the
// agent takes another chat themselves (on another process) and is full. The router's
// conditional update sees it: the agent stays within capacity and the chat waits.
func TestRoutingCapacityTakenMeanwhile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	f.dir.add("stf_a", staff.RoleAgent, "accounts", 1)
	g := newGate()
	router, other := f.service(Options{BeforeAssign: g.hook(0)}), f.service(Options{})
	convs := queuedOffline(t, f, 2, "account_locked", "stf_a")
	g.arm()
	done := make(chan struct{})
	go func() { defer close(done); router.route(ctx, "accounts") }()
	if got := <-g.arrivals; got.choice != convs[0].ID+" stf_a" {
		t.Fatalf("router chose %q", got.choice)
	}
	a := Viewer{StaffID: "stf_a", Name: "Agent stf_a", Role: staff.RoleAgent, Team: "accounts"}
	if _, err := other.Assign(ctx, a, convs[1].ID, "stf_a"); err != nil {
		t.Fatalf("the agent takes the second chat: %v", err)
	}
	g.release()
	<-done
	counts := f.assignedCounts(t)
	if counts["stf_a"] != 1 {
		t.Fatalf("stf_a holds %d chats, capacity 1", counts["stf_a"])
	}
	if st, _ := f.s.Agent(ctx, "stf_a"); st.Active != 1 {
		t.Fatalf("load counter %d, want 1", st.Active)
	}
	if c, _ := f.s.Conversation(ctx, convs[0].ID); c.AssigneeID != nil || c.Queue == nil || c.Queue.Position != 1 {
		t.Fatalf("first chat: assignee %v queue %+v, want still waiting", c.AssigneeID, c.Queue)
	}
}

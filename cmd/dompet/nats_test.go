package main

// Scale-out: two `dompet serve` processes on one store (PostgreSQL with DOMPET_TEST_DB, else
// one SQLite file) and one NATS server. A chat between a customer on one and an agent on the
// other, and routing done by both at once.

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/dompet/dompet/internal/staff"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/bus/bustest"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/db/dbtest"
)

// twoProcs starts two servers sharing a fresh store and a NATS server, and opens the store
// for the test's own checks.
func twoProcs(t *testing.T) (a, b *dompetProc, bin string, env []string, store *db.DB) {
	t.Helper()
	nats := bustest.URL(t)
	dsn := dbtest.DSN(t)
	bin = buildDompet(t)
	env = append(crashEnv(dsn), "DOMPET_NATS_URL="+nats)
	a = startDompet(t, bin, env) // migrates the store
	b = startDompet(t, bin, env)
	store, err := db.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	openTeamsAroundTheClock(t, store)
	t.Cleanup(func() { // a failed assignment (a deadlock, say) is logged, not answered
		for i, p := range []*dompetProc{a, b} {
			if logs := p.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
				t.Errorf("process %c logged errors:\n%s", 'A'+i, logs)
			}
		}
	})
	return a, b, bin, env, store
}

// npAgent creates a staff member with `dompet agent create` (and `agent update --capacity`)
// and logs them in on p.
func npAgent(t *testing.T, bin string, env []string, p *dompetProc, email, team string, capacity int) (id, token string) {
	t.Helper()
	out, errOut, err := runDompet(bin, env, "agent", "create", "--email", email, "--name", strings.Split(email, "@")[0], "--team", team)
	if err != nil {
		t.Fatalf("agent create: %v\n%s", err, errOut)
	}
	var c agentCreated
	if err := json.Unmarshal(out, &c); err != nil {
		t.Fatalf("agent create printed %s", out)
	}
	if _, errOut, err := runDompet(bin, env, "agent", "update", "--id", c.ID, "--capacity", fmt.Sprint(capacity),
		"--reason", "two-process test"); err != nil {
		t.Fatalf("agent update: %v\n%s", err, errOut)
	}
	otp, err := totp.GenerateCode(c.TOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var login struct{ Token string }
	p.call("POST", "/api/v1/agent/auth/login", "", "", map[string]string{"email": c.Email, "password": c.Password, "otp": otp}, 200, &login)
	p.call("PUT", "/api/v1/agent/presence", login.Token, "", map[string]string{"status": "online"}, 200, nil)
	return c.ID, login.Token
}

// npCustomers registers and logs in n customers on p, side by side (argon2).
func npCustomers(t *testing.T, p *dompetProc, prefix string, n int) []string {
	t.Helper()
	tokens := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phone := fmt.Sprintf("+62812%s%04d", prefix, i)
			st, b, err := p.do(context.Background(), "POST", "/api/v1/auth/register", "", "", crashJSON(map[string]string{
				"phone": phone, "email": fmt.Sprintf("np%s%d@example.com", prefix, i), "password": crashPass, "display_name": fmt.Sprintf("Budi %d", i)}))
			if err != nil || st != 201 {
				errs <- fmt.Sprintf("register %s: %d %v %s", phone, st, err, b)
				return
			}
			st, b, err = p.do(context.Background(), "POST", "/api/v1/auth/login", "", "", crashJSON(map[string]string{
				"login": phone, "password": crashPass, "device_id": "np-test"}))
			var lr struct{ Token string }
			if err != nil || st != 200 || json.Unmarshal(b, &lr) != nil || lr.Token == "" {
				errs <- fmt.Sprintf("login %s: %d %v %s", phone, st, err, b)
				return
			}
			tokens[i] = lr.Token
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	return tokens
}

type npConversation struct {
	ID         string  `json:"id"`
	AssigneeID *string `json:"assignee_id"`
	Queue      *struct {
		Position int `json:"position"`
	} `json:"queue"`
}

// npEvent is what these tests read of a stream frame.
type npEvent struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	ClientID       string `json:"client_id"`
	Message        *struct {
		ID             string `json:"id"`
		ConversationID string `json:"conversation_id"`
		Body           string `json:"body"`
		ClientID       string `json:"client_id"`
	} `json:"message"`
	Agent *struct {
		ID string `json:"id"`
	} `json:"agent"`
}

func npDial(t *testing.T, p *dompetProc, path, token string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(p.base, "http") + path
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: map[string][]string{"Authorization": {"Bearer " + token}}})
	if err != nil {
		st := 0
		if resp != nil {
			st = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", path, err, st)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func npSend(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, crashJSON(v)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// npNext reads the next frame (a deadline, not a sleep).
func npNext(t *testing.T, c *websocket.Conn) npEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var e npEvent
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	return e
}

// chatLog reads one side of a chat and checks that no message arrives twice.
type chatLog struct {
	t    *testing.T
	c    *websocket.Conn
	seen map[string]int    // message id → times received
	acks map[string]string // client_id → acknowledged message id
}

func newChatLog(t *testing.T, c *websocket.Conn) *chatLog {
	return &chatLog{t: t, c: c, seen: map[string]int{}, acks: map[string]string{}}
}

// messages reads until it has the messages of the wanted bodies, in that order, besides
// acknowledgements and other events; a message received twice fails the test.
func (l *chatLog) messages(bodies ...string) []npEvent {
	l.t.Helper()
	var got []npEvent
	for len(got) < len(bodies) {
		e := npNext(l.t, l.c)
		switch {
		case e.Type == "ack" && e.Message != nil:
			l.acks[e.ClientID] = e.Message.ID
		case e.Type == "message" && e.Message != nil:
			l.seen[e.Message.ID]++
			if l.seen[e.Message.ID] > 1 {
				l.t.Fatalf("message %s (%q) received twice", e.Message.ID, e.Message.Body)
			}
			if want := bodies[len(got)]; e.Message.Body != want {
				l.t.Fatalf("message %d: %q, want %q (order)", len(got), e.Message.Body, want)
			}
			got = append(got, e)
		case e.Type == "error":
			l.t.Fatalf("error frame %+v", e)
		}
	}
	return got
}

func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", prefix, i)
	}
	return out
}

// TestTwoProcessesChat: a customer's stream on process A and an agent's on process B chat
// both ways through NATS. Each message arrives once and in order on both sides, their own
// included (a fence message from the other side shows nothing more was on its way); a resend
// by client_id on the other process is stored once; a reconnect on the other process with
// ?after= gets what was missed, then live messages once.
func TestTwoProcessesChat(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two servers")
	}
	a, b, bin, env, store := twoProcs(t)
	agentID, agentTok := npAgent(t, bin, env, b, "rina@dompet.example", "payments", 2)
	cust := npCustomers(t, a, "1", 1)[0]
	ag := npDial(t, b, "/api/v1/agent/stream", agentTok)

	// Opened on A, routed on A to the agent online on B: B's stream hears it.
	var conv npConversation
	a.call("POST", "/api/v1/support/conversations", cust, "", map[string]string{"topic": "refund", "message": "I want a refund"}, 201, &conv)
	if conv.AssigneeID == nil || *conv.AssigneeID != agentID {
		t.Fatalf("conversation %+v, want assigned to %s", conv, agentID)
	}
	for {
		e := npNext(t, ag)
		if e.Type == "assigned" && e.ConversationID == conv.ID && e.Agent != nil && e.Agent.ID == agentID {
			break
		}
	}
	cpath := "/api/v1/support/conversations/" + conv.ID + "/stream"
	cs := npDial(t, a, cpath, cust)
	custLog, agLog := newChatLog(t, cs), newChatLog(t, ag)

	const n = 20
	for i := range n {
		npSend(t, cs, map[string]string{"type": "message", "body": fmt.Sprintf("customer %d", i), "client_id": fmt.Sprintf("c-%d", i)})
	}
	agLog.messages(seq("customer", n)...)          // through NATS
	own := custLog.messages(seq("customer", n)...) // in process
	for i := range n {
		npSend(t, ag, map[string]string{"type": "message", "conversation_id": conv.ID, "body": fmt.Sprintf("agent %d", i),
			"client_id": fmt.Sprintf("r-%d", i)})
	}
	// The agent's replies left B after B had every customer message: an echo of those to A
	// would come before them.
	custLog.messages(seq("agent", n)...)
	agLog.messages(seq("agent", n)...)
	npSend(t, cs, map[string]string{"type": "message", "body": "fence", "client_id": "c-fence"})
	fence := agLog.messages("fence")[0]
	custLog.messages("fence")
	for i, e := range own {
		if id := custLog.acks[fmt.Sprintf("c-%d", i)]; id != e.Message.ID {
			t.Fatalf("c-%d acknowledged as %s, stored as %s", i, id, e.Message.ID)
		}
	}

	// A resend of c-3 through a second stream on B is acknowledged with the stored message.
	cs2 := npDial(t, b, cpath+"?after="+fence.Message.ID, cust)
	npSend(t, cs2, map[string]string{"type": "message", "body": "customer 3", "client_id": "c-3"})
	for {
		e := npNext(t, cs2)
		if e.Type == "message" {
			t.Fatalf("a resend came back as a new message %+v", e.Message)
		}
		if e.Type == "ack" {
			if e.Message == nil || e.Message.ID != own[3].Message.ID {
				t.Fatalf("resend acknowledged as %+v, stored %s", e.Message, own[3].Message.ID)
			}
			break
		}
	}
	cs2.CloseNow()

	// The customer leaves A; the agent writes meanwhile; the customer comes back on B with
	// ?after= the last message seen: the missed ones first, in order, then live ones, once.
	cs.CloseNow()
	for i := range 3 {
		npSend(t, ag, map[string]string{"type": "message", "conversation_id": conv.ID, "body": fmt.Sprintf("missed %d", i),
			"client_id": fmt.Sprintf("m-%d", i)})
	}
	agLog.messages(seq("missed", 3)...)
	back := newChatLog(t, npDial(t, b, cpath+"?after="+fence.Message.ID, cust))
	back.messages(seq("missed", 3)...)
	npSend(t, ag, map[string]string{"type": "message", "conversation_id": conv.ID, "body": "live", "client_id": "live"})
	back.messages("live")
	npSend(t, back.c, map[string]string{"type": "message", "body": "bye", "client_id": "bye"})
	agLog.messages("live", "bye") // the agent's own live, then the customer's bye from B
	back.messages("bye")

	var stored, c3 int
	if err := store.QueryRow(context.Background(), `SELECT COUNT(*) FROM support_messages WHERE conversation_id = ?`, conv.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if err := store.QueryRow(context.Background(), `SELECT COUNT(*) FROM support_messages WHERE conversation_id = ? AND client_id = 'c-3'`, conv.ID).Scan(&c3); err != nil {
		t.Fatal(err)
	}
	if want := 1 + 2*n + 1 + 3 + 2; stored != want || c3 != 1 {
		t.Fatalf("%d messages stored (c-3: %d), want %d (c-3 once)", stored, c3, want)
	}
}

// npLoads is, from the store, how many open or pending conversations of team each agent
// holds, the load counter routing keeps for each, and how many conversations wait.
func npLoads(t *testing.T, store *db.DB, team string) (held, counter map[string]int, queued int) {
	t.Helper()
	ctx := context.Background()
	held, counter = map[string]int{}, map[string]int{}
	rows, err := store.Query(ctx, `SELECT assignee, COUNT(*) FROM support_conversations
		WHERE team = ? AND assignee IS NOT NULL AND status IN ('open', 'pending') GROUP BY assignee`, team)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		held[id] = n
	}
	rows.Close()
	rows, err = store.Query(ctx, `SELECT staff_id, active FROM support_agents WHERE team = ?`, team)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		counter[id] = n
	}
	rows.Close()
	if err := store.QueryRow(ctx, `SELECT COUNT(*) FROM support_conversations WHERE team = ? AND queued_at IS NOT NULL`,
		team).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	return held, counter, queued
}

// npCheckLoads fails unless every agent holds at most capacity, the counters agree with the
// conversations, and assigned plus queued is all of them.
func npCheckLoads(t *testing.T, store *db.DB, team string, agents []string, capacity, wantAssigned, wantQueued int) {
	t.Helper()
	held, counter, queued := npLoads(t, store, team)
	total := 0
	for _, id := range agents {
		if held[id] > capacity {
			t.Errorf("%s holds %d conversations, capacity %d", id, held[id], capacity)
		}
		if counter[id] != held[id] {
			t.Errorf("%s: load counter %d, conversations held %d", id, counter[id], held[id])
		}
		total += held[id]
	}
	if total != wantAssigned || queued != wantQueued {
		t.Fatalf("%d assigned %v and %d queued, want %d and %d", total, held, queued, wantAssigned, wantQueued)
	}
}

// TestTwoProcessesRouteAtOnce: three agents of capacity 2 (two online through A, one through
// B); twenty chats are opened at the same moment (by four customers), half on each process,
// so both route at once. No conversation is assigned twice, no agent is above capacity, six are assigned and
// fourteen queued. Then capacity freed on either process goes to the first queued chat at
// once, and its customer, whose stream is on the other process, hears it.
func TestTwoProcessesRouteAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two servers")
	}
	a, b, bin, env, store := twoProcs(t)
	const team, capacity, chats = "accounts", 2, 20
	var agents, tokens []string
	for i, p := range []*dompetProc{a, a, b} {
		id, tok := npAgent(t, bin, env, p, fmt.Sprintf("acc%d@dompet.example", i), team, capacity)
		agents, tokens = append(agents, id), append(tokens, tok)
	}
	custs := npCustomers(t, a, "2", 4) // argon2 at the production cost: a few customers, several chats each
	convs := make([]npConversation, chats)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range chats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := a
			if i%2 == 1 {
				p = b
			}
			<-start
			st, body, err := p.do(context.Background(), "POST", "/api/v1/support/conversations", custs[i%len(custs)], "",
				crashJSON(map[string]string{"topic": "account_locked", "message": "locked out"}))
			if err != nil || st != 201 || json.Unmarshal(body, &convs[i]) != nil {
				t.Errorf("open %d: %d %v %s", i, st, err, body)
			}
		}()
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	npCheckLoads(t, store, team, agents, capacity, 6, chats-6)

	customer := map[string]string{}
	for i, c := range convs {
		customer[c.ID] = custs[i%len(custs)]
	}
	// Each round frees a place on one process while the first queued customer listens on
	// the other.
	for round, frees := range []struct{ agent int }{{2}, {0}, {2}, {1}} {
		freer, listener := b, a
		if agents[frees.agent] != agents[2] {
			freer, listener = a, b
		}
		var first, done string
		ctx := context.Background()
		if err := store.QueryRow(ctx, `SELECT id FROM support_conversations WHERE team = ? AND queued_at IS NOT NULL
			ORDER BY queued_at, id LIMIT 1`, team).Scan(&first); err != nil {
			t.Fatal(err)
		}
		if err := store.QueryRow(ctx, `SELECT id FROM support_conversations WHERE assignee = ? AND status = 'open'
			ORDER BY id LIMIT 1`, agents[frees.agent]).Scan(&done); err != nil {
			t.Fatal(err)
		}
		cs := npDial(t, listener, "/api/v1/support/conversations/"+first+"/stream", customer[first])
		freer.call("POST", "/api/v1/agent/conversations/"+done+"/status", tokens[frees.agent], "",
			map[string]string{"status": "resolved"}, 200, nil)
		for {
			e := npNext(t, cs)
			if e.Type == "assigned" {
				if e.Agent == nil || e.Agent.ID != agents[frees.agent] {
					t.Fatalf("round %d: %s assigned to %+v, want %s", round, first, e.Agent, agents[frees.agent])
				}
				break
			}
		}
		cs.CloseNow()
		var assignee string
		if err := store.QueryRow(ctx, `SELECT assignee FROM support_conversations WHERE id = ?`, first).Scan(&assignee); err != nil || assignee != agents[frees.agent] {
			t.Fatalf("round %d: %s assigned to %q (%v)", round, first, assignee, err)
		}
		npCheckLoads(t, store, team, agents, capacity, 6, chats-6-(round+1))
	}
}

// openTeamsAroundTheClock keeps chats chats whatever the hour the test runs at (a chat
// opened while its team is closed becomes an email conversation with a system message).
func openTeamsAroundTheClock(t *testing.T, store *db.DB) {
	t.Helper()
	ctx := context.Background()
	st := staff.New(store, nil, staff.Options{})
	teams, err := st.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := staff.BusinessHours{TimeZone: "UTC", Holidays: []string{}}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		h.Weekly = append(h.Weekly, staff.Period{Day: d, Start: "00:00", End: "24:00"})
	}
	for _, tm := range teams {
		if _, err := st.UpdateTeam(ctx, staff.Operator(), tm.Slug, staff.TeamChange{BusinessHours: &h, Reason: "tests: open around the clock"}); err != nil {
			t.Fatal(err)
		}
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dompet/dompet/internal/support"
)

// wsEvent is what the chat tests read of a server frame.
type wsEvent struct {
	Type           string      `json:"type"`
	ConversationID string      `json:"conversation_id"`
	ClientID       string      `json:"client_id"`
	Message        *apiMessage `json:"message"`
	Author         *struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"author"`
	Agent *struct {
		ID string `json:"id"`
	} `json:"agent"`
	Status    string `json:"status"`
	MessageID string `json:"message_id"`
	Team      string `json:"team"`
	Call      *struct {
		ID         string `json:"id"`
		Event      string `json:"event"`
		FromMasked string `json:"from_masked"`
		Customer   *struct {
			ID          string `json:"id"`
			DisplayName string `json:"display_name"`
			Locked      bool   `json:"locked"`
			TwoFactor   bool   `json:"two_factor"`
		} `json:"customer"`
	} `json:"call"`
	Error *struct {
		Code string `json:"code"`
	} `json:"error"`
}

// wsDial opens a stream of e's server; token goes as ?token= when query is set, else as a
// bearer header.
func wsDial(t *testing.T, e *e2eEnv, path, token string, query bool, header ...string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{}
	if token != "" && !query {
		h.Set("Authorization", "Bearer "+token)
	}
	if token != "" && query {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "token=" + token
	}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.srv.URL, "http")+path, &websocket.DialOptions{HTTPHeader: h})
	if c != nil {
		c.SetReadLimit(1 << 20)
		t.Cleanup(func() { c.CloseNow() })
	}
	return c, resp, err
}

func wsOpen(t *testing.T, e *e2eEnv, path, token string, query bool) *websocket.Conn {
	t.Helper()
	c, resp, err := wsDial(t, e, path, token, query)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", path, err, status)
	}
	return c
}

func wsSend(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// wsNext reads the next event (a deadline, not a sleep: it returns as soon as one comes).
func wsNext(t *testing.T, c *websocket.Conn) wsEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var ev wsEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("event %s: %v", b, err)
	}
	if ev.Message != nil && ev.Message.Internal && ev.Type == "message" {
		ev.Type = "internal-message"
	}
	return ev
}

// wsUntil reads events until one of type typ, failing on any event not in allowed.
func wsUntil(t *testing.T, c *websocket.Conn, typ string, allowed ...string) wsEvent {
	t.Helper()
	for {
		ev := wsNext(t, c)
		if ev.Type == typ {
			return ev
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == ev.Type
		}
		if !ok {
			t.Fatalf("waiting for %s, got %+v", typ, ev)
		}
	}
}

// wsClosed reads until the server closes the socket and returns the close status.
func wsClosed(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				t.Fatal("the socket stayed open")
			}
			return websocket.CloseStatus(err)
		}
	}
}

func TestE2EChat(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	agent, agentTok := deskStaff(t, e, "rina", "agent", "payments")

	var conv apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", a.Token, map[string]any{
		"topic": "refund", "message": "I want a refund"}), http.StatusCreated), &conv)
	cpath := "/api/v1/support/conversations/" + conv.ID
	cust := wsOpen(t, e, cpath+"/stream", a.Token, true) // browsers: ?token=
	ag := wsOpen(t, e, "/api/v1/agent/stream", agentTok, false)

	// The agent comes online: the waiting chat is assigned at once, and both sides hear it.
	want(t, e.do(t, "PUT", "/api/v1/agent/presence", agentTok, map[string]any{"status": "online"}), http.StatusOK)
	if ev := wsUntil(t, ag, "assigned", "queue"); ev.ConversationID != conv.ID || ev.Agent == nil || ev.Agent.ID != agent.ID {
		t.Fatalf("agent's assignment: %+v", ev)
	}
	if ev := wsUntil(t, cust, "assigned", "queue"); ev.Agent == nil || ev.Agent.ID != agent.ID {
		t.Fatalf("customer's assignment: %+v", ev)
	}

	// The customer writes: stored, acknowledged with the stored message, and on the agent's
	// stream; a resend with the same client_id is acknowledged with the same message.
	wsSend(t, cust, map[string]any{"type": "message", "body": "order 77", "client_id": "k-1"})
	var ack, echo wsEvent
	for ack.Type == "" || echo.Type == "" {
		switch ev := wsNext(t, cust); ev.Type {
		case "ack":
			ack = ev
		case "message":
			echo = ev
		default:
			t.Fatalf("unexpected %+v", ev)
		}
	}
	if ack.ClientID != "k-1" || ack.Message == nil || ack.Message.ID == "" || echo.Message.ID != ack.Message.ID {
		t.Fatalf("ack %+v, message %+v", ack, echo)
	}
	if ev := wsUntil(t, ag, "message"); ev.Message.ID != ack.Message.ID || ev.Message.Body != "order 77" {
		t.Fatalf("agent got %+v", ev)
	}
	wsSend(t, cust, map[string]any{"type": "message", "body": "order 77", "client_id": "k-1"})
	if ev := wsUntil(t, cust, "ack"); ev.Message.ID != ack.Message.ID {
		t.Fatalf("resend acknowledged with %s, stored %s", ev.Message.ID, ack.Message.ID)
	}

	// Typing reaches the other side, never one's own.
	wsSend(t, cust, map[string]any{"type": "typing"})
	if ev := wsUntil(t, ag, "typing"); ev.Author == nil || ev.Author.Type != "customer" || ev.ConversationID != conv.ID {
		t.Fatalf("agent's typing event: %+v", ev)
	}
	wsSend(t, ag, map[string]any{"type": "typing", "conversation_id": conv.ID})
	if ev := wsUntil(t, cust, "typing"); ev.Author == nil || ev.Author.Type != "agent" {
		t.Fatalf("customer's typing event: %+v", ev)
	}

	// The agent answers through the stream; an internal note (REST) never reaches the
	// customer: the next message the customer gets is the reply after it.
	wsSend(t, ag, map[string]any{"type": "message", "conversation_id": conv.ID, "body": "Checking it now", "client_id": "a-1"})
	if ev := wsUntil(t, ag, "ack", "message"); ev.Message == nil || ev.Message.Body != "Checking it now" {
		t.Fatalf("agent's ack: %+v", ev)
	}
	if ev := wsUntil(t, cust, "message"); ev.Message.Body != "Checking it now" || ev.Message.Author.Type != "agent" {
		t.Fatalf("customer got %+v", ev)
	}
	apath := "/api/v1/agent/conversations/" + conv.ID + "/messages"
	want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": "refund looks fraudulent", "internal": true}), http.StatusCreated)
	want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": "One moment please"}), http.StatusCreated)
	if ev := wsUntil(t, cust, "message"); ev.Message.Body != "One moment please" {
		t.Fatalf("customer got %+v (the note?)", ev)
	}
	if ev := wsUntil(t, ag, "internal-message", "message"); ev.Message.Body != "refund looks fraudulent" {
		t.Fatalf("agent's note event: %+v", ev)
	}
	if ev := wsUntil(t, ag, "message"); ev.Message.Body != "One moment please" {
		t.Fatalf("agent's reply event: %+v", ev)
	}

	// Order is kept: five messages in a row arrive on the agent's stream in that order.
	for i := range 5 {
		wsSend(t, cust, map[string]any{"type": "message", "body": "line " + string(rune('1'+i)), "client_id": "seq-" + string(rune('1'+i))})
	}
	for i := range 5 {
		ev := wsUntil(t, ag, "message", "internal-message")
		if want := "line " + string(rune('1'+i)); ev.Message.Body != want {
			t.Fatalf("agent got %q, want %q", ev.Message.Body, want)
		}
	}
	var last string
	for i := 0; i < 5; {
		if ev := wsNext(t, cust); ev.Type == "message" {
			last, i = ev.Message.ID, i+1
		}
	}

	// Refusals: a body over 10,000 characters is an error frame (the socket stays); a frame
	// of 100 kB closes it with 1009. Nothing of either is stored.
	wsSend(t, cust, map[string]any{"type": "message", "body": strings.Repeat("字", 10001), "client_id": "long"})
	if ev := wsUntil(t, cust, "error", "ack"); ev.ClientID != "long" || ev.Error == nil || ev.Error.Code != "invalid_request" {
		t.Fatalf("long message: %+v", ev)
	}
	// The server stops reading at the frame's header, so the rest of the write may meet a
	// closed socket (broken pipe): then the close frame (1009) may be lost with it.
	huge, _ := json.Marshal(map[string]any{"type": "message", "body": strings.Repeat("x", 100_000), "client_id": "huge"})
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	werr := cust.Write(wctx, websocket.MessageText, huge)
	wcancel()
	if st := wsClosed(t, cust); st != websocket.StatusMessageTooBig && (werr == nil || st != -1) {
		t.Fatalf("100 kB frame: close status %d (write: %v)", st, werr)
	}

	// Reconnect with ?after=: the messages missed while away come first, once, then live ones.
	for _, b := range []string{"missed 1", "missed 2", "missed 3"} {
		want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": b}), http.StatusCreated)
	}
	want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": "missed note", "internal": true}), http.StatusCreated)
	// "between" is stored after the stream subscribed and before it read the backlog: it is
	// in both, and must come once.
	hook := func(convID string) {
		if _, err := e.app.Support.Append(context.Background(), convID, support.NewMessage{
			Author: support.Author{Type: support.AuthorAgent, ID: agent.ID, Name: agent.Name}, Body: "between"}); err != nil {
			t.Error(err)
		}
	}
	e.api.subscribed.Store(&hook)
	cust = wsOpen(t, e, cpath+"/stream?after="+last, a.Token, false)
	e.api.subscribed.Store(nil)
	want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": "live 1"}), http.StatusCreated)
	for _, b := range []string{"missed 1", "missed 2", "missed 3", "between", "live 1"} {
		if ev := wsNext(t, cust); ev.Type != "message" || ev.Message.Body != b {
			t.Fatalf("resume: got %+v, want %q", ev, b)
		}
	}
	want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": "live 2"}), http.StatusCreated)
	if ev := wsNext(t, cust); ev.Type != "message" || ev.Message.Body != "live 2" {
		t.Fatalf("after the resume: %+v", ev)
	}

	// The store: k-1 once, the refused ones never, no note for the customer.
	var msgs struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", cpath+"/messages", a.Token, nil), http.StatusOK), &msgs)
	count := map[string]int{}
	for _, m := range msgs.Items {
		count[m.ClientID]++
		if m.Internal || len(m.Body) > 50_000 {
			t.Fatalf("stored %+v", m)
		}
	}
	if count["k-1"] != 1 || count["long"] != 0 || count["huge"] != 0 || len(msgs.Items) != 1+1+1+1+5+3+1+2 {
		t.Fatalf("%d messages, by client id %v", len(msgs.Items), count)
	}
}

func TestE2EChatRefused(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	b := e.newUser(t, userOpts{})
	_, reviewerTok := deskStaff(t, e, "rev", "reviewer", "general")
	var conv apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", a.Token, map[string]any{
		"topic": "fees", "message": "why this fee"}), http.StatusCreated), &conv)
	path := "/api/v1/support/conversations/" + conv.ID + "/stream"

	cases := []struct {
		name   string
		path   string
		token  string
		header []string
		status int
	}{
		{"no token", path, "", nil, http.StatusUnauthorized},
		{"bad token", path, "not-a-token", nil, http.StatusUnauthorized},
		{"another customer's conversation", path, b.Token, nil, http.StatusNotFound},
		{"a staff token for a customer stream", path, reviewerTok, nil, http.StatusUnauthorized},
		{"a foreign page", path, a.Token, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"a user token for the agent stream", "/api/v1/agent/stream", a.Token, nil, http.StatusUnauthorized},
		{"a reviewer has no desk stream", "/api/v1/agent/stream", reviewerTok, nil, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := wsDial(t, e, tc.path, tc.token, true, tc.header...)
			if err == nil || resp == nil || resp.StatusCode != tc.status {
				st := 0
				if resp != nil {
					st = resp.StatusCode
				}
				t.Fatalf("dial: %v, HTTP %d, want %d", err, st, tc.status)
			}
		})
	}
	// The same site's page is welcome.
	c, _, err := wsDial(t, e, path, a.Token, true, "Origin", e.srv.URL)
	if err != nil {
		t.Fatalf("same origin: %v", err)
	}
	c.CloseNow()
	// Without an upgrade, a problem rather than a hang or a 500.
	wantProblem(t, e.do(t, "GET", path, a.Token, nil), http.StatusBadRequest, "invalid_request")
}

func TestE2EChatStreamEnds(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	// Sessions are re-checked at every tick; a short one keeps the test quick (no sleep:
	// the test waits for the close itself).
	e.api.recheckEvery.Store(int64(20 * time.Millisecond))
	agent, agentTok := deskStaff(t, e, "dewi", "agent", "general")
	_, adminTok := deskStaff(t, e, "boss", "admin", "general")
	_, supTok := deskStaff(t, e, "sup", "supervisor", "general")
	ag := wsOpen(t, e, "/api/v1/agent/stream", agentTok, true)
	sup := wsOpen(t, e, "/api/v1/agent/stream", supTok, false)

	// A disabled agent's stream ends (1008), the supervisor's goes on.
	want(t, e.do(t, "PATCH", "/api/v1/agent/staff/"+agent.ID, adminTok, map[string]any{"disabled": true, "reason": "left the company"}), http.StatusOK)
	if st := wsClosed(t, ag); st != websocket.StatusPolicyViolation {
		t.Fatalf("disabled agent's stream closed with %d", st)
	}
	// At shutdown every stream ends (1001): http.Server.Shutdown does not wait for them.
	e.api.BeginShutdown()
	if st := wsClosed(t, sup); st != websocket.StatusGoingAway {
		t.Fatalf("at shutdown the stream closed with %d", st)
	}
}

// apiRead is a read marker as the read routes answer it.
type apiRead struct {
	Type      string `json:"type"`
	MessageID string `json:"message_id"`
	Author    struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	} `json:"author"`
}

// TestE2EChatRead: read markers from the stream and from REST reach the other side as read
// events (never one's own), only move forward, refuse a message of another conversation or a
// note the customer cannot see, and show in the conversation.
func TestE2EChatRead(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	a := e.newUser(t, userOpts{})
	b := e.newUser(t, userOpts{})
	agent, agentTok := deskStaff(t, e, "dewi", "agent", "payments")
	want(t, e.do(t, "PUT", "/api/v1/agent/presence", agentTok, map[string]any{"status": "online"}), http.StatusOK)

	var conv, other apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", a.Token, map[string]any{
		"topic": "refund", "message": "I want a refund"}), http.StatusCreated), &conv)
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", b.Token, map[string]any{
		"topic": "refund", "message": "me too"}), http.StatusCreated), &other)
	cpath := "/api/v1/support/conversations/" + conv.ID
	apath := "/api/v1/agent/conversations/" + conv.ID
	cust := wsOpen(t, e, cpath+"/stream", a.Token, false)
	ag := wsOpen(t, e, "/api/v1/agent/stream", agentTok, false)

	// The customer writes (delivered: acknowledged, and on the agent's stream).
	wsSend(t, cust, map[string]any{"type": "message", "body": "order 12", "client_id": "c-1"})
	ack := wsUntil(t, cust, "ack", "message", "assigned", "queue")
	if ev := wsUntil(t, ag, "message", "assigned", "queue"); ev.Message.ID != ack.Message.ID {
		t.Fatalf("agent got %+v", ev)
	}
	// The agent reads it over the stream: the customer hears it.
	wsSend(t, ag, map[string]any{"type": "read", "conversation_id": conv.ID, "message_id": ack.Message.ID})
	ev := wsUntil(t, cust, "read", "message", "assigned", "queue")
	if ev.MessageID != ack.Message.ID || ev.Author == nil || ev.Author.Type != "agent" || ev.Author.ID != agent.ID || ev.ConversationID != conv.ID {
		t.Fatalf("customer's read event: %+v", ev)
	}

	// The agent replies; the customer reads the reply with REST: the agent hears it, and the
	// agent's own read above never came back to the agent (the next event is the customer's).
	var reply apiMessage
	decodeJSON(t, want(t, e.do(t, "POST", apath+"/messages", agentTok, map[string]any{"body": "refund on its way"}), http.StatusCreated), &reply)
	if ev := wsUntil(t, cust, "message"); ev.Message.ID != reply.ID {
		t.Fatalf("customer got %+v", ev)
	}
	var rd apiRead
	decodeJSON(t, want(t, e.do(t, "POST", cpath+"/read", a.Token, map[string]any{"message_id": reply.ID}), http.StatusOK), &rd)
	if rd.Type != "read" || rd.MessageID != reply.ID || rd.Author.Type != "customer" || rd.Author.ID != a.ID {
		t.Fatalf("customer's marker: %+v", rd)
	}
	if ev := wsUntil(t, ag, "read", "message"); ev.MessageID != reply.ID || ev.Author == nil || ev.Author.Type != "customer" {
		t.Fatalf("agent's read event: %+v (its own read came back?)", ev)
	}

	// Markers only move forward: an older message leaves it, answers where it is, and
	// publishes nothing (the customer's next read event is the agent's next real move).
	decodeJSON(t, want(t, e.do(t, "POST", cpath+"/read", a.Token, map[string]any{"message_id": ack.Message.ID}), http.StatusOK), &rd)
	if rd.MessageID != reply.ID {
		t.Fatalf("marker moved back to %s", rd.MessageID)
	}
	decodeJSON(t, want(t, e.do(t, "POST", apath+"/read", agentTok, map[string]any{"message_id": ack.Message.ID}), http.StatusOK), &rd)
	if rd.MessageID != ack.Message.ID || rd.Author.ID != agent.ID { // the agent's marker was already there
		t.Fatalf("agent's marker: %+v", rd)
	}
	var note apiMessage
	decodeJSON(t, want(t, e.do(t, "POST", apath+"/messages", agentTok, map[string]any{"body": "verified", "internal": true}), http.StatusCreated), &note)
	decodeJSON(t, want(t, e.do(t, "POST", apath+"/read", agentTok, map[string]any{"message_id": note.ID}), http.StatusOK), &rd)
	wsSend(t, cust, map[string]any{"type": "read", "message_id": reply.ID}) // already there: nothing
	wsSend(t, cust, map[string]any{"type": "typing"})
	// Next on the agent's stream: the note, then the typing; no read event (neither the
	// agent's own three nor the customer's that did not move).
	if ev := wsUntil(t, ag, "typing", "internal-message"); ev.Author.Type != "customer" {
		t.Fatalf("agent got %+v", ev)
	}

	// Refused: a message of another conversation, a note (for the customer), an unknown id,
	// someone else's conversation; over the stream, an error frame.
	otherMsgs := struct {
		Items []apiMessage `json:"items"`
	}{}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations/"+other.ID+"/messages", b.Token, nil), http.StatusOK), &otherMsgs)
	wantProblem(t, e.do(t, "POST", cpath+"/read", a.Token, map[string]any{"message_id": otherMsgs.Items[0].ID}), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", cpath+"/read", a.Token, map[string]any{"message_id": note.ID}), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", cpath+"/read", a.Token, map[string]any{"message_id": "msg_nope"}), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", "/api/v1/support/conversations/"+other.ID+"/read", a.Token,
		map[string]any{"message_id": otherMsgs.Items[0].ID}), 404, "not_found")
	wsSend(t, cust, map[string]any{"type": "read", "message_id": note.ID})
	if ev := wsUntil(t, cust, "error", "read"); ev.Error == nil || ev.Error.Code != "invalid_request" {
		t.Fatalf("read of a note: %+v", ev)
	}

	// The conversation shows the markers, the customer's first; the customer does not see a
	// marker on a note.
	var got struct {
		Reads []apiRead `json:"reads"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", apath, agentTok, nil), http.StatusOK), &got)
	if len(got.Reads) != 2 || got.Reads[0].Author.Type != "customer" || got.Reads[0].MessageID != reply.ID ||
		got.Reads[1].Author.ID != agent.ID || got.Reads[1].MessageID != note.ID {
		t.Fatalf("reads %+v", got.Reads)
	}
	got.Reads = nil
	decodeJSON(t, want(t, e.do(t, "GET", cpath, a.Token, nil), http.StatusOK), &got)
	if len(got.Reads) != 1 || got.Reads[0].MessageID != reply.ID {
		t.Fatalf("the customer sees reads %+v", got.Reads)
	}
}

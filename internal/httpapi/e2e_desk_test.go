package httpapi

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/staff"
)

// deskStaff creates a staff member of team with a session token.
func deskStaff(t *testing.T, e *e2eEnv, name, role, team string) (staff.Staff, string) {
	t.Helper()
	ctx := context.Background()
	st, secret, pw, err := e.app.Staff.Create(ctx, name+"-"+e.run+"@dompet.example", name, role, team, "")
	if err != nil {
		t.Fatal(err)
	}
	sess, _, err := e.app.Staff.Login(ctx, staff.LoginInput{Email: st.Email, Password: pw, OTP: fxOathtool(t, secret, time.Now()), IP: "127.0.0.1"})
	if err != nil {
		t.Fatalf("%s login: %v", name, err)
	}
	return st, sess.Token
}

type apiConversation struct {
	ID         string  `json:"id"`
	Ref        string  `json:"ref"`
	Status     string  `json:"status"`
	Team       string  `json:"team"`
	AssigneeID *string `json:"assignee_id"`
	Queue      *struct {
		Position             int   `json:"position"`
		EstimatedWaitSeconds int64 `json:"estimated_wait_seconds"`
	} `json:"queue"`
	SuggestedArticles []any `json:"suggested_articles"`
}

type apiMessage struct {
	ID       string `json:"id"`
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
	ClientID string `json:"client_id"`
	Author   struct {
		Type string `json:"type"`
	} `json:"author"`
	Attachments []struct {
		ID          string `json:"id"`
		Filename    string `json:"filename"`
		ContentType string `json:"content_type"`
	} `json:"attachments"`
}

func TestE2EDesk(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	ctx := context.Background()
	a := e.newUser(t, userOpts{locale: "zh-CN"}) // problems come in the user's language
	b := e.newUser(t, userOpts{})
	agent, agentTok := deskStaff(t, e, "sari", "agent", "payments")
	_, otherTok := deskStaff(t, e, "joko", "agent", "accounts")
	_, supTok := deskStaff(t, e, "lead", "supervisor", "general")

	// Nobody is online: the chat waits first in line with a number for a wait.
	var c apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", a.Token, map[string]any{
		"topic": "payment_failed", "message": "my payment failed", "channel": "chat"}), http.StatusCreated), &c)
	if c.Status != "open" || c.Team != "payments" || c.Queue == nil || c.Queue.Position != 1 || c.Queue.EstimatedWaitSeconds <= 0 || c.SuggestedArticles == nil {
		t.Fatalf("new conversation: %+v", c)
	}
	// The agent comes online and has it at once.
	want(t, e.do(t, "PUT", "/api/v1/agent/presence", agentTok, map[string]any{"status": "online"}), http.StatusOK)
	var got apiConversation
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations/"+c.ID, a.Token, nil), http.StatusOK), &got)
	if got.AssigneeID == nil || *got.AssigneeID != agent.ID || got.Queue != nil {
		t.Fatalf("after the agent came online: %+v", got)
	}

	// Customers see only their own.
	wantProblem(t, e.do(t, "GET", "/api/v1/support/conversations/"+c.ID, b.Token, nil), 404, "not_found")
	wantProblem(t, e.do(t, "GET", "/api/v1/support/conversations/"+c.ID+"/messages", b.Token, nil), 404, "not_found")
	wantProblem(t, e.do(t, "POST", "/api/v1/support/conversations/"+c.ID+"/messages", b.Token, map[string]any{"body": "hi"}), 404, "not_found")
	var list struct {
		Items []apiConversation `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations", b.Token, nil), http.StatusOK), &list)
	if len(list.Items) != 0 {
		t.Fatalf("b lists %d conversations", len(list.Items))
	}
	// An agent of another team does not see it; the supervisor does.
	wantProblem(t, e.do(t, "GET", "/api/v1/agent/conversations/"+c.ID, otherTok, nil), 404, "not_found")
	want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+c.ID, supTok, nil), http.StatusOK)
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations?view=all", otherTok, nil), http.StatusOK), &list)
	if len(list.Items) != 0 {
		t.Fatalf("the accounts agent lists %d conversations", len(list.Items))
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations?view=mine&status=open", agentTok, nil), http.StatusOK), &list)
	if len(list.Items) != 1 || list.Items[0].ID != c.ID {
		t.Fatalf("mine: %+v", list.Items)
	}

	// Messages: a resend by client_id is stored once; the note stays with the staff.
	var m1, m2 apiMessage
	path := "/api/v1/support/conversations/" + c.ID + "/messages"
	decodeJSON(t, want(t, e.do(t, "POST", path, a.Token, map[string]any{"body": "order 42", "client_id": "c-1"}), http.StatusCreated), &m1)
	decodeJSON(t, want(t, e.do(t, "POST", path, a.Token, map[string]any{"body": "order 42", "client_id": "c-1"}), http.StatusCreated), &m2)
	if m1.ID != m2.ID || m1.ClientID != "c-1" {
		t.Fatalf("resend stored twice: %s %s", m1.ID, m2.ID)
	}
	apath := "/api/v1/agent/conversations/" + c.ID + "/messages"
	want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": "card declined by bank", "internal": true}), http.StatusCreated)
	want(t, e.do(t, "POST", apath, agentTok, map[string]any{"body": "Your bank declined it; please retry."}), http.StatusCreated)
	var msgs struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", path, a.Token, nil), http.StatusOK), &msgs)
	if len(msgs.Items) != 3 {
		t.Fatalf("customer sees %d messages: %+v", len(msgs.Items), msgs.Items)
	}
	for _, m := range msgs.Items {
		if m.Internal || strings.Contains(m.Body, "declined by bank") {
			t.Fatalf("customer sees the internal note: %+v", m)
		}
	}
	decodeJSON(t, want(t, e.do(t, "GET", path+"?after="+m1.ID, a.Token, nil), http.StatusOK), &msgs)
	if len(msgs.Items) != 1 || msgs.Items[0].Author.Type != "agent" {
		t.Fatalf("after: %+v", msgs.Items)
	}
	decodeJSON(t, want(t, e.do(t, "GET", apath, agentTok, nil), http.StatusOK), &msgs)
	if len(msgs.Items) != 4 {
		t.Fatalf("agent sees %d messages", len(msgs.Items))
	}
	// Too long: 10,001 characters is a 400, 100 kB a 413; nothing is stored.
	wantProblem(t, e.do(t, "POST", path, a.Token, map[string]any{"body": strings.Repeat("字", 10001)}), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", path, a.Token, map[string]any{"body": strings.Repeat("x", 100<<10)}), 413, "too_large")
	decodeJSON(t, want(t, e.do(t, "GET", path, a.Token, nil), http.StatusOK), &msgs)
	if len(msgs.Items) != 3 {
		t.Fatalf("%d messages after the refused ones", len(msgs.Items))
	}

	// Rating waits for the resolution; resolving frees the agent.
	p := wantProblem(t, e.do(t, "POST", "/api/v1/support/conversations/"+c.ID+"/rating", a.Token, map[string]any{"score": 5}), 409, "invalid_state")
	if d, _ := p["detail"].(string); !strings.Contains(d, "评分") {
		t.Errorf("zh-CN detail %q", d)
	}
	want(t, e.do(t, "POST", "/api/v1/agent/conversations/"+c.ID+"/status", agentTok, map[string]any{"status": "resolved"}), http.StatusOK)
	want(t, e.do(t, "POST", "/api/v1/support/conversations/"+c.ID+"/rating", a.Token, map[string]any{"score": 5, "comment": "fast"}), http.StatusOK)
	wantProblem(t, e.do(t, "POST", "/api/v1/support/conversations/"+c.ID+"/rating", a.Token, map[string]any{"score": 1}), 409, "invalid_state")
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/conversations/"+c.ID+"/status", agentTok, map[string]any{"status": "closed"}, invalidOnPurpose), 400, "invalid_request")

	// A call-back request queues like a chat (accounts has an agent, offline).
	var cb struct {
		ID             string `json:"id"`
		ConversationID string `json:"conversation_id"`
		Queue          struct {
			Position int `json:"position"`
		} `json:"queue"`
	}
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/callbacks", a.Token, map[string]any{"phone": "+6281234567890",
		"topic": "account_locked", "note": "after 5pm"}), http.StatusCreated), &cb)
	if cb.ID == "" || cb.ConversationID == "" || cb.Queue.Position != 1 {
		t.Fatalf("callback: %+v", cb)
	}
	// The accounts agent takes it (unassigned, their team); the payments agent may not.
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/conversations/"+cb.ConversationID+"/assign", agentTok, map[string]any{"agent_id": agent.ID}), 404, "not_found")

	// The customer context: locked account, balances, conversations; the view is audited.
	for range 5 {
		e.send("POST", "/api/v1/auth/login", "", map[string]any{"login": a.Email, "password": "wrong-password-1!", "device_id": e2eDevice})
	}
	var cctx struct {
		Profile struct {
			ID     string `json:"id"`
			Locked bool   `json:"locked"`
		} `json:"profile"`
		Balances      []any `json:"balances"`
		Transactions  []any `json:"transactions"`
		Conversations []any `json:"conversations"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/customers/"+a.ID, agentTok, nil), http.StatusOK), &cctx)
	if cctx.Profile.ID != a.ID || !cctx.Profile.Locked || len(cctx.Conversations) != 2 || cctx.Balances == nil {
		t.Fatalf("customer context: %+v", cctx)
	}
	// b has no conversation with the payments team: not for this agent; the supervisor may.
	wantProblem(t, e.do(t, "GET", "/api/v1/agent/customers/"+b.ID, agentTok, nil), 404, "not_found")
	want(t, e.do(t, "GET", "/api/v1/agent/customers/"+b.ID, supTok, nil), http.StatusOK)

	// Unlock needs the verification; then the customer logs in again, and the log says who and why.
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/customers/"+a.ID+"/unlock", agentTok, map[string]any{"verification": " ", "note": ""}), 400, "invalid_request")
	want(t, e.do(t, "POST", "/api/v1/agent/customers/"+a.ID+"/unlock", agentTok, map[string]any{
		"verification": "caller answered last top-up amount and date", "note": "ticket " + c.Ref}), http.StatusNoContent)
	e.login(t, a.Email, e2ePassword)
	entries, _, err := e.app.Audit.List(ctx, audit.Query{Subject: a.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var viewed, unlocked bool
	for _, en := range entries {
		switch {
		case en.Action == "customer.viewed" && en.ActorID == agent.ID:
			viewed = true
		case en.Action == "user.account_unlocked" && en.ActorID == agent.ID && strings.Contains(en.Reason, "last top-up"):
			unlocked = true
		}
	}
	if !viewed || !unlocked {
		t.Fatalf("audit: viewed %v, unlocked %v in %+v", viewed, unlocked, entries)
	}
}

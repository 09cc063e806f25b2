package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/telephony"
)

// TestE2ECallScreenPop: a signed call.incoming reaches the desk stream of an agent of the
// call's team as a "call" event naming the caller, once (a retried event pops nothing new);
// an agent of another team does not get it; call.answered reaches the agent who answered.
func TestE2ECallScreenPop(t *testing.T) {
	t.Parallel()
	const secret = "pop-secret"
	e := newE2EConfig(t, func(c *config.Config) { c.TelephonySecret = secret })
	u := e.newUser(t, userOpts{})
	agent, agentTok := deskStaff(t, e, "suti", "agent", "general")
	_, otherTok := deskStaff(t, e, "budi", "agent", "payments")
	post := func(body string) reply {
		return e.do(t, "POST", "/api/v1/telephony/events", "", body,
			hdr{telephony.HeaderSignature, telephony.Sign(secret, []byte(body), time.Now())})
	}
	ag := wsOpen(t, e, "/api/v1/agent/stream", agentTok, false)
	other := wsOpen(t, e, "/api/v1/agent/stream", otherTok, false)

	incoming := fmt.Sprintf(`{"event":"call.incoming","call_id":"pop-1","from":%q,"to":"+622150000000"}`, u.Phone)
	var res apiCall
	decodeJSON(t, want(t, post(incoming), http.StatusOK), &res)
	if res.Route.Team != "general" {
		t.Fatalf("the call went to %q", res.Route.Team)
	}
	ev := wsUntil(t, ag, "call", "message", "queue")
	if ev.ConversationID != res.ConversationID || ev.Team != "general" || ev.Call == nil || ev.Call.ID != "pop-1" ||
		ev.Call.Event != "call.incoming" || ev.Call.Customer == nil || ev.Call.Customer.ID != u.ID ||
		ev.Call.Customer.DisplayName == "" || ev.Call.Customer.Locked || strings.Contains(ev.Call.FromMasked, u.Phone[3:len(u.Phone)-3]) {
		t.Fatalf("the pop: %+v (call %+v)", ev, ev.Call)
	}

	// The other team's agent: their own team's next event comes, and no call before it.
	want(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{"topic": "refund", "message": "refund please"}), http.StatusCreated)
	wsUntil(t, other, "queue", "message")

	// A retried call.incoming pops nothing; the answer reaches the agent who took the call.
	want(t, post(incoming), http.StatusOK)
	answered := fmt.Sprintf(`{"event":"call.answered","call_id":"pop-1","from":%q,"to":"+622150000000","agent_email":%q}`, u.Phone, agent.Email)
	want(t, post(answered), http.StatusOK)
	ev = wsUntil(t, ag, "call", "message", "queue", "assigned", "status")
	if ev.Call == nil || ev.Call.Event != "call.answered" || ev.Agent == nil || ev.Agent.ID != agent.ID {
		t.Fatalf("after the retry and the answer: %+v (call %+v)", ev, ev.Call)
	}
}

// TestE2ECallDisposition: the agent sets a call's disposition (phone conversations only, a
// value of the list); the conversation shows it to staff, not to the customer, as an internal
// note too, and the reports count it.
func TestE2ECallDisposition(t *testing.T) {
	t.Parallel()
	const secret = "disp-secret"
	e := newE2EConfig(t, func(c *config.Config) { c.TelephonySecret = secret })
	u := e.newUser(t, userOpts{})
	_, agentTok := deskStaff(t, e, "wati", "agent", "general")
	_, supTok := deskStaff(t, e, "kepala", "supervisor", "general")
	_, otherTok := deskStaff(t, e, "joko", "agent", "payments")
	var call apiCall
	body := fmt.Sprintf(`{"event":"call.incoming","call_id":"disp-1","from":%q,"to":"+622150000000"}`, u.Phone)
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/telephony/events", "", body,
		hdr{telephony.HeaderSignature, telephony.Sign(secret, []byte(body), time.Now())}), http.StatusOK), &call)
	var chat apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{"topic": "other", "message": "hello"}), http.StatusCreated), &chat)

	path := func(id string) string { return "/api/v1/agent/conversations/" + id + "/call-disposition" }
	wantProblem(t, e.do(t, "POST", path(chat.ID), agentTok, map[string]any{"disposition": "resolved"}), http.StatusConflict, "invalid_state")
	wantProblem(t, e.do(t, "POST", path(call.ConversationID), agentTok, map[string]any{"disposition": "hung_up"}, invalidOnPurpose), http.StatusBadRequest, "invalid_request")
	wantProblem(t, e.do(t, "POST", path(call.ConversationID), otherTok, map[string]any{"disposition": "resolved"}), http.StatusNotFound, "not_found")

	type disposed struct {
		Disposition *struct {
			Code    string `json:"code"`
			Note    string `json:"note"`
			StaffID string `json:"staff_id"`
		} `json:"disposition"`
	}
	var got disposed
	decodeJSON(t, want(t, e.do(t, "POST", path(call.ConversationID), agentTok, map[string]any{"disposition": "callback_needed",
		"note": "wants a call about the top-up"}), http.StatusOK), &got)
	if got.Disposition == nil || got.Disposition.Code != "callback_needed" || got.Disposition.Note != "wants a call about the top-up" {
		t.Fatalf("set: %+v", got.Disposition)
	}
	var conv disposed
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+call.ConversationID, agentTok, nil), http.StatusOK), &conv)
	if conv.Disposition == nil || conv.Disposition.Code != "callback_needed" {
		t.Fatalf("the conversation: %+v", conv.Disposition)
	}
	var mine disposed
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations/"+call.ConversationID, u.Token, nil), http.StatusOK), &mine)
	if mine.Disposition != nil {
		t.Fatalf("the customer sees the disposition %+v", mine.Disposition)
	}
	var msgs struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+call.ConversationID+"/messages", agentTok, nil), http.StatusOK), &msgs)
	if last := msgs.Items[len(msgs.Items)-1]; !last.Internal || !strings.HasPrefix(last.Body, "Call disposition: callback_needed") {
		t.Fatalf("the note: %+v", last)
	}

	// Corrected: the later one replaces it, and the report counts each call once.
	want(t, e.do(t, "POST", path(call.ConversationID), agentTok, map[string]any{"disposition": "resolved"}), http.StatusOK)
	var sum struct {
		ByDisposition map[string]int `json:"by_disposition"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/reports/summary", supTok, nil), http.StatusOK), &sum)
	if sum.ByDisposition["resolved"] != 1 || sum.ByDisposition["callback_needed"] != 0 || sum.ByDisposition["none"] != 0 ||
		len(sum.ByDisposition) != 8 {
		t.Fatalf("by disposition: %v", sum.ByDisposition)
	}
}

// TestE2EAgentStreamTeamScope: an agent's stream carries the messages of their team's
// unassigned conversations, and never those of another team's.
func TestE2EAgentStreamTeamScope(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	_, payTok := deskStaff(t, e, "pay", "agent", "payments")
	_, accTok := deskStaff(t, e, "acc", "agent", "accounts")
	pay := wsOpen(t, e, "/api/v1/agent/stream", payTok, false)
	acc := wsOpen(t, e, "/api/v1/agent/stream", accTok, false)

	open := func(topic, msg string) string {
		var c apiConversation
		decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{"topic": topic, "message": msg}), http.StatusCreated), &c)
		if c.AssigneeID != nil {
			t.Fatalf("%s was assigned", c.ID)
		}
		return c.ID
	}
	refund := open("refund", "my refund")
	locked := open("account_locked", "locked out")
	want(t, e.do(t, "POST", "/api/v1/support/conversations/"+refund+"/messages", u.Token, map[string]any{"body": "for payments"}), http.StatusCreated)
	want(t, e.do(t, "POST", "/api/v1/support/conversations/"+locked+"/messages", u.Token, map[string]any{"body": "for accounts"}), http.StatusCreated)

	// Each reads until its own team's second message, failing on the other team's.
	for _, c := range []struct {
		ws          *websocket.Conn
		mine, other string
		last        string
	}{{pay, refund, locked, "for payments"}, {acc, locked, refund, "for accounts"}} {
		for {
			ev := wsUntil(t, c.ws, "message", "queue")
			if ev.ConversationID == c.other {
				t.Fatalf("another team's message: %+v", ev.Message)
			}
			if ev.ConversationID == c.mine && ev.Message.Body == c.last {
				break
			}
		}
	}
}

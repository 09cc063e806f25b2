package httpapi

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/telephony"
)

type apiCall struct {
	Customer *struct {
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
		Phone       string `json:"phone"`
	} `json:"customer"`
	ConversationID string `json:"conversation_id"`
	Route          struct {
		Team  string `json:"team"`
		Agent *struct {
			ID string `json:"id"`
		} `json:"agent"`
	} `json:"route"`
}

func TestE2ETelephony(t *testing.T) {
	t.Parallel()
	const secret = "phone-secret"
	e := newE2EConfig(t, func(c *config.Config) { c.TelephonySecret = secret })
	u := e.newUser(t, userOpts{})
	agent, agentTok := deskStaff(t, e, "tari", "agent", "general")
	post := func(body string, at time.Time, sign bool, extra ...hdr) reply {
		h := extra
		if sign {
			h = append(h, hdr{telephony.HeaderSignature, telephony.Sign(secret, []byte(body), at)})
		}
		return e.do(t, "POST", "/api/v1/telephony/events", "", body, h...)
	}
	incoming := func(call, from string) string {
		return fmt.Sprintf(`{"event":"call.incoming","call_id":%q,"from":%q,"to":"+622150000000"}`, call, from)
	}

	// Unsigned, stale and wrongly signed events are refused before the body is read.
	want(t, post(incoming("c1", u.Phone), time.Now(), false), http.StatusUnauthorized)
	want(t, post(incoming("c1", u.Phone), time.Now().Add(-10*time.Minute), true), http.StatusUnauthorized)
	want(t, post(`{"event":"nope"}`, time.Now(), true, invalidOnPurpose), http.StatusBadRequest)

	// A known caller pops their screen; the retried event joins the same conversation.
	var known apiCall
	decodeJSON(t, want(t, post(incoming("c1", u.Phone), time.Now(), true), http.StatusOK), &known)
	if known.Customer == nil || known.Customer.ID != u.ID || known.ConversationID == "" || known.Route.Team == "" {
		t.Fatalf("known caller: %+v", known)
	}
	var again apiCall
	decodeJSON(t, want(t, post(incoming("c1", u.Phone), time.Now(), true), http.StatusOK), &again)
	if again.ConversationID != known.ConversationID {
		t.Fatalf("retry opened %s, first %s", again.ConversationID, known.ConversationID)
	}

	// An unknown caller gets null.
	var unknown apiCall
	decodeJSON(t, want(t, post(incoming("c2", "+6289999999999"), time.Now(), true), http.StatusOK), &unknown)
	if unknown.Customer != nil || unknown.ConversationID == "" || unknown.ConversationID == known.ConversationID {
		t.Fatalf("unknown caller: %+v", unknown)
	}

	// Answered assigns it to the agent; ended is recorded once however often it is sent.
	answered := fmt.Sprintf(`{"event":"call.answered","call_id":"c1","from":%q,"to":"+622150000000","agent_email":%q}`, u.Phone, agent.Email)
	var ans apiCall
	decodeJSON(t, want(t, post(answered, time.Now(), true), http.StatusOK), &ans)
	if ans.Route.Agent == nil || ans.Route.Agent.ID != agent.ID {
		t.Fatalf("answered: %+v", ans)
	}
	ended := fmt.Sprintf(`{"event":"call.ended","call_id":"c1","from":%q,"to":"+622150000000","reason":"completed","duration_seconds":75}`, u.Phone)
	for range 2 {
		want(t, post(ended, time.Now(), true), http.StatusOK)
	}
	var msgs struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+known.ConversationID+"/messages", agentTok, nil), http.StatusOK), &msgs)
	if len(msgs.Items) != 2 || msgs.Items[1].Author.Type != "system" {
		t.Fatalf("messages: %+v", msgs.Items)
	}
	// A call whose incoming event was lost still records how it ended.
	var lost apiCall
	decodeJSON(t, want(t, post(`{"event":"call.ended","call_id":"c3","from":"anonymous","to":"+622150000000","reason":"abandoned"}`, time.Now(), true), http.StatusOK), &lost)
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+lost.ConversationID+"/messages", agentTok, nil), http.StatusOK), &msgs)
	if len(msgs.Items) != 2 || msgs.Items[1].Body != "Call ended: abandoned" {
		t.Fatalf("lost incoming: %+v", msgs.Items)
	}

	var conv struct {
		Channel string `json:"channel"`
		SLA     *struct {
			FirstResponseDue time.Time `json:"first_response_due"`
		} `json:"sla"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+known.ConversationID, agentTok, nil), http.StatusOK), &conv)
	if conv.Channel != "phone" || conv.SLA == nil || conv.SLA.FirstResponseDue.IsZero() {
		t.Fatalf("conversation: %+v", conv)
	}
}

// Without a secret the route does not exist.
func TestE2ETelephonyOff(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	want(t, e.do(t, "POST", "/api/v1/telephony/events", "", `{}`, invalidOnPurpose), http.StatusNotFound)
}

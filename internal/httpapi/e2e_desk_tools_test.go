package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/audit"
)

// auditActions are the actions of the audit log about subject by actor.
func auditActions(t *testing.T, e *e2eEnv, subject, actor string) []string {
	t.Helper()
	entries, _, err := e.app.Audit.List(context.Background(), audit.Query{Subject: subject, Actor: actor, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, en := range entries {
		out = append(out, en.Action)
	}
	return out
}

func TestE2EReportSummary(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	agent, agentTok := deskStaff(t, e, "rina", "agent", "payments")
	_, supTok := deskStaff(t, e, "boss", "supervisor", "general")
	want(t, e.do(t, "PUT", "/api/v1/agent/presence", agentTok, map[string]any{"status": "online"}), http.StatusOK)
	var c apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{
		"topic": "fees", "message": "why a fee?"}), http.StatusCreated), &c)
	if c.AssigneeID == nil || *c.AssigneeID != agent.ID {
		t.Fatalf("not assigned: %+v", c)
	}
	want(t, e.do(t, "POST", "/api/v1/agent/conversations/"+c.ID+"/messages", agentTok, map[string]any{"body": "it is the MDR"}), http.StatusCreated)
	want(t, e.do(t, "POST", "/api/v1/agent/conversations/"+c.ID+"/status", agentTok, map[string]any{"status": "resolved"}), http.StatusOK)
	want(t, e.do(t, "POST", "/api/v1/support/conversations/"+c.ID+"/rating", u.Token, map[string]any{"score": 4}), http.StatusOK)

	type summary struct {
		From, To      time.Time
		Conversations int            `json:"conversations"`
		ByChannel     map[string]int `json:"by_channel"`
		ByTopic       map[string]int `json:"by_topic"`
		FirstResponse struct {
			Count int    `json:"count"`
			P50   *int64 `json:"p50"`
		} `json:"first_response"`
		CSAT struct {
			Count        int            `json:"count"`
			Average      *float64       `json:"average"`
			Distribution map[string]int `json:"distribution"`
		} `json:"csat"`
	}
	var s summary
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/reports/summary", supTok, nil), http.StatusOK), &s)
	if s.Conversations != 1 || s.ByChannel["chat"] != 1 || s.ByTopic["fees"] != 1 || s.FirstResponse.Count != 1 ||
		s.FirstResponse.P50 == nil || s.CSAT.Count != 1 || s.CSAT.Average == nil || *s.CSAT.Average != 4 || s.CSAT.Distribution["4"] != 1 {
		t.Fatalf("summary: %+v", s)
	}
	if d := s.To.Sub(s.From); d != 7*24*time.Hour {
		t.Fatalf("default period %s", d)
	}
	// Dates: to includes its day.
	today := time.Now().UTC().Format(time.DateOnly)
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/reports/summary?from="+today+"&to="+today, supTok, nil), http.StatusOK), &s)
	if s.Conversations != 1 || s.To.Sub(s.From) != 24*time.Hour {
		t.Fatalf("today: %+v", s)
	}
	// A period before the conversation: nothing.
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/reports/summary?from=2020-01-01T00:00:00Z&to=2020-02-01", supTok, nil), http.StatusOK), &s)
	if s.Conversations != 0 || s.CSAT.Average != nil || s.FirstResponse.P50 != nil {
		t.Fatalf("2020: %+v", s)
	}
	// Agents may not; bad bounds are clear 400s.
	wantProblem(t, e.do(t, "GET", "/api/v1/agent/reports/summary", agentTok, nil), 403, "forbidden")
	for q, field := range map[string]string{
		"from=yesterday":                             "from",
		"to=2026-13-01":                              "to",
		"from=2026-11-09&to=2026-11-02":              "from",
		"from=2024-01-01&to=2026-01-01":              "to",
		"from=2026-11-02T09:00:00%2B07:00&to=banana": "to",
	} {
		p := wantProblem(t, e.do(t, "GET", "/api/v1/agent/reports/summary?"+q, supTok, nil), 400, "invalid_request")
		errs, _ := p["errors"].([]any)
		if len(errs) == 0 || errs[0].(map[string]any)["field"] != field {
			t.Errorf("%s: errors %v, want field %s", q, p["errors"], field)
		}
	}
}

type apiCanned struct {
	ID     string `json:"id"`
	Team   string `json:"team"`
	Locale string `json:"locale"`
	Topic  string `json:"topic"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Filled string `json:"filled"`
}

func TestE2ECannedReplies(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	_, payTok := deskStaff(t, e, "wati", "agent", "payments")
	_, accTok := deskStaff(t, e, "dedi", "agent", "accounts")
	sup, supTok := deskStaff(t, e, "kepala", "supervisor", "general")
	var list struct {
		Items []apiCanned `json:"items"`
	}
	// The seeded set: six in each language, for every team.
	for _, loc := range []string{"en", "zh-CN"} {
		decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/canned-replies?locale="+loc, payTok, nil), http.StatusOK), &list)
		if len(list.Items) != 6 {
			t.Fatalf("%s: %d seeded replies", loc, len(list.Items))
		}
		for _, c := range list.Items {
			if c.Locale != loc || c.Team != "" || !strings.Contains(c.Body, "{{customer_name}}") {
				t.Fatalf("seeded: %+v", c)
			}
		}
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/canned-replies?locale=zh-CN&topic=refund", payTok, nil), http.StatusOK), &list)
	if len(list.Items) != 2 { // the refund timeline and the closing
		t.Fatalf("zh-CN refund: %+v", list.Items)
	}

	// Agents do not write them; supervisors do, for a team.
	body := map[string]any{"title": "Kartu ditolak", "body": "Hi {{customer_name}}, {{agent_name}} here: your bank declined the card.", "locale": "en", "team": "payments", "topic": "payment_failed"}
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/canned-replies", payTok, body), 403, "forbidden")
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/canned-replies", supTok, map[string]any{"title": "x", "body": "y", "locale": "fr"}, invalidOnPurpose), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/canned-replies", supTok, map[string]any{"title": "x", "body": "y", "locale": "en", "team": "nope"}), 400, "invalid_request")
	var c apiCanned
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/agent/canned-replies", supTok, body), http.StatusCreated), &c)
	has := func(tok, q, id string) bool {
		decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/canned-replies"+q, tok, nil), http.StatusOK), &list)
		return slices.ContainsFunc(list.Items, func(x apiCanned) bool { return x.ID == id })
	}
	if !has(payTok, "?locale=en", c.ID) || has(accTok, "?locale=en", c.ID) || has(accTok, "?team=payments", c.ID) || !has(supTok, "", c.ID) {
		t.Fatal("a team's reply is seen outside the team, or not by it")
	}
	// Filled for a conversation.
	var conv apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{"topic": "payment_failed", "message": "declined"}), http.StatusCreated), &conv)
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/canned-replies?locale=en&conversation_id="+conv.ID, payTok, nil), http.StatusOK), &list)
	i := slices.IndexFunc(list.Items, func(x apiCanned) bool { return x.ID == c.ID })
	if i < 0 || list.Items[i].Filled != "Hi "+u.Name+", wati here: your bank declined the card." {
		t.Fatalf("filled: %+v", list.Items)
	}
	wantProblem(t, e.do(t, "GET", "/api/v1/agent/canned-replies?conversation_id="+conv.ID, accTok, nil), 404, "not_found")

	// Change and delete; agents may not.
	wantProblem(t, e.do(t, "PATCH", "/api/v1/agent/canned-replies/"+c.ID, payTok, map[string]any{"title": "mine"}), 403, "forbidden")
	wantProblem(t, e.do(t, "PATCH", "/api/v1/agent/canned-replies/"+c.ID, supTok, map[string]any{}), 400, "invalid_request")
	decodeJSON(t, want(t, e.do(t, "PATCH", "/api/v1/agent/canned-replies/"+c.ID, supTok, map[string]any{"team": "", "title": "Card declined"}), http.StatusOK), &c)
	if c.Title != "Card declined" || c.Team != "" || !has(accTok, "?locale=en", c.ID) {
		t.Fatalf("updated: %+v", c)
	}
	wantProblem(t, e.do(t, "DELETE", "/api/v1/agent/canned-replies/"+c.ID, payTok, nil), 403, "forbidden")
	want(t, e.do(t, "DELETE", "/api/v1/agent/canned-replies/"+c.ID, supTok, nil), http.StatusNoContent)
	wantProblem(t, e.do(t, "DELETE", "/api/v1/agent/canned-replies/"+c.ID, supTok, nil), 404, "not_found")
	wantProblem(t, e.do(t, "PATCH", "/api/v1/agent/canned-replies/cnr_nope", supTok, map[string]any{"title": "x"}), 404, "not_found")
	if has(supTok, "", c.ID) {
		t.Fatal("deleted reply still listed")
	}
	got := auditActions(t, e, c.ID, sup.ID)
	for _, a := range []string{"canned_reply.created", "canned_reply.updated", "canned_reply.deleted"} {
		if !slices.Contains(got, a) {
			t.Fatalf("audit of %s: %v", c.ID, got)
		}
	}
}

func TestE2ECustomerActions(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	m := e.newMerchant(t, "Warung Sate", "")
	e.fundMerchant(t, m.ID, 50_000_00)
	u := e.newUser(t, userOpts{})
	e.topUp(t, u, 50_000_00, "IDR")
	p := e.pay(t, u, m.ID, 20_000_00)
	var rr refundRequest
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/refund-requests", u.Token, map[string]any{"transaction_id": p.ID,
		"amount": 5_000_00, "reason": "only half arrived"}), http.StatusCreated), &rr)
	other := e.newUser(t, userOpts{})
	agent, agentTok := deskStaff(t, e, "tono", "agent", "payments")
	_, accTok := deskStaff(t, e, "ayu", "agent", "accounts")
	want(t, e.do(t, "PUT", "/api/v1/agent/presence", agentTok, map[string]any{"status": "online"}), http.StatusOK)
	var c apiConversation
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{
		"topic": "refund", "message": "where is my refund?", "transaction_id": p.ID}), http.StatusCreated), &c)

	// The context view is audited.
	want(t, e.do(t, "GET", "/api/v1/agent/customers/"+u.ID, agentTok, nil), http.StatusOK)

	// Recovery code to the verified phone: 202 and audited; not for a customer the agent cannot see.
	rpath := "/api/v1/agent/customers/" + u.ID + "/recovery-code"
	wantProblem(t, e.do(t, "POST", rpath, agentTok, map[string]any{"channel": "pigeon"}, invalidOnPurpose), 400, "invalid_request")
	want(t, e.do(t, "POST", rpath, agentTok, map[string]any{"channel": "sms", "note": "caller verified by last top-up"}), http.StatusAccepted)
	want(t, e.do(t, "POST", rpath, agentTok, map[string]any{"channel": "email"}), http.StatusAccepted)
	wantProblem(t, e.do(t, "POST", rpath, accTok, map[string]any{"channel": "sms"}), 404, "not_found")
	wantProblem(t, e.do(t, "POST", "/api/v1/agent/customers/"+other.ID+"/recovery-code", agentTok, map[string]any{"channel": "sms"}), 404, "not_found")

	// Refund follow-up: the merchant has not decided, so the conversation is marked.
	fpath := "/api/v1/agent/conversations/" + c.ID + "/refund-followups"
	wantProblem(t, e.do(t, "POST", fpath, agentTok, map[string]any{"refund_request_id": "rrq_nope"}), 400, "invalid_request")
	wantProblem(t, e.do(t, "POST", fpath, accTok, map[string]any{"refund_request_id": rr.ID}), 404, "not_found")
	var f struct {
		ID               string `json:"id"`
		RefundStatus     string `json:"refund_status"`
		AwaitingMerchant bool   `json:"awaiting_merchant"`
		MessageID        string `json:"message_id"`
	}
	decodeJSON(t, want(t, e.do(t, "POST", fpath, agentTok, map[string]any{"refund_request_id": rr.ID, "note": "asked the merchant by phone"}), http.StatusCreated), &f)
	if f.RefundStatus != "submitted" || !f.AwaitingMerchant || f.MessageID == "" {
		t.Fatalf("follow-up: %+v", f)
	}
	var full struct {
		Tags     []string     `json:"tags"`
		Messages []apiMessage `json:"messages"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+c.ID, agentTok, nil), http.StatusOK), &full)
	if !slices.Contains(full.Tags, "awaiting_merchant") || !slices.Contains(full.Tags, "refund_followup") {
		t.Fatalf("tags %v", full.Tags)
	}
	i := slices.IndexFunc(full.Messages, func(m apiMessage) bool { return m.ID == f.MessageID })
	if i < 0 || !full.Messages[i].Internal || !strings.Contains(full.Messages[i].Body, rr.ID) {
		t.Fatalf("note: %+v", full.Messages)
	}
	var mine struct {
		Items []apiMessage `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations/"+c.ID+"/messages", u.Token, nil), http.StatusOK), &mine)
	for _, m := range mine.Items {
		if m.ID == f.MessageID {
			t.Fatal("the customer sees the follow-up note")
		}
	}

	got := auditActions(t, e, u.ID, agent.ID)
	for _, a := range []string{"customer.viewed", "customer.recovery_code_sent", "conversation.refund_followup"} {
		if !slices.Contains(got, a) {
			t.Fatalf("audit of %s by %s: %v", u.ID, agent.ID, got)
		}
	}
	n := 0
	for _, a := range got {
		if a == "customer.recovery_code_sent" {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d recovery actions audited, want 2", n)
	}
}

func TestE2ESupportIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	const n = 6
	body := map[string]any{"topic": "other", "message": "hello there"}
	ids := make([]string, n)
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r, err := e.send("POST", "/api/v1/support/conversations", u.Token, body, hdr{"Idempotency-Key", "open-1"})
			if err != nil {
				t.Error(err)
				return
			}
			codes[i] = r.status
			var c apiConversation
			decodeJSON(t, r, &c)
			ids[i] = c.ID
		})
	}
	wg.Wait()
	for i := range n {
		if codes[i] != http.StatusCreated || ids[i] != ids[0] || ids[0] == "" {
			t.Fatalf("replay %d: %d %s (first %s)", i, codes[i], ids[i], ids[0])
		}
	}
	var list struct {
		Items []apiConversation `json:"items"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations", u.Token, nil), http.StatusOK), &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d conversations", len(list.Items))
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{"topic": "other", "message": "else"},
		hdr{"Idempotency-Key", "open-1"}), 409, "idempotency_conflict")
	// Another user's key of the same name is theirs.
	v := e.newUser(t, userOpts{})
	want(t, e.do(t, "POST", "/api/v1/support/conversations", v.Token, body, hdr{"Idempotency-Key", "open-1"}), http.StatusCreated)

	// Call-backs.
	cb := map[string]any{"phone": "+6281234567890", "topic": "fees"}
	type callback struct {
		ID             string `json:"id"`
		ConversationID string `json:"conversation_id"`
	}
	cbs := make([]callback, n)
	for i := range n {
		wg.Go(func() {
			r, err := e.send("POST", "/api/v1/support/callbacks", u.Token, cb, hdr{"Idempotency-Key", "cb-1"})
			if err != nil || r.status != http.StatusCreated {
				t.Errorf("callback %d: %v %v", i, r, err)
				return
			}
			decodeJSON(t, r, &cbs[i])
		})
	}
	wg.Wait()
	for i := range n {
		if cbs[i].ID == "" || cbs[i] != cbs[0] {
			t.Fatalf("callback %d: %+v (first %+v)", i, cbs[i], cbs[0])
		}
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/support/conversations?channel=callback", u.Token, nil), http.StatusOK), &list)
	if len(list.Items) != 1 {
		t.Fatalf("%d call-back conversations", len(list.Items))
	}
	wantProblem(t, e.do(t, "POST", "/api/v1/support/callbacks", u.Token, cb, hdr{"Idempotency-Key", strings.Repeat("k", 256)}, invalidOnPurpose), 400, "invalid_request")
}

func TestE2EChatOutsideHours(t *testing.T) {
	t.Parallel()
	e := newE2E(t)
	u := e.newUser(t, userOpts{})
	_, supTok := deskStaff(t, e, "malam", "supervisor", "general")
	// general is open all week but today (UTC) is a holiday: it opens at the next midnight.
	before := time.Now().UTC()
	today := before.Format(time.DateOnly)
	if before.Hour() == 23 && before.Minute() == 59 {
		t.Skip("too close to midnight for the holiday to hold during the test")
	}
	week := []any{}
	for _, d := range []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} {
		week = append(week, map[string]any{"day": d, "start": "00:00", "end": "24:00"})
	}
	want(t, e.do(t, "PATCH", "/api/v1/agent/teams/general", supTok, map[string]any{"reason": "holiday",
		"business_hours": map[string]any{"time_zone": "UTC", "weekly": week, "holidays": []string{today}}}), http.StatusOK)
	var c struct {
		apiConversation
		Channel string `json:"channel"`
	}
	decodeJSON(t, want(t, e.do(t, "POST", "/api/v1/support/conversations", u.Token, map[string]any{
		"topic": "other", "message": "are you there?"}), http.StatusCreated), &c)
	if c.Channel != "email" {
		t.Fatalf("channel %q, want email", c.Channel)
	}
	after := time.Now().UTC()
	next := time.Date(before.Year(), before.Month(), before.Day()+1, 0, 0, 0, 0, time.UTC)
	// The promised wait is the time until the opening, as the server saw it between before and after.
	if c.Queue == nil || c.Queue.EstimatedWaitSeconds > int64(next.Sub(before).Seconds())+1 || c.Queue.EstimatedWaitSeconds < int64(next.Sub(after).Seconds()) {
		t.Fatalf("queue %+v, next opening %s", c.Queue, next)
	}
	var full struct {
		Channel  string       `json:"channel"`
		Messages []apiMessage `json:"messages"`
	}
	decodeJSON(t, want(t, e.do(t, "GET", "/api/v1/agent/conversations/"+c.ID, supTok, nil), http.StatusOK), &full)
	if full.Channel != "email" || len(full.Messages) != 2 || full.Messages[1].Author.Type != "system" ||
		!strings.Contains(full.Messages[1].Body, u.Email) || !strings.Contains(full.Messages[1].Body, next.Format("2006-01-02 15:04 UTC")) {
		t.Fatalf("conversation: %+v", full)
	}
}

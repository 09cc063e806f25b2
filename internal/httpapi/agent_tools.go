package httpapi

import (
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/support"
)

// The console's tools (API.md "Agents and supervisors"): the reports summary, canned replies,
// and the audited actions on a customer besides the unlock (agent_desk.go).

// reportDefaultDays is the period of a report without from and to; reportMaxDays the longest.
const (
	reportDefaultDays = 7
	reportMaxDays     = 366
)

// reportTime reads a report bound: an RFC 3339 time, or a date YYYY-MM-DD (UTC midnight; for
// to, the midnight ending that day, so to=2026-11-08 includes the 8th).
func reportTime(v string, end bool) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, true
	}
	return time.Time{}, false
}

func (s *Server) reportSummary(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v fault.Validation
	to, from := time.Now().UTC(), time.Time{}
	if q.Has("to") {
		t, ok := reportTime(q.Get("to"), true)
		v.Check(ok, "to", fault.MsgTimeOrDate)
		to = t
	}
	if q.Has("from") {
		t, ok := reportTime(q.Get("from"), false)
		v.Check(ok, "from", fault.MsgTimeOrDate)
		from = t
	}
	if err := v.Err(); err != nil {
		return err
	}
	if !q.Has("from") {
		from = to.AddDate(0, 0, -reportDefaultDays)
	}
	v.Check(from.Before(to), "from", fault.MsgFromBeforeTo)
	v.Check(!to.After(from.AddDate(0, 0, reportMaxDays)), "to", fault.MsgRangeAtMostDays, reportMaxDays)
	if err := v.Err(); err != nil {
		return err
	}
	sum, err := s.support.Report(r.Context(), viewerOf(r), from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, sum)
}

var reportSummaryDoc = operation{Summary: "The desk's figures over a period (supervisors and admins)", Tag: "agent",
	Description: "Over the conversations opened in [`from`, `to`): volumes by channel and by topic; first-response " +
		"and resolution times (p50/p90, nearest rank, in seconds of the team's business hours from the " +
		"opening, without the time the conversation was pending on the customer, as the SLA measures them); " +
		"SLA breaches (targets met late, or unmet and already due); queue wait (p50/p90, wall-clock seconds " +
		"from opening to assignment); CSAT (count, average, how many of each score). `from` and `to` are " +
		"RFC 3339 times or dates (a date `to` includes that day); the default is the 7 days up to now; at " +
		"most 366 days. Agents get `403 forbidden`.",
	Query: []param{
		{Name: "from", Description: "RFC 3339 time or YYYY-MM-DD (default: 7 days before `to`)"},
		{Name: "to", Description: "RFC 3339 time or YYYY-MM-DD, exclusive; a date includes that day (default: now)"}},
	Response: support.Summary{}, Errors: []string{"forbidden"}}

func (s *Server) listCanned(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	items, err := s.support.CannedReplies(r.Context(), viewerOf(r), support.CannedFilter{Locale: q.Get("locale"),
		Team: q.Get("team"), Topic: q.Get("topic"), ConversationID: q.Get("conversation_id")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, ""))
}

var listCannedDoc = operation{Summary: "Canned replies the caller may use", Tag: "agent",
	Description: "Agents get the replies shared by every team and their own team's; supervisors and admins every " +
		"reply, or one team's with `team`. With `conversation_id` (a conversation the caller may see), each " +
		"item's `filled` is its body with `{{customer_name}}`, `{{agent_name}}`, `{{ref}}` and `{{topic}}` " +
		"filled; other placeholders are left for the agent.",
	Query: []param{{Name: "locale", Enum: []string{"en", "zh-CN"}}, {Name: "team"}, {Name: "topic", Enum: support.Topics},
		{Name: "conversation_id", Description: "fill the placeholders for this conversation"}},
	Response: page[support.CannedReply]{}, Errors: []string{"forbidden", "not_found"}}

type cannedRequest struct {
	Title  *string `json:"title,omitempty" doc:"1 to 120 characters (required to create)"`
	Body   *string `json:"body,omitempty" doc:"1 to 4,000 characters (required to create); placeholders such as {{customer_name}}"`
	Locale *string `json:"locale,omitempty" enum:"en,zh-CN" doc:"required to create"`
	Team   *string `json:"team,omitempty" doc:"a team slug; empty for every team"`
	Topic  *string `json:"topic,omitempty" doc:"a topic; empty for any"`
}

func (c cannedRequest) input() support.CannedInput {
	return support.CannedInput{Title: c.Title, Body: c.Body, Locale: c.Locale, Team: c.Team, Topic: c.Topic}
}

func (s *Server) createCanned(w http.ResponseWriter, r *http.Request) error {
	var req cannedRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.support.CreateCanned(r.Context(), viewerOf(r), req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

var createCannedDoc = operation{Summary: "Add a canned reply (supervisors and admins)", Tag: "agent",
	Description: "Audited (`canned_reply.created`). Agents get `403 forbidden`.",
	Request:     cannedRequest{}, Status: http.StatusCreated, Response: support.CannedReply{}, Errors: []string{"forbidden"}}

func (s *Server) updateCanned(w http.ResponseWriter, r *http.Request) error {
	var req cannedRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.support.UpdateCanned(r.Context(), viewerOf(r), r.PathValue("id"), req.input())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var updateCannedDoc = operation{Summary: "Change a canned reply (supervisors and admins)", Tag: "agent",
	Description: "Only the fields given change. Audited (`canned_reply.updated`).",
	Request:     cannedRequest{}, Response: support.CannedReply{}, Errors: []string{"forbidden"}}

func (s *Server) deleteCanned(w http.ResponseWriter, r *http.Request) error {
	if err := s.support.DeleteCanned(r.Context(), viewerOf(r), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

var deleteCannedDoc = operation{Summary: "Delete a canned reply (supervisors and admins)", Tag: "agent",
	Description: "Audited (`canned_reply.deleted`).", Status: http.StatusNoContent, Errors: []string{"forbidden"}}

type recoveryCodeRequest struct {
	Channel string `json:"channel" enum:"sms,email"`
	Note    string `json:"note,omitempty" doc:"why, at most 1,000 characters"`
}

func (s *Server) sendRecoveryCode(w http.ResponseWriter, r *http.Request) error {
	var req recoveryCodeRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.support.SendRecoveryCode(r.Context(), viewerOf(r), r.PathValue("user_id"), req.Channel, req.Note); err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, struct{}{})
}

var sendRecoveryCodeDoc = operation{Summary: "Start a customer's account recovery", Tag: "agent",
	Description: "Sends a recovery code to the customer's verified phone (`sms`) or email, as their own " +
		"`POST /api/v1/auth/recovery` does (a request within 60 s of the last sends nothing new). A contact " +
		"that is not verified answers `409 invalid_state`. Audited (`customer.recovery_code_sent`, with the note).",
	Request: recoveryCodeRequest{}, Status: http.StatusAccepted, Response: struct{}{},
	Errors: []string{"forbidden", "invalid_state", "rate_limited"}}

type refundFollowupRequest struct {
	RefundRequestID string `json:"refund_request_id" doc:"one of the conversation customer's refund requests"`
	Note            string `json:"note,omitempty" doc:"at most 1,000 characters"`
}

func (s *Server) refundFollowup(w http.ResponseWriter, r *http.Request) error {
	var req refundFollowupRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	f, err := s.support.FollowUpRefund(r.Context(), viewerOf(r), r.PathValue("id"), req.RefundRequestID, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

var refundFollowupDoc = operation{Summary: "Follow up a customer's refund request on a conversation", Tag: "agent",
	Description: "Records the follow-up as an internal note on the conversation and tags it `refund_followup`, and " +
		"`awaiting_merchant` while the merchant has not decided (status `submitted`). Audited " +
		"(`conversation.refund_followup`).",
	Request: refundFollowupRequest{}, Status: http.StatusCreated, Response: support.RefundFollowup{},
	Errors: []string{"forbidden", "invalid_state"}}

type callDispositionRequest struct {
	Disposition string `json:"disposition" enum:"resolved,callback_needed,escalated,transferred,voicemail,wrong_number,dropped"`
	Note        string `json:"note,omitempty" doc:"at most 1,000 characters"`
}

func (s *Server) callDisposition(w http.ResponseWriter, r *http.Request) error {
	var req callDispositionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	c, err := s.support.SetDisposition(r.Context(), viewerOf(r), r.PathValue("id"), req.Disposition, req.Note)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

var callDispositionDoc = operation{Summary: "Set the disposition of a call conversation", Tag: "agent",
	Description: "How the call ended for the desk, from a fixed list, with an optional note, on a phone or call-back " +
		"conversation the caller may see; a later one replaces it. Recorded as an internal note (\"Call disposition: …\") " +
		"and audited (`conversation.call_disposition`); the conversation's `disposition` shows it and the reports count " +
		"calls by disposition. Another channel answers `409 invalid_state`, an unknown value `400 invalid_request`.",
	Request: callDispositionRequest{}, Response: support.Conversation{},
	Errors: []string{"forbidden", "invalid_state"}}

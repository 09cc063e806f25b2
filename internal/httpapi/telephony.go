package httpapi

import (
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/support"
	"github.com/dompet/dompet/internal/telephony"
)

// Telephony (API.md "Channels outside HTTP"): a PBX or CTI connector posts call events,
// signed with DOMPET_TELEPHONY_SECRET (package telephony). The signature is checked before the
// body is parsed, so an unsigned request learns nothing about the format; without a secret
// the route answers 404 as if it did not exist.

func (s *Server) telephonyEvent(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.TelephonySecret == "" {
		return errNotFound
	}
	body, err := readBody(r, telephony.MaxBody)
	if err != nil {
		return err
	}
	if err := telephony.Verify(s.cfg.TelephonySecret, r.Header.Get(telephony.HeaderSignature), body, time.Now()); err != nil {
		return err
	}
	e, err := telephony.Parse(body)
	if err != nil {
		return err
	}
	res, err := s.support.Call(r.Context(), support.CallEvent{Type: string(e.Type), CallID: e.CallID, From: e.From,
		AgentEmail: e.AgentEmail, Reason: e.Reason, DurationSeconds: e.DurationSeconds})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

var telephonyEventDoc = operation{Summary: "Receive a call event from the PBX or CTI connector", Tag: "telephony",
	Description: "Signed with `X-Dompet-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\">` " +
		"under `DOMPET_TELEPHONY_SECRET`, the timestamp within 5 minutes; a missing, stale or wrong signature answers " +
		"`401 unauthenticated` before the body is read as JSON, a bad body `400 invalid_request`. Without a secret " +
		"configured the route answers 404. Events: `call.incoming` matches `from` to a customer by phone and opens " +
		"the call's phone conversation (the screen pop: `customer` is null for an unknown or anonymous caller); " +
		"`call.answered` with `agent_email` assigns it to that agent; `call.ended` records the outcome (`reason`, " +
		"`duration_seconds`) as a system message. Every event of a `call_id` joins the same conversation, and a " +
		"retried event changes nothing. Each event that acts pops up in the desk: a `call` event on the agent stream " +
		"(`GET /api/v1/agent/stream`) of the team's agents, the assignee and the supervisors.",
	Request: telephony.Event{}, Response: support.CallResult{}, MaxBody: telephony.MaxBody,
	Errors: []string{"unauthenticated", "not_found"}}

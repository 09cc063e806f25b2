package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// inboxPage is /agent: the conversations of a view (mine, unassigned, all) narrowed by
// channel, topic and status.
type inboxPage struct {
	*Desk
	Filter support.Filter
	Rows   []convRow
	Next   string // cursor of the next page
	// Calls are the ongoing calls (phone conversations whose call has not ended), shown on top
	// of every view, so that the inbox without script still shows who is on the line.
	Calls []convRow
	// The filter's choices.
	Views, Channels, Topics, Statuses []string
}

// convRow is a conversation as a list shows it.
type convRow struct {
	support.Conversation
	Assignee string // the assignee's name
	// SLA: the next due time that counts, and whether it passed unmet.
	Due      *time.Time
	Breached bool
}

// slaOf is the due time that matters now: the first response's until it is given, then the
// resolution's; breached when it passed without it (or was met late).
func slaOf(c support.Conversation, now time.Time) (*time.Time, bool) {
	if c.SLA == nil {
		return nil, false
	}
	if c.FirstResponseAt == nil {
		d := c.SLA.FirstResponseDue
		return &d, now.After(d)
	}
	if c.FirstResponseAt.After(c.SLA.FirstResponseDue) {
		d := c.SLA.FirstResponseDue
		return &d, true
	}
	d := c.SLA.ResolutionDue
	if c.ResolvedAt != nil {
		return &d, c.ResolvedAt.After(d)
	}
	return &d, now.After(d)
}

// names maps staff ids to names, for assignees.
func (s *Site) names(ctx context.Context) map[string]string {
	out := map[string]string{}
	list, err := s.o.Services.Staff.List(ctx)
	if err != nil {
		s.log.Warn("staff names", "err", err)
		return out
	}
	for _, m := range list {
		out[m.ID] = m.Name
	}
	return out
}

func (s *Site) rows(ctx context.Context, list []support.Conversation) []convRow {
	names := s.names(ctx)
	now := time.Now()
	out := make([]convRow, 0, len(list))
	for _, c := range list {
		r := convRow{Conversation: c}
		if c.AssigneeID != nil {
			r.Assignee = names[*c.AssigneeID]
		}
		r.Due, r.Breached = slaOf(c, now)
		out = append(out, r)
	}
	return out
}

func (s *Site) agentInbox(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	q := r.URL.Query()
	f := support.Filter{View: q.Get("view"), Channel: q.Get("channel"), Topic: q.Get("topic"), Status: q.Get("status"),
		Cursor: q.Get("cursor"), Limit: 50}
	if f.View == "" {
		f.View = "mine"
	}
	p := inboxPage{Desk: d, Filter: f, Views: []string{"mine", "unassigned", "all"}, Channels: support.Channels,
		Topics: support.Topics, Statuses: support.Statuses}
	v.Data = &p
	list, next, err := s.o.Services.Support.AgentConversations(r.Context(), d.viewer, f)
	if err != nil {
		s.fail(w, r, "agent_inbox", v, err)
		return
	}
	p.Rows, p.Next = s.rows(r.Context(), list), next
	// A help on top of the list: a failure leaves it out.
	if calls, err := s.o.Services.Support.OngoingCalls(r.Context(), d.viewer); err != nil {
		s.log.Warn("ongoing calls", "err", err)
	} else {
		p.Calls = s.rows(r.Context(), calls)
	}
	agentNotice(v)
	s.render(w, r, 0, "agent_inbox", v)
}

// NextURL is the inbox's next page.
func (p inboxPage) NextURL() string {
	q := url.Values{"view": {p.Filter.View}, "cursor": {p.Next}}
	for k, val := range map[string]string{"channel": p.Filter.Channel, "topic": p.Filter.Topic, "status": p.Filter.Status} {
		if val != "" {
			q.Set(k, val)
		}
	}
	return "/agent?" + q.Encode()
}

// convPage is /agent/conversations/{id}: the messages, the reply form, status and
// assignment, and the customer context panel.
type convPage struct {
	*Desk
	Conv     convRow
	Messages []support.Message
	Customer *support.CustomerContext
	// CustomerProblem explains why the panel is missing (an unknown sender has no account).
	CustomerProblem *Explanation
	Agents          []staff.Staff // whom a lead can assign to
	CanTake         bool          // an agent may take it for themselves
	AssigneeID      string
	Statuses        []string
	Last            string // the last message's id, for the stream's ?after=
	Body            string // a refused reply, shown again
	Verification    string // a refused unlock's text, shown again
	// Canned are the canned replies of the conversation's team in the page language, filled
	// for this conversation; Canned picks one into the reply box (?canned=<id>, without JS).
	Canned       []support.CannedReply
	CannedID     string
	RecoveryNote string // a refused recovery code's note, shown again
	FollowupNote string // a refused refund follow-up's note, shown again
	// Dispositions are the call disposition form's choices (phone and call-back conversations).
	Dispositions    []string
	DispositionNote string // a refused disposition's note, shown again
}

// conversationPage renders the conversation page with status (0: 200) and err (nil: none)
// shown above it.
func (s *Site) conversationPage(w http.ResponseWriter, r *http.Request, v *View, d *Desk, status int, err error, keep func(*convPage)) {
	ctx := r.Context()
	id := r.PathValue("id")
	if id == "" {
		id = r.PostFormValue("conversation")
	}
	c, cerr := s.o.Services.Support.AgentConversation(ctx, d.viewer, id)
	if cerr != nil {
		v.Data = inboxPage{Desk: d}
		s.fail(w, r, "agent_inbox", v, cerr)
		return
	}
	msgs, merr := s.o.Services.Support.AgentMessages(ctx, d.viewer, id, "")
	if merr != nil {
		v.Data = inboxPage{Desk: d}
		s.fail(w, r, "agent_inbox", v, merr)
		return
	}
	p := &convPage{Desk: d, Conv: s.rows(ctx, []support.Conversation{c})[0], Messages: msgs,
		Statuses: []string{support.StatusOpen, support.StatusPending, support.StatusResolved}}
	if c.AssigneeID != nil {
		p.AssigneeID = *c.AssigneeID
	}
	if len(msgs) > 0 {
		p.Last = msgs[len(msgs)-1].ID
	}
	if c.Channel == support.ChannelPhone || c.Channel == support.ChannelCallback {
		p.Dispositions = support.Dispositions
	}
	active := c.Status == support.StatusOpen || c.Status == support.StatusPending
	p.CanTake = active && !d.Lead && c.AssigneeID == nil && c.Team == d.Me.Team
	if d.Lead && active {
		list, lerr := s.o.Services.Staff.List(ctx)
		if lerr == nil {
			for _, m := range list {
				if !m.Disabled && m.Role != staff.RoleReviewer {
					p.Agents = append(p.Agents, m)
				}
			}
		}
	}
	if c.Customer.UserID != "" {
		// Every look at the panel is in the audit log (customer.viewed, package support).
		cc, ccerr := s.o.Services.Support.Customer(ctx, d.viewer, c.Customer.UserID, v.Lang.String())
		if ccerr != nil {
			e := s.explain(ccerr, v.Lang)
			p.CustomerProblem = &e
		} else {
			p.Customer = &cc
		}
	}
	// The picker is a help, not the page: a failure to list leaves it out.
	canned, cerr2 := s.o.Services.Support.CannedReplies(ctx, d.viewer, support.CannedFilter{Locale: v.Lang.String(),
		Team: c.Team, ConversationID: c.ID})
	if cerr2 != nil {
		s.log.Warn("canned replies", "conversation", c.ID, "err", cerr2)
	}
	p.Canned = canned
	if pick := r.URL.Query().Get("canned"); pick != "" && r.Method == http.MethodGet {
		for _, cr := range canned {
			if cr.ID == pick {
				p.CannedID, p.Body = cr.ID, cr.Filled
			}
		}
	}
	if keep != nil {
		keep(p)
	}
	v.Data = p
	if err != nil {
		s.fail(w, r, "agent_conversation", v, err)
		return
	}
	agentNotice(v)
	s.render(w, r, status, "agent_conversation", v)
}

func (s *Site) agentConversation(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	s.conversationPage(w, r, v, d, 0, nil, nil)
}

func convURL(id string) string { return "/agent/conversations/" + url.PathEscape(id) }

// agentReply posts a public reply or an internal note (kind=note).
func (s *Site) agentReply(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	id := r.PathValue("id")
	body := r.PostFormValue("body")
	note := r.PostFormValue("kind") == "note"
	m, err := s.o.Services.Support.AgentPost(r.Context(), d.viewer, id, body, note)
	if err != nil {
		s.conversationPage(w, r, v, d, 0, err, func(p *convPage) { p.Body = body })
		return
	}
	done := "reply"
	if note {
		done = "note"
	}
	http.Redirect(w, r, convURL(id)+"?done="+done+"#"+url.PathEscape(m.ID), http.StatusSeeOther)
}

func (s *Site) agentStatus(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	id := r.PathValue("id")
	if _, err := s.o.Services.Support.SetStatus(r.Context(), d.viewer, id, r.PostFormValue("status")); err != nil {
		s.conversationPage(w, r, v, d, 0, err, nil)
		return
	}
	http.Redirect(w, r, convURL(id)+"?done=status", http.StatusSeeOther)
}

// agentAssign takes a conversation (an agent, for themselves) or assigns it (a lead).
func (s *Site) agentAssign(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	id := r.PathValue("id")
	to := strings.TrimSpace(r.PostFormValue("agent_id"))
	if to == "" {
		to = d.Me.ID
	}
	if _, err := s.o.Services.Support.Assign(r.Context(), d.viewer, id, to); err != nil {
		s.conversationPage(w, r, v, d, 0, err, nil)
		return
	}
	http.Redirect(w, r, convURL(id)+"?done=assign", http.StatusSeeOther)
}

// agentUnlock ends a customer's lockout after the agent wrote how they verified who they
// speak to (required); package support audits it with that text.
func (s *Site) agentUnlock(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	verification := r.PostFormValue("verification")
	err := s.o.Services.Support.Unlock(r.Context(), d.viewer, r.PathValue("user_id"), verification, r.PostFormValue("note"))
	s.customerActionDone(w, r, v, d, "unlock", err, func(p *convPage) { p.Verification = verification })
}

// agentRecoveryCode sends the customer a recovery code to their verified phone (sms) or
// email, as their own "forgot password" does; package support audits it with the note.
func (s *Site) agentRecoveryCode(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	note := r.PostFormValue("note")
	err := s.o.Services.Support.SendRecoveryCode(r.Context(), d.viewer, r.PathValue("user_id"), r.PostFormValue("channel"), note)
	s.customerActionDone(w, r, v, d, "recovery", err, func(p *convPage) { p.RecoveryNote = note })
}

// customerActionDone answers an action on a customer's account, taken from a conversation's
// customer panel (form field "conversation") or from the inbox: a refusal is shown on that
// page with what the agent typed (keep), a success goes back to it with ?done=<done>.
func (s *Site) customerActionDone(w http.ResponseWriter, r *http.Request, v *View, d *Desk, done string, err error, keep func(*convPage)) {
	conv := r.PostFormValue("conversation")
	switch {
	case err != nil && conv == "":
		v.Data = inboxPage{Desk: d}
		s.fail(w, r, "agent_inbox", v, err)
	case err != nil:
		s.conversationPage(w, r, v, d, 0, err, keep)
	case conv == "":
		http.Redirect(w, r, "/agent?done="+done, http.StatusSeeOther)
	default:
		http.Redirect(w, r, convURL(conv)+"?done="+done+"#customer", http.StatusSeeOther)
	}
}

// agentRefundFollowup records the follow-up of one of the customer's refund requests on
// the conversation (an internal note, tags, an audit row: package support).
func (s *Site) agentRefundFollowup(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	id := r.PathValue("id")
	note := r.PostFormValue("note")
	f, err := s.o.Services.Support.FollowUpRefund(r.Context(), d.viewer, id, r.PostFormValue("refund_request_id"), note)
	if err != nil {
		s.conversationPage(w, r, v, d, 0, err, func(p *convPage) { p.FollowupNote = note })
		return
	}
	http.Redirect(w, r, convURL(id)+"?done=followup#"+url.PathEscape(f.MessageID), http.StatusSeeOther)
}

// agentCallDisposition records how a call ended for the desk, with an optional note (the
// conversation's disposition, an internal note, an audit row: package support).
func (s *Site) agentCallDisposition(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	id := r.PathValue("id")
	note := r.PostFormValue("note")
	if _, err := s.o.Services.Support.SetDisposition(r.Context(), d.viewer, id, r.PostFormValue("disposition"), note); err != nil {
		s.conversationPage(w, r, v, d, 0, err, func(p *convPage) { p.DispositionNote = note })
		return
	}
	http.Redirect(w, r, convURL(id)+"?done=disposition#disposition-form", http.StatusSeeOther)
}

package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/staff"
)

// The phone channel: events of a PBX or CTI connector (checked by package telephony). Each
// call is one phone conversation, found again by its call id; each (call id, event) is
// recorded once, so a connector's retry changes nothing.

// Call events (telephony.Type).
const (
	CallIncoming = "call.incoming"
	CallAnswered = "call.answered"
	CallEnded    = "call.ended"
)

// CallEvent is one telephony event.
type CallEvent struct {
	Type            string
	CallID          string
	From            string // E.164 or "anonymous"
	AgentEmail      string // call.answered: who took it
	Reason          string // call.ended: completed, no_answer, busy, failed, abandoned
	DurationSeconds int
}

// CallCustomer is the wallet user a caller's number belongs to (the screen pop).
type CallCustomer struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Phone       string `json:"phone"`
}

// CallRoute is where a call goes.
type CallRoute struct {
	Team  string    `json:"team"`
	Agent *AgentRef `json:"agent,omitempty" doc:"the agent the conversation is assigned to, if any"`
}

// CallResult answers a telephony event.
type CallResult struct {
	Customer       *CallCustomer `json:"customer" doc:"the wallet user whose phone called; null when unknown or anonymous"`
	ConversationID string        `json:"conversation_id"`
	Route          CallRoute     `json:"route"`
}

// Call handles a telephony event: it opens the call's phone conversation (or finds it: every
// event of a call joins the same one), assigns it to the agent who answered, and records how
// the call ended as a system message.
func (s *Service) Call(ctx context.Context, e CallEvent) (CallResult, error) {
	var out CallResult
	var pop *PopCustomer
	c := Customer{Phone: e.From}
	if e.From == "anonymous" {
		c.Phone, c.Name = "", "anonymous"
	}
	if c.Phone != "" && s.customers != nil {
		if u, err := s.customers.UserByLogin(ctx, c.Phone); err == nil {
			c.UserID, c.Name = u.ID, u.DisplayName
			out.Customer = &CallCustomer{ID: u.ID, DisplayName: u.DisplayName, Phone: u.Phone}
			locked, _ := identity.Locked(u, s.now())
			pop = &PopCustomer{ID: u.ID, DisplayName: u.DisplayName, Locked: locked, TwoFactor: u.TwoFactor.Enabled}
		}
	}
	convID, err := s.callConversation(ctx, e, c)
	if err != nil {
		return CallResult{}, err
	}
	now := s.now()
	first := false // the event acted for the first time: the consoles hear of it
	switch e.Type {
	case CallIncoming:
		err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			first, err = recordCall(ctx, tx, e, convID, now)
			return err
		})
		if err != nil {
			return CallResult{}, fmt.Errorf("call incoming: %w", err)
		}
	case CallAnswered:
		if e.AgentEmail != "" {
			if first, err = s.answered(ctx, convID, e); err != nil {
				return CallResult{}, err
			}
		}
	case CallEnded:
		text := "Call ended: " + orElse(e.Reason, "completed")
		if e.DurationSeconds > 0 {
			text += fmt.Sprintf(", %s talked", (time.Duration(e.DurationSeconds) * time.Second).String())
		}
		m := Message{ID: newMessageID(), ConversationID: convID, Author: Author{Type: AuthorSystem, Name: "phone"},
			Body: text, Channel: ChannelPhone, CreatedAt: fromMicros(micros(now)), Attachments: []Attachment{}}
		stored := false
		err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			first, err := recordCall(ctx, tx, e, convID, now)
			if err != nil || !first {
				return err
			}
			stored = true
			_, _, err = appendTx(ctx, tx, convID, NewMessage{Author: m.Author, Body: text, Channel: ChannelPhone}, m, now, s.resumeTx)
			return err
		})
		if err != nil && fault.Code(err) != "invalid_state" {
			return CallResult{}, fmt.Errorf("call ended: %w", err)
		}
		if stored && err == nil {
			s.publishMessage(ctx, m)
			first = true
		}
	}
	conv, err := s.conversation(ctx, convID)
	if err != nil {
		return CallResult{}, err
	}
	out.ConversationID, out.Route.Team = conv.ID, conv.Team
	if conv.AssigneeID != nil {
		ref := AgentRef{ID: *conv.AssigneeID}
		if m, err := s.staff.Member(ctx, ref.ID); err == nil {
			ref.Name = m.Name
		}
		out.Route.Agent = &ref
	}
	if first {
		s.publishCall(ctx, conv, out.Route.Agent, CallInfo{ID: e.CallID, Event: e.Type, FromMasked: MaskPhone(e.From), Customer: pop})
	}
	return out, nil
}

// CallInfo is the call a "call" event reports: the consoles' screen pop.
type CallInfo struct {
	ID         string       `json:"id"`
	Event      string       `json:"event" enum:"call.incoming,call.answered,call.ended"`
	FromMasked string       `json:"from_masked" doc:"the caller's number with all but its country code and last 3 digits hidden, or \"anonymous\""`
	Customer   *PopCustomer `json:"customer" doc:"the wallet user whose phone called; null for an unknown or anonymous caller"`
}

// PopCustomer is what the screen pop shows of a known caller: who, and whether their
// account is locked or has two-factor authentication on (what the agent asks about first).
type PopCustomer struct {
	ID          string `json:"id"`
	DisplayName string `json:"display_name"`
	Locked      bool   `json:"locked"`
	TwoFactor   bool   `json:"two_factor"`
}

// publishCall tells the consoles of conv's team, and its assignee, that a call event acted:
// {"type":"call","conversation_id","team","agent":{id,name}|null,"call":{…}}. The agent
// subject carries it to an assignee outside the team; a stream takes it once (package
// httpapi drops the team copy for the assignee).
func (s *Service) publishCall(ctx context.Context, conv Conversation, assignee *AgentRef, call CallInfo) {
	e := Event{Type: "call", ConversationID: conv.ID, Team: conv.Team, Agent: assignee, Call: &call}
	s.publish(ctx, SubjectTeam(conv.Team), e)
	if assignee != nil {
		s.publish(ctx, SubjectAgent(assignee.ID), e)
	}
}

// MaskPhone hides a caller's number but for its first 3 characters (the country code of an
// E.164 number) and last 3 digits, so a pop on a screen does not show it whole.
func MaskPhone(p string) string {
	if p == "" || p == "anonymous" {
		return p
	}
	r := []rune(p)
	if len(r) <= 6 {
		return strings.Repeat("•", len(r))
	}
	return string(r[:3]) + strings.Repeat("•", len(r)-6) + string(r[len(r)-3:])
}

// OngoingCalls lists the phone conversations v may see whose call has not ended (no
// call.ended event), opened in the last 12 hours (a connector that lost the end of a call
// does not keep it on the list), newest first: the inbox shows them on top without script.
func (s *Service) OngoingCalls(ctx context.Context, v Viewer) ([]Conversation, error) {
	if err := v.desk(); err != nil {
		return nil, err
	}
	where := []string{"channel = 'phone'", "status IN ('open', 'pending')", "created_at >= ?",
		"NOT EXISTS (SELECT 1 FROM support_calls k WHERE k.conversation_id = support_conversations.id AND k.event = 'call.ended')"}
	args := []any{micros(s.now().Add(-12 * time.Hour))}
	if !v.Lead() {
		where, args = append(where, "(team = ? OR assignee = ?)"), append(args, v.Team, v.StaffID)
	}
	list, _, err := s.list(ctx, where, args, Filter{Limit: 20})
	return list, err
}

// callConversation returns the conversation of e's call, opening it (and recording the call's
// first event with it, in one transaction) when the call is new.
func (s *Service) callConversation(ctx context.Context, e CallEvent, c Customer) (string, error) {
	var convID string
	err := s.db.QueryRow(ctx, `SELECT conversation_id FROM support_calls WHERE call_id = ? LIMIT 1`, e.CallID).Scan(&convID)
	if err == nil {
		return convID, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("call %s: %w", e.CallID, err)
	}
	const topic, priority = "other", "normal"
	team, err := s.teamFor(ctx, topic)
	if err != nil {
		return "", err
	}
	now := s.now()
	due, err := s.dueTimes(ctx, team, topic, priority, now)
	if err != nil {
		return "", err
	}
	who := orElse(c.Name, orElse(c.Phone, "anonymous"))
	var msg Message
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		msg, err = insertConversation(ctx, tx, NewConversation{Channel: ChannelPhone, Customer: c, Topic: topic, Priority: priority,
			Subject: "Call from " + who, Body: "Incoming call from " + who + " (call " + e.CallID + ")",
			Author: &Author{Type: AuthorSystem, Name: "phone"}}, team, "", []Attachment{}, due, now)
		if err != nil {
			return err
		}
		// "opened" marks the call, so that the event that opened it still acts (a call.ended
		// whose call.incoming was lost records its outcome).
		_, err = recordCall(ctx, tx, CallEvent{CallID: e.CallID, Type: "opened"}, msg.ConversationID, now)
		return err
	})
	if db.IsUniqueViolation(err) { // a concurrent retry of the same call opened it
		err = s.db.QueryRow(ctx, `SELECT conversation_id FROM support_calls WHERE call_id = ? LIMIT 1`, e.CallID).Scan(&convID)
		return convID, err
	}
	if err != nil {
		return "", fmt.Errorf("open call %s: %w", e.CallID, err)
	}
	s.publishMessage(ctx, msg)
	s.route(ctx, team)
	return msg.ConversationID, nil
}

// recordCall records event e of a call once; first is false when it was already recorded.
func recordCall(ctx context.Context, tx *db.Tx, e CallEvent, convID string, now time.Time) (first bool, err error) {
	res, err := tx.Exec(ctx, `INSERT INTO support_calls (call_id, event, conversation_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (call_id, event) DO NOTHING`, e.CallID, e.Type, convID, micros(now))
	if err != nil {
		return false, fmt.Errorf("record call event: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// answered assigns the call's conversation to the staff member who answered (over capacity
// if need be: the call is already going on); first is false for a retried event.
func (s *Service) answered(ctx context.Context, convID string, e CallEvent) (first bool, err error) {
	members, err := s.staff.List(ctx)
	if err != nil {
		return false, fmt.Errorf("staff: %w", err)
	}
	for _, m := range members {
		if strings.EqualFold(m.Email, e.AgentEmail) && !m.Disabled {
			_, err := s.Assign(ctx, Viewer{StaffID: "telephony", Name: "phone", Role: staff.RoleSupervisor}, convID, m.ID)
			if err != nil && fault.Code(err) != "invalid_state" {
				return false, fmt.Errorf("assign call: %w", err)
			}
			err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
				var err error
				first, err = recordCall(ctx, tx, e, convID, s.now())
				return err
			})
			return first, err
		}
	}
	s.log.WarnContext(ctx, "support: call answered by someone who is not staff", "call", e.CallID)
	return false, nil
}

func newMessageID() string { return id.New("msg") }

package support

import (
	"context"
	"encoding/json"
	"time"
)

// Subjects the service publishes on (package bus). Customers' streams subscribe to
// SubjectConversation, which never carries internal notes; staff consoles also subscribe to
// SubjectInternal (the notes), SubjectTeam (queue and assignment changes and calls of a team)
// and SubjectAgent (what is assigned to one agent, and their calls).
func SubjectConversation(convID string) string { return "support.conversation." + convID }

// SubjectInternal carries a conversation's internal notes, for staff only.
func SubjectInternal(convID string) string { return "support.internal." + convID }

// SubjectTeam carries the queue and assignment changes and the calls of a team.
func SubjectTeam(team string) string { return "support.team." + team }

// SubjectAgent carries the assignments of one agent.
func SubjectAgent(staffID string) string { return "support.agent." + staffID }

// AgentRef names an agent in events.
type AgentRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Event is a published change, in the shape of API.md's stream events:
// {"type":"message","message":{…}}, {"type":"assigned","agent":{id,name}},
// {"type":"queue","position","estimated_wait_seconds"}, {"type":"status","status"}, and the
// desk's own {"type":"call","team","agent","call":{…}} (calls.go).
type Event struct {
	Type                 string    `json:"type"`
	ConversationID       string    `json:"conversation_id,omitempty"`
	Message              *Message  `json:"message,omitempty"`
	Agent                *AgentRef `json:"agent,omitempty"`
	Position             *int      `json:"position,omitempty"`
	EstimatedWaitSeconds *int64    `json:"estimated_wait_seconds,omitempty"`
	Status               string    `json:"status,omitempty"`
	// An SLA alarm ({"type":"sla","target":"first_response","state":"warning","due":…}).
	Target string     `json:"target,omitempty"`
	State  string     `json:"state,omitempty"`
	Due    *time.Time `json:"due,omitempty"`
	// A read marker ({"type":"read","author":{…},"message_id"}): author has read up to message_id.
	Author    *Author `json:"author,omitempty"`
	MessageID string  `json:"message_id,omitempty"`
	// A call event ({"type":"call","team","agent","call":{…}}): the consoles' screen pop.
	Team string    `json:"team,omitempty"`
	Call *CallInfo `json:"call,omitempty"`
}

// publish sends e after the change it reports has committed; a failure is logged (events
// are hints, the store is the truth).
func (s *Service) publish(ctx context.Context, subject string, e Event) {
	b, err := json.Marshal(e)
	if err == nil {
		err = s.bus.Publish(ctx, subject, b)
	}
	if err != nil {
		s.log.WarnContext(ctx, "support: publish", "subject", subject, "type", e.Type, "err", err)
	}
}

func (s *Service) publishMessage(ctx context.Context, m Message) {
	e := Event{Type: "message", ConversationID: m.ConversationID, Message: &m}
	if m.Internal {
		s.publish(ctx, SubjectInternal(m.ConversationID), e)
		return
	}
	s.publish(ctx, SubjectConversation(m.ConversationID), e)
}

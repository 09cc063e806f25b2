package support

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/outbox"
)

// SLA alarms. A conversation's warnings and breaches are outbox rows written with it (one per
// alarm, NotBefore its instant, a dedupe key holding the due time), so a crash loses none.
// When one fires, the handler reads the conversation again: a target already met, or a due
// time no longer the stored one, makes it a no-op; otherwise the team (supervisors) and the
// assignee are told on the bus and the log says it.

// SLATopic is the outbox topic of SLA alarms.
const SLATopic = "support.sla"

// SLA targets, as alarms name them.
const (
	TargetFirstResponse = "first_response"
	TargetResolution    = "resolution"
)

type slaAlarm struct {
	ConversationID string    `json:"conversation_id"`
	Target         string    `json:"target"`
	State          string    `json:"state"` // warning or breached
	Due            time.Time `json:"due"`
}

// alarmRows are the outbox rows of the alarms of a conversation opened with due.
func alarmRows(convID string, due SLA) []db.Row {
	var rows []db.Row
	for i, target := range []string{TargetFirstResponse, TargetResolution} {
		for _, a := range due.alarms[i] {
			payload, err := json.Marshal(slaAlarm{ConversationID: convID, Target: target, State: string(a.State), Due: fromMicros(micros(a.Due))})
			if err != nil {
				continue // cannot happen: plain strings and a time
			}
			rows = append(rows, outbox.Row(outbox.Message{Topic: SLATopic, Payload: payload, NotBefore: a.At,
				DedupeKey: fmt.Sprintf("sla:%s:%s:%s:%d", convID, target, a.State, a.Due.Unix())}))
		}
	}
	return rows
}

// SLAOutboxRetry is SLATopic's schedule: a few quick retries (the handler only reads and
// publishes).
func SLAOutboxRetry() outbox.Retry {
	return outbox.Retry{First: 5 * time.Second, Factor: 2, Max: time.Minute}
}

// SLAHandler is the outbox handler of SLATopic.
func (s *Service) SLAHandler() outbox.Handler {
	return func(ctx context.Context, d outbox.Delivery) error {
		var a slaAlarm
		if err := json.Unmarshal(d.Payload, &a); err != nil {
			return outbox.Permanent(fmt.Errorf("sla alarm %s: %w", d.ID, err))
		}
		c, err := s.conversation(ctx, a.ConversationID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !alarmDue(c, a) {
			return nil
		}
		e := Event{Type: "sla", ConversationID: c.ID, Target: a.Target, State: a.State, Due: &a.Due}
		s.publish(ctx, SubjectTeam(c.Team), e)
		if c.AssigneeID != nil {
			s.publish(ctx, SubjectAgent(*c.AssigneeID), e)
		}
		s.log.WarnContext(ctx, "support: sla "+a.State, "conversation", c.ID, "target", a.Target, "due", a.Due, "team", c.Team)
		return nil
	}
}

// alarmDue reports whether alarm a still applies to c: the target is not met, the
// conversation open (not paused while pending), and the stored due time is the alarm's.
func alarmDue(c Conversation, a slaAlarm) bool {
	if c.SLA == nil || c.Status != StatusOpen { // pending: the clocks are paused
		return false
	}
	switch a.Target {
	case TargetFirstResponse:
		return c.FirstResponseAt == nil && c.SLA.FirstResponseDue.Equal(a.Due)
	case TargetResolution:
		return c.ResolvedAt == nil && c.SLA.ResolutionDue.Equal(a.Due)
	}
	return false
}

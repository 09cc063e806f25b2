package support

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// Call dispositions: how a call ended for the desk, set by the agent on the call's phone (or
// call-back) conversation. A fixed list, so that the reports can count them.
const (
	DispositionResolved       = "resolved"        // the caller's question or problem is settled
	DispositionCallbackNeeded = "callback_needed" // someone must call the customer back
	DispositionEscalated      = "escalated"       // handed to a specialist or a supervisor
	DispositionTransferred    = "transferred"     // passed to another line or team during the call
	DispositionVoicemail      = "voicemail"       // the caller left a message, nobody spoke
	DispositionWrongNumber    = "wrong_number"    // not a Dompet matter
	DispositionDropped        = "dropped"         // the line cut before the matter was settled
)

// Dispositions are the dispositions an agent may set, in the order the console offers them.
var Dispositions = []string{DispositionResolved, DispositionCallbackNeeded, DispositionEscalated,
	DispositionTransferred, DispositionVoicemail, DispositionWrongNumber, DispositionDropped}

// Disposition is the agent's disposition of a call conversation.
type Disposition struct {
	Code    string    `json:"code" enum:"resolved,callback_needed,escalated,transferred,voicemail,wrong_number,dropped"`
	Note    string    `json:"note"`
	StaffID string    `json:"staff_id" doc:"who set it"`
	At      time.Time `json:"at"`
}

// isCall reports whether a conversation of channel is a call (one a disposition is for).
func isCall(channel string) bool { return channel == ChannelPhone || channel == ChannelCallback }

// SetDisposition records v's disposition of the call of conversation convID (phone or
// call-back only: another channel is invalid_state), with an optional note: on the
// conversation (a later one replaces it), as an internal note, and in the audit log
// (conversation.call_disposition), in one transaction.
func (s *Service) SetDisposition(ctx context.Context, v Viewer, convID, code, note string) (Conversation, error) {
	note = strings.TrimSpace(note)
	var val fault.Validation
	val.Check(slices.Contains(Dispositions, code), "disposition", fault.MsgOneOf, strings.Join(Dispositions, ", "))
	checkNote(&val, note)
	if err := val.Err(); err != nil {
		return Conversation{}, err
	}
	c, err := s.AgentConversation(ctx, v, convID)
	if err != nil {
		return Conversation{}, err
	}
	if !isCall(c.Channel) {
		return Conversation{}, explained(ErrState, "Only phone and call-back conversations have a call disposition.",
			"只有电话和回电会话可以记录通话结果。")
	}
	now := fromMicros(micros(s.now()))
	body := "Call disposition: " + code
	if note != "" {
		body += ". Note: " + note
	}
	m := Message{ID: id.New("msg"), ConversationID: c.ID, Author: Author{Type: AuthorAgent, ID: v.StaffID, Name: v.Name},
		Body: body, Internal: true, Channel: c.Channel, CreatedAt: now, Attachments: []Attachment{}}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE support_conversations SET disposition = ?, disposition_note = ?, disposition_by = ?,
			disposition_at = ?, updated_at = ? WHERE id = ?`, code, note, v.StaffID, micros(now), micros(now), c.ID); err != nil {
			return fmt.Errorf("call disposition: %w", err)
		}
		if err := insertMessage(ctx, tx, m); err != nil {
			return err
		}
		return s.auditTx(ctx, v, "conversation.call_disposition", "conversation", c.ID, note,
			map[string]any{"disposition": code, "customer_id": c.Customer.UserID})
	})
	if err != nil {
		return Conversation{}, err
	}
	s.publishMessage(ctx, m)
	return s.conversation(ctx, c.ID)
}

// dispositionOf reads the disposition columns (nil when none is set).
func dispositionOf(code, note, by string, at sql.NullInt64) *Disposition {
	if code == "" || !at.Valid {
		return nil
	}
	return &Disposition{Code: code, Note: note, StaffID: by, At: fromMicros(at.Int64)}
}

package support

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Delivery and read state. A message is delivered once it is stored and acknowledged (the
// sender's ack, the message event on the other side's stream); it is read when a participant
// says so: each participant (the customer, each agent) has a read marker, the last message
// they have read, which only moves forward. A moved marker is published to the conversation's
// stream as {"type":"read","author":{…},"message_id"}.

// Read is a participant's read marker.
type Read struct {
	Type           string    `json:"type" enum:"read"`
	ConversationID string    `json:"conversation_id"`
	Author         Author    `json:"author" doc:"who read"`
	MessageID      string    `json:"message_id" doc:"the last message they have read; every message up to it is read"`
	ReadAt         time.Time `json:"read_at"`
}

// CustomerRead moves the customer's read marker of one of their conversations to messageID.
func (s *Service) CustomerRead(ctx context.Context, userID, name, convID, messageID string) (Read, error) {
	h, err := s.head(ctx, convID)
	if err != nil {
		return Read{}, err
	}
	if userID == "" || h.customerID != userID {
		return Read{}, ErrNotFound
	}
	return s.markRead(ctx, convID, Author{Type: AuthorCustomer, ID: userID, Name: clipName(name)}, messageID)
}

// AgentRead moves v's read marker of a conversation v may see to messageID.
func (s *Service) AgentRead(ctx context.Context, v Viewer, convID, messageID string) (Read, error) {
	if _, err := s.AgentConversation(ctx, v, convID); err != nil {
		return Read{}, err
	}
	return s.markRead(ctx, convID, Author{Type: AuthorAgent, ID: v.StaffID, Name: v.Name}, messageID)
}

// markRead moves a's marker to messageID, a message of convID (customers: not an internal
// note), and publishes it when it moved. A marker already past it stays, and is answered.
func (s *Service) markRead(ctx context.Context, convID string, a Author, messageID string) (Read, error) {
	var internal int
	err := s.db.QueryRow(ctx, `SELECT internal FROM support_messages WHERE id = ? AND conversation_id = ?`,
		messageID, convID).Scan(&internal)
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) || (err == nil && internal == 1 && a.Type != AuthorAgent) {
		return Read{}, fault.Invalid("message_id", fault.MsgMessageOfConversation)
	} else if err != nil {
		return Read{}, fmt.Errorf("read marker: %w", err)
	}
	now := s.now()
	var moved int64
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `INSERT INTO support_reads (conversation_id, reader_type, reader_id, reader_name, message_id, read_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (conversation_id, reader_type, reader_id) DO UPDATE SET message_id = excluded.message_id,
				reader_name = excluded.reader_name, read_at = excluded.read_at
			WHERE support_reads.message_id < excluded.message_id`,
			convID, a.Type, a.ID, a.Name, messageID, micros(now))
		if err != nil {
			return err
		}
		moved, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return Read{}, fmt.Errorf("read marker: %w", err)
	}
	if moved == 0 { // already at or past it
		return s.readOf(ctx, convID, a)
	}
	r := Read{Type: "read", ConversationID: convID, Author: a, MessageID: messageID, ReadAt: fromMicros(micros(now))}
	e := Event{Type: "read", ConversationID: convID, Author: &r.Author, MessageID: messageID}
	if internal == 1 { // a marker on a note is the staff's business
		s.publish(ctx, SubjectInternal(convID), e)
	} else {
		s.publish(ctx, SubjectConversation(convID), e)
	}
	return r, nil
}

func (s *Service) readOf(ctx context.Context, convID string, a Author) (Read, error) {
	r := Read{Type: "read", ConversationID: convID, Author: a}
	var at int64
	err := s.db.QueryRow(ctx, `SELECT reader_name, message_id, read_at FROM support_reads
		WHERE conversation_id = ? AND reader_type = ? AND reader_id = ?`, convID, a.Type, a.ID).Scan(&r.Author.Name, &r.MessageID, &at)
	if err != nil {
		return Read{}, fmt.Errorf("read marker: %w", err)
	}
	r.ReadAt = fromMicros(at)
	return r, nil
}

// Reads lists the read markers of a conversation, customer's first; markers on internal notes
// only withInternal (for staff).
func (s *Service) Reads(ctx context.Context, convID string, withInternal bool) ([]Read, error) {
	q := `SELECT r.reader_type, r.reader_id, r.reader_name, r.message_id, r.read_at FROM support_reads r
		JOIN support_messages m ON m.id = r.message_id WHERE r.conversation_id = ?`
	if !withInternal {
		q += ` AND m.internal = 0`
	}
	rows, err := s.db.Query(ctx, q+` ORDER BY r.reader_type DESC, r.reader_id`, convID)
	if err != nil {
		return nil, fmt.Errorf("read markers: %w", err)
	}
	defer rows.Close()
	out := []Read{}
	for rows.Next() {
		r := Read{Type: "read", ConversationID: convID}
		var at int64
		if err := rows.Scan(&r.Author.Type, &r.Author.ID, &r.Author.Name, &r.MessageID, &at); err != nil {
			return nil, fmt.Errorf("read markers: %w", err)
		}
		r.ReadAt = fromMicros(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

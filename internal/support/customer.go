package support

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// What a wallet user does with their own conversations. Another user's conversation answers
// not_found, as if it did not exist.

// CustomerConversations lists the user's conversations, newest first.
func (s *Service) CustomerConversations(ctx context.Context, userID string, f Filter) ([]Conversation, string, error) {
	f.View = ""
	if err := validFilter(f); err != nil {
		return nil, "", err
	}
	list, next, err := s.list(ctx, []string{"customer_id = ?"}, []any{userID}, f)
	for i := range list {
		list[i].Disposition = nil
	}
	return list, next, err
}

// CustomerConversation returns one of the user's conversations.
func (s *Service) CustomerConversation(ctx context.Context, userID, convID string) (Conversation, error) {
	c, err := s.conversation(ctx, convID)
	if err != nil {
		return Conversation{}, err
	}
	if userID == "" || c.Customer.UserID != userID {
		return Conversation{}, ErrNotFound
	}
	c.Disposition = nil // the desk's own record of the call, with its note
	return c, nil
}

// CustomerMessages lists the messages of one of the user's conversations after a message id,
// without internal notes.
func (s *Service) CustomerMessages(ctx context.Context, userID, convID, after string) ([]Message, error) {
	if _, err := s.CustomerConversation(ctx, userID, convID); err != nil {
		return nil, err
	}
	return s.Messages(ctx, convID, after, false, 0)
}

// CustomerPost adds the user's message to one of their conversations (see Append).
func (s *Service) CustomerPost(ctx context.Context, userID, name, convID string, in NewMessage) (Message, error) {
	if userID == "" {
		return Message{}, ErrNotFound
	}
	in.Author, in.Internal = Author{Type: AuthorCustomer, ID: userID, Name: clipName(name)}, false
	return s.appendAs(ctx, convID, userID, in)
}

// Rate records the customer's score (1 to 5) of a resolved or closed conversation, once.
func (s *Service) Rate(ctx context.Context, userID, convID string, score int, comment string) (Conversation, error) {
	var v fault.Validation
	v.Check(score >= 1 && score <= 5, "score", fault.MsgWholeNumberRange, 1, 5)
	v.Check(utf8.ValidString(comment) && utf8.RuneCountInString(comment) <= 2000, "comment", fault.MsgMustAtMostChars, 2000)
	if err := v.Err(); err != nil {
		return Conversation{}, err
	}
	if _, err := s.CustomerConversation(ctx, userID, convID); err != nil {
		return Conversation{}, err
	}
	res, err := s.db.Exec(ctx, `UPDATE support_conversations SET rating = ?, rating_comment = ?, updated_at = ?
		WHERE id = ? AND rating IS NULL AND status IN ('resolved', 'closed')`, score, strings.TrimSpace(comment), micros(s.now()), convID)
	if err != nil {
		return Conversation{}, fmt.Errorf("rate: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Conversation{}, explained(ErrState, "Only a resolved conversation can be rated, and only once.",
			"只有已解决的会话可以评分，且只能评一次。")
	}
	return s.CustomerConversation(ctx, userID, convID)
}

// Callback is a call-back request.
type Callback struct {
	ID             string `json:"id"`
	ConversationID string `json:"conversation_id"`
	Queue          *Queue `json:"queue" doc:"where the call-back waits for an agent; null when one is assigned at once"`
}

// RequestCallback opens a call-back conversation for the customer: the phone to call and an
// optional note, routed like any other conversation. The call-back row is written in the
// transaction that opens the conversation. With once (an Idempotency-Key), a replay answers
// the first call-back and opens nothing.
func (s *Service) RequestCallback(ctx context.Context, c Customer, phone, topic, note string, once *Once) (Callback, error) {
	phone = strings.TrimSpace(phone)
	var v fault.Validation
	v.Check(validPhone(phone), "phone", fault.MsgPhoneExample)
	v.Check(utf8.ValidString(note) && utf8.RuneCountInString(note) <= 1000, "note", fault.MsgMustAtMostChars, 1000)
	if err := v.Err(); err != nil {
		return Callback{}, err
	}
	body := "Call-back requested to " + phone
	if n := strings.TrimSpace(note); n != "" {
		body += ": " + n
	}
	if c.Phone == "" {
		c.Phone = phone
	}
	cbID := id.New("cbk")
	ctx = context.WithValue(ctx, callbackKey{}, cbID)
	conv, _, replay, err := s.open(ctx, NewConversation{Channel: ChannelCallback, Customer: c, Topic: topic, Body: body}, once,
		func(ctx context.Context, tx *db.Tx, convID string) error {
			_, err := tx.Exec(ctx, `INSERT INTO support_callbacks (id, conversation_id, phone, note, created_at) VALUES (?, ?, ?, ?, ?)`,
				cbID, convID, phone, strings.TrimSpace(note), micros(s.now()))
			if err != nil {
				return fmt.Errorf("callback: %w", err)
			}
			return nil
		})
	if err != nil {
		return Callback{}, err
	}
	if replay {
		if err := s.db.QueryRow(ctx, `SELECT id FROM support_callbacks WHERE conversation_id = ? ORDER BY id LIMIT 1`,
			conv.ID).Scan(&cbID); err != nil {
			return Callback{}, fmt.Errorf("callback: %w", db.NotFound(err))
		}
	}
	return Callback{ID: cbID, ConversationID: conv.ID, Queue: conv.Queue}, nil
}

// validPhone accepts E.164-like numbers: an optional +, then 6 to 15 digits, spaces and dashes
// allowed between.
func validPhone(p string) bool {
	digits := 0
	for i, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-':
		default:
			return false
		}
	}
	return digits >= 6 && digits <= 15
}

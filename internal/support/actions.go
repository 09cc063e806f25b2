package support

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/notify"
)

// Agents' actions on a customer beside the unlock (context.go): starting the account
// recovery for them, and following up a refund request on a conversation. Each is written
// to the audit log.

// Tags a refund follow-up puts on its conversation, so the inbox shows it.
const (
	TagRefundFollowup   = "refund_followup"
	TagAwaitingMerchant = "awaiting_merchant"
)

func checkNote(v *fault.Validation, note string) {
	v.Check(utf8.ValidString(note) && utf8.RuneCountInString(note) <= 1000, "note", fault.MsgMustAtMostChars, 1000)
}

// SendRecoveryCode starts the account recovery of a customer, as their own "forgot
// password" does (identity's RequestRecovery), to their verified phone (channel sms) or
// email. A contact that is not verified refuses with invalid_state: a code goes only where
// the customer proved to be. Audited as customer.recovery_code_sent.
func (s *Service) SendRecoveryCode(ctx context.Context, v Viewer, userID, channel, note string) error {
	note = strings.TrimSpace(note)
	var val fault.Validation
	val.Check(channel == notify.SMS || channel == notify.Email, "channel", fault.MsgChannel)
	checkNote(&val, note)
	if err := val.Err(); err != nil {
		return err
	}
	if err := s.canSeeCustomer(ctx, v, userID); err != nil {
		return err
	}
	u, err := s.customer(ctx, userID)
	if err != nil {
		return err
	}
	login := u.Phone
	if channel == notify.SMS && !u.PhoneVerified {
		return explained(ErrState, "The customer's phone is not verified; a recovery code goes only to a verified contact.",
			"客户的手机号未验证；恢复验证码只会发送到已验证的联系方式。")
	}
	if channel == notify.Email {
		if !u.EmailVerified || u.Email == "" {
			return explained(ErrState, "The customer's email is not verified; a recovery code goes only to a verified contact.",
				"客户的邮箱未验证；恢复验证码只会发送到已验证的联系方式。")
		}
		login = u.Email
	}
	if err := s.accounts.RequestRecovery(ctx, identity.RecoveryRequest{Login: login, Channel: channel, IP: v.IP}); err != nil {
		return fmt.Errorf("recovery for %s: %w", userID, err)
	}
	return s.auditTx(ctx, v, "customer.recovery_code_sent", "user", userID, note, map[string]any{"channel": channel})
}

// RefundFollowup is an agent's follow-up of a customer's refund request on a conversation.
type RefundFollowup struct {
	ID               string    `json:"id"`
	ConversationID   string    `json:"conversation_id"`
	RefundRequestID  string    `json:"refund_request_id"`
	RefundStatus     string    `json:"refund_status" doc:"the request's status when it was followed up"`
	AwaitingMerchant bool      `json:"awaiting_merchant" doc:"the merchant has not decided yet; the conversation is tagged awaiting_merchant"`
	ExpectedBy       time.Time `json:"expected_by" doc:"when the merchant is due to decide"`
	Note             string    `json:"note"`
	MessageID        string    `json:"message_id" doc:"the internal note recording it on the conversation"`
	CreatedAt        time.Time `json:"created_at"`
}

// FollowUpRefund records v's follow-up of one of the conversation customer's refund
// requests: an internal note on the conversation, a follow-up row, the tags refund_followup
// (and awaiting_merchant while the merchant has not decided) and an audit entry, in one
// transaction.
func (s *Service) FollowUpRefund(ctx context.Context, v Viewer, convID, requestID, note string) (RefundFollowup, error) {
	note = strings.TrimSpace(note)
	var val fault.Validation
	val.Check(strings.TrimSpace(requestID) != "", "refund_request_id", fault.MsgRequired)
	checkNote(&val, note)
	if err := val.Err(); err != nil {
		return RefundFollowup{}, err
	}
	c, err := s.AgentConversation(ctx, v, convID)
	if err != nil {
		return RefundFollowup{}, err
	}
	if c.Status == StatusClosed {
		return RefundFollowup{}, explained(ErrState, "The conversation is closed.", "此会话已关闭。")
	}
	if c.Customer.UserID == "" || s.money == nil {
		return RefundFollowup{}, fault.Invalid("refund_request_id", fault.MsgNotYourRefundRequest)
	}
	rr, err := s.money.RefundRequest(ctx, c.Customer.UserID, requestID)
	if err != nil {
		if fault.Code(err) == "not_found" || errors.Is(err, db.ErrNotFound) {
			return RefundFollowup{}, fault.Invalid("refund_request_id", fault.MsgNotYourRefundRequest)
		}
		return RefundFollowup{}, fmt.Errorf("refund request: %w", err)
	}
	now := fromMicros(micros(s.now()))
	f := RefundFollowup{ID: id.New("rfu"), ConversationID: c.ID, RefundRequestID: rr.ID, RefundStatus: rr.Status,
		AwaitingMerchant: rr.Status == "submitted", ExpectedBy: rr.ExpectedBy, Note: note, CreatedAt: now}
	body := fmt.Sprintf("Refund follow-up: request %s (%d %s, minor units), status %s", rr.ID, rr.Amount, rr.Currency, rr.Status)
	if f.AwaitingMerchant {
		body += fmt.Sprintf("; awaiting the merchant's decision, due by %s", rr.ExpectedBy.UTC().Format(time.RFC3339))
	}
	if note != "" {
		body += ". Note: " + note
	}
	m := Message{ID: id.New("msg"), ConversationID: c.ID, Author: Author{Type: AuthorAgent, ID: v.StaffID, Name: v.Name},
		Body: body, Internal: true, Channel: c.Channel, CreatedAt: now, Attachments: []Attachment{}}
	f.MessageID = m.ID
	tags := append([]string{}, c.Tags...)
	for _, t := range []string{TagRefundFollowup, TagAwaitingMerchant} {
		if (t == TagRefundFollowup || f.AwaitingMerchant) && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return RefundFollowup{}, err
	}
	awaiting := 0
	if f.AwaitingMerchant {
		awaiting = 1
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO support_refund_followups (id, conversation_id, refund_request_id, staff_id,
			note, refund_status, awaiting_merchant, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, c.ID, rr.ID, v.StaffID, note, rr.Status, awaiting, micros(now)); err != nil {
			return fmt.Errorf("refund follow-up: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE support_conversations SET tags = ?, updated_at = ? WHERE id = ?`,
			string(tagsJSON), micros(now), c.ID); err != nil {
			return fmt.Errorf("refund follow-up tags: %w", err)
		}
		if err := insertMessage(ctx, tx, m); err != nil {
			return err
		}
		return s.auditTx(ctx, v, "conversation.refund_followup", "user", c.Customer.UserID, note,
			map[string]any{"conversation_id": c.ID, "refund_request_id": rr.ID, "refund_status": rr.Status})
	})
	if err != nil {
		return RefundFollowup{}, err
	}
	s.publishMessage(ctx, m)
	return f, nil
}

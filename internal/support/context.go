package support

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/wallet"
)

// The customer context panel: what an agent sees of a customer's account beside the
// conversation, read through identity's and wallet's exported APIs (never their tables). Every
// look is written to the audit log, and so is every action taken from it.

// CustomerProfile is the customer as the desk shows them.
type CustomerProfile struct {
	ID          string             `json:"id"`
	DisplayName string             `json:"display_name"`
	Phone       string             `json:"phone"`
	Email       string             `json:"email"`
	Locale      string             `json:"locale"`
	Tier        string             `json:"tier"`
	Status      string             `json:"status" enum:"active,locked,restricted"`
	Locked      bool               `json:"locked"`
	LockedUntil *time.Time         `json:"locked_until" doc:"null when not locked, or when only recovery (or an agent) unlocks"`
	TwoFactor   identity.TwoFactor `json:"two_factor"`
}

// CustomerContext is the panel's content.
type CustomerContext struct {
	Profile        CustomerProfile        `json:"profile"`
	Balances       []wallet.Balance       `json:"balances"`
	Transactions   []wallet.Transaction   `json:"transactions" doc:"the latest, failed ones included with failure_code and failure_reason"`
	RefundRequests []wallet.RefundRequest `json:"refund_requests"`
	Conversations  []Conversation         `json:"conversations"`
}

// contextItems is how many transactions, refund requests and conversations the panel shows.
const contextItems = 20

// canSeeCustomer: leads see every customer; an agent one who has a conversation with their
// team or with them. Anyone else's answer is not_found.
func (s *Service) canSeeCustomer(ctx context.Context, v Viewer, userID string) error {
	if err := v.desk(); err != nil {
		return err
	}
	if v.Lead() {
		return nil
	}
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM support_conversations WHERE customer_id = ? AND (team = ? OR assignee = ?)`,
		userID, v.Team, v.StaffID).Scan(&n); err != nil {
		return fmt.Errorf("customer access: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

func (s *Service) customer(ctx context.Context, userID string) (identity.User, error) {
	if s.accounts == nil || userID == "" {
		return identity.User{}, ErrNotFound
	}
	u, err := s.accounts.User(ctx, userID)
	if errors.Is(err, identity.ErrNotFound) || fault.Code(err) == "not_found" {
		return identity.User{}, ErrNotFound
	}
	return u, err
}

// Customer returns the customer context of userID for v, and writes the look to the audit
// log (action customer.viewed).
func (s *Service) Customer(ctx context.Context, v Viewer, userID, locale string) (CustomerContext, error) {
	if err := s.canSeeCustomer(ctx, v, userID); err != nil {
		return CustomerContext{}, err
	}
	u, err := s.customer(ctx, userID)
	if err != nil {
		return CustomerContext{}, err
	}
	if s.money == nil {
		return CustomerContext{}, errors.New("support: customer context without a wallet")
	}
	locked, until := identity.Locked(u, s.now())
	out := CustomerContext{Profile: CustomerProfile{ID: u.ID, DisplayName: u.DisplayName, Phone: u.Phone, Email: u.Email,
		Locale: u.Locale, Tier: string(u.Tier), Status: string(u.Status), Locked: locked, LockedUntil: until, TwoFactor: u.TwoFactor}}
	if locked {
		out.Profile.Status = string(identity.StatusLocked)
	}
	sum, err := s.money.Summary(ctx, wallet.Party{ID: u.ID, Name: u.DisplayName, Tier: string(u.Tier), Status: string(u.Status), Locale: u.Locale})
	if err != nil {
		return CustomerContext{}, fmt.Errorf("customer balances: %w", err)
	}
	out.Balances = sum.Balances
	txs, err := s.money.Transactions(ctx, u.ID, wallet.Filter{Limit: contextItems})
	if err != nil {
		return CustomerContext{}, fmt.Errorf("customer transactions: %w", err)
	}
	if locale == "" {
		locale = u.Locale
	}
	for i := range txs.Items {
		txs.Items[i].Localize(locale)
	}
	out.Transactions = txs.Items
	rrs, err := s.money.RefundRequests(ctx, u.ID, wallet.Filter{Limit: contextItems})
	if err != nil {
		return CustomerContext{}, fmt.Errorf("customer refund requests: %w", err)
	}
	out.RefundRequests = rrs.Items
	if out.Conversations, _, err = s.list(ctx, []string{"customer_id = ?"}, []any{u.ID}, Filter{Limit: contextItems}); err != nil {
		return CustomerContext{}, err
	}
	if s.audit != nil {
		if err := s.audit.Write(ctx, audit.Entry{At: s.now(), ActorType: audit.ActorStaff, ActorID: v.StaffID,
			Action: "customer.viewed", TargetType: "user", TargetID: u.ID, IP: v.IP}); err != nil {
			return CustomerContext{}, fmt.Errorf("audit customer view: %w", err)
		}
	}
	if out.Balances == nil {
		out.Balances = []wallet.Balance{}
	}
	return out, nil
}

// Unlock ends a customer's lockout after v checked their identity: verification says how
// (required), note anything else. The unlock and its audit entry (actor v, reason the
// verification and note) commit together in identity; an account that was not locked changes
// nothing and is still audited as an attempt (customer.unlock_not_locked).
func (s *Service) Unlock(ctx context.Context, v Viewer, userID, verification, note string) error {
	verification, note = strings.TrimSpace(verification), strings.TrimSpace(note)
	var val fault.Validation
	val.Check(verification != "" && utf8.ValidString(verification) && utf8.RuneCountInString(verification) <= 500,
		"verification", fault.MsgVerificationHow)
	val.Check(utf8.ValidString(note) && utf8.RuneCountInString(note) <= 1000, "note", fault.MsgMustAtMostChars, 1000)
	if err := val.Err(); err != nil {
		return err
	}
	if err := s.canSeeCustomer(ctx, v, userID); err != nil {
		return err
	}
	if _, err := s.customer(ctx, userID); err != nil {
		return err
	}
	reason := "verification: " + verification
	if note != "" {
		reason += "; note: " + note
	}
	actx := audit.WithActor(ctx, audit.Actor{Type: audit.ActorStaff, ID: v.StaffID, IP: v.IP, Reason: reason})
	was, err := s.accounts.UnlockByStaff(actx, userID)
	if err != nil {
		return err
	}
	if !was && s.audit != nil {
		if err := s.audit.Write(ctx, audit.Entry{At: s.now(), ActorType: audit.ActorStaff, ActorID: v.StaffID,
			Action: "customer.unlock_not_locked", TargetType: "user", TargetID: userID, IP: v.IP, Reason: reason}); err != nil {
			return fmt.Errorf("audit unlock: %w", err)
		}
	}
	return nil
}

package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/notify"
	"github.com/dompet/dompet/internal/outbox"
	"github.com/dompet/dompet/internal/wallet"
)

// Topic is the outbox topic of receipts: the payload names the notification, and Handler
// decides its channels when it sends.
const Topic = "receipt"

// OutboxRetry is Topic's schedule, the same as notify.Topic's.
func OutboxRetry() outbox.Retry { return notify.OutboxRetry() }

// message is the payload of a Topic message.
type message struct {
	UserID string `json:"user_id"`
	Kind   string `json:"kind"`
	Params params `json:"params"`
}

// Rows returns the rows that record and send r: the notification and its outbox message
// (same id). It implements wallet.Receipts; the wallet writes them with the money.
func (s *Service) Rows(r wallet.Receipt) ([]db.Row, error) {
	if !isKind(r.Kind) || r.UserID == "" {
		return nil, fmt.Errorf("inbox: receipt %q for user %q", r.Kind, r.UserID)
	}
	p := params{Amount: r.Amount.Amount, Currency: r.Amount.Currency, Fee: r.Fee, Counterparty: r.Counterparty,
		Receive: r.Receive.Amount, ReceiveCurr: r.Receive.Currency, FailureCode: r.FailureCode, FailureParams: r.FailureParams}
	pj, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("inbox: receipt %s: %w", r.Kind, err)
	}
	payload, err := json.Marshal(message{UserID: r.UserID, Kind: r.Kind, Params: p})
	if err != nil {
		return nil, fmt.Errorf("inbox: receipt %s: %w", r.Kind, err)
	}
	at := r.At
	if at.IsZero() {
		at = s.now()
	}
	nid := id.New("ntf")
	return []db.Row{
		{Table: "notifications", Cols: []string{"id", "user_id", "kind", "transaction_id", "params", "created_at"},
			Vals: []any{nid, r.UserID, r.Kind, r.TransactionID, string(pj), at.UnixMicro()}},
		outbox.Row(outbox.Message{ID: nid, Topic: Topic, Payload: payload, CreatedAt: at}),
	}, nil
}

// Handler is the outbox handler of Topic: it finds the user's contact details and settings
// now, and sends the receipt, in the profile's language, by SMS to a verified phone and by
// email to a verified email, as the settings allow, each with the message id (the same on
// every attempt). A user who no longer exists drops it.
func (s *Service) Handler(send notify.Sender) outbox.Handler {
	return func(ctx context.Context, d outbox.Delivery) error {
		var m message
		if err := json.Unmarshal(d.Payload, &m); err != nil {
			return outbox.Permanent(fmt.Errorf("receipt %s: %w", d.ID, err))
		}
		c, err := s.o.Contacts.Contact(ctx, m.UserID)
		if errors.Is(err, ErrNoUser) {
			return outbox.Permanent(fmt.Errorf("receipt %s: %w", d.ID, err))
		}
		if err != nil {
			return fmt.Errorf("receipt %s: %w", d.ID, err)
		}
		set, err := s.settings(ctx, m.UserID)
		if err != nil {
			return fmt.Errorf("receipt %s: %w", d.ID, err)
		}
		title, body := render(m.Kind, c.Locale, m.Params)
		ch := set[m.Kind]
		var errs []error
		if ch.SMS && c.PhoneVerified && c.Phone != "" {
			errs = append(errs, send.Send(ctx, notify.Message{ID: d.ID, Channel: notify.SMS, To: c.Phone,
				Text: "Dompet: " + body, Kind: m.Kind}))
		}
		if ch.Email && c.EmailVerified && c.Email != "" {
			errs = append(errs, send.Send(ctx, notify.Message{ID: d.ID, Channel: notify.Email, To: c.Email,
				Subject: title, Text: body, Kind: m.Kind}))
		}
		// A channel that succeeded is sent again on retry, with the same id: the receiver
		// drops the repeat.
		return errors.Join(errs...)
	}
}

// createdAt reads a stored time.
func createdAt(us int64) time.Time { return time.UnixMicro(us).UTC() }

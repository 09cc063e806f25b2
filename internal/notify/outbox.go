package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/outbox"
)

// Topic is the outbox topic of durable SMS and email whose recipient and text are known when
// written: security alerts. Receipts have their own topic (inbox.Topic), whose channels are
// decided when sent.
const Topic = "notify"

// OutboxRetry is the schedule of Topic: each attempt already makes a few quick tries (the
// provider Sender's own Retry), so the outbox waits longer between attempts: 10 s, doubling up
// to 30 min, 12 attempts (about 3 hours), then the message is dead.
func OutboxRetry() outbox.Retry {
	return outbox.Retry{First: 10 * time.Second, Factor: 2, Max: 30 * time.Minute, Attempts: 12}
}

// stored is the payload of a Topic message.
type stored struct {
	Channel string `json:"channel"`
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text"`
	Kind    string `json:"kind"`
}

// Row returns the outbox row that sends m durably: insert it in the transaction of the change
// m reports, and wake the outbox after the commit. m.ID, if set, becomes the message id (the
// SMTP Message-ID and the SMS Idempotency-Key); "" makes a new "ntf_…" id. Never use it for
// one-time codes: the row holds the text in clear.
func Row(m Message) (db.Row, error) {
	if m.Channel != SMS && m.Channel != Email {
		return db.Row{}, fmt.Errorf("notification %s: unknown channel %q", m.Kind, m.Channel)
	}
	if m.ID == "" {
		m.ID = id.New("ntf")
	}
	payload, err := json.Marshal(stored{Channel: m.Channel, To: m.To, Subject: m.Subject, Text: m.Text, Kind: m.Kind})
	if err != nil {
		return db.Row{}, fmt.Errorf("notification %s: %w", m.Kind, err)
	}
	return outbox.Row(outbox.Message{ID: m.ID, Topic: Topic, Payload: payload}), nil
}

// Handler is the outbox handler of Topic: it sends each message with s (a provider Sender,
// not a Queue: the outcome must come back), its ID being the outbox message id. A failure s
// calls permanent (a refused recipient) kills the message at once.
func Handler(s Sender) outbox.Handler {
	return func(ctx context.Context, d outbox.Delivery) error {
		var p stored
		if err := json.Unmarshal(d.Payload, &p); err != nil {
			return outbox.Permanent(fmt.Errorf("notification %s: %w", d.ID, err))
		}
		err := s.Send(ctx, Message{ID: d.ID, Channel: p.Channel, To: p.To, Subject: p.Subject, Text: p.Text, Kind: p.Kind})
		var perm permanent
		if errors.As(err, &perm) {
			return outbox.Permanent(err)
		}
		return err
	}
}

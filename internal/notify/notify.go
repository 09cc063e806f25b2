// Package notify sends SMS and email to people: one-time codes, security alerts, receipts.
// Senders sit behind one interface with real implementations (an HTTP webhook for SMS, an
// SMTP relay for email), a log sender for when none is configured, and a recorder that keeps
// the last messages for the demo page.
package notify

import (
	"context"
	"log/slog"
)

// Channels a message can go through.
const (
	SMS   = "sms"
	Email = "email"
)

// Message is one SMS or email. Text is already in the recipient's language.
type Message struct {
	Channel string // SMS or Email
	To      string // E.164 phone number or email address
	Subject string // email only
	Text    string
	Kind    string // what it is about, e.g. "recovery_code", "new_device" (for logs and the demo page)
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Log is the Sender used when no SMS gateway or SMTP relay is configured: it writes the
// message to the log, so that a developer can read the code.
type Log struct{ L *slog.Logger }

// Send implements Sender.
func (l Log) Send(ctx context.Context, m Message) error {
	l.L.InfoContext(ctx, "notification (no provider configured)", "channel", m.Channel, "to", m.To, "kind", m.Kind, "subject", m.Subject, "text", m.Text)
	return nil
}

// Package notify sends SMS and email to people: one-time codes, security alerts, receipts.
//
// Senders sit behind one interface: Webhook (SMS through an HTTP gateway), SMTP (email through
// a relay), Log (when no provider is configured: the message goes to the log, so a developer
// can read the code), Router (each channel to its sender, the log for a channel without one),
// Queue (delivery in the background) and Recorder (the last messages in memory, for the demo
// page served by DemoPage).
//
// # Delivery: a queue in memory, not a call inside the request
//
// The application sends through a Queue: Send enqueues and returns at once, and workers deliver
// with the provider sender's retries (a few tries over a few seconds, then an error). Waiting
// on a gateway inside the request was the other choice; it was rejected because it makes the
// answer's timing depend on whether a message was sent, and "forgot password" must answer the
// same, as fast, whether the account exists or not; and because a slow gateway would hold
// requests and database work open. The price is that the caller does not learn that a
// delivery failed: every failure is logged at Error level with the channel, the kind and the
// masked recipient (never the text, which holds the code), and the user can ask for a new
// code. Send fails at once only when the queue is full (ErrQueueFull, a 503
// provider_unavailable) or closed. One-time codes are not written to the store: they would
// then sit in clear on disk, and they expire within minutes anyway, so a crash loses at most
// the few codes waiting in memory (the user asks for a new one). Close delivers what waits
// before the process exits and logs anything it could not.
//
// # Durable messages: the outbox
//
// Security alerts and receipts must not be lost, and must not be sent for a change that rolled
// back: they go through the outbox (package outbox) instead. Row gives the outbox row of a
// Message (topic Topic), written in the transaction of the change it reports; Handler is the
// outbox handler that sends it with a provider Sender, at least once, with the outbox message
// id as the Message's ID.
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
	// ID is the message's stable id: the SMTP Message-ID is made from it and the SMS gateway
	// gets it as the Idempotency-Key, so a receiver can drop a repeated delivery. Messages from
	// the outbox carry the outbox message id; "" makes a new one per Send.
	ID      string
	Channel string // SMS or Email
	To      string // E.164 phone number or email address
	Subject string // email only
	Text    string
	Kind    string // what it is about, e.g. "recovery_code", "new_device" (for logs and the demo page)

	// Mail threading, for support mail (package mailbox); empty for notifications.
	MessageID  string // the whole Message-ID without <>; "": ID@<sender's domain>
	InReplyTo  string // Message-ID (without <>) this mail answers
	References string // the thread's Message-IDs (without <>), oldest first, space-separated
	// AutoSubmitted is the RFC 3834 header: "" is auto-generated (notifications); "no" (a
	// person's reply) leaves the automatic-mail headers out.
	AutoSubmitted string
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

// Package inbox holds what Dompet tells a user about their account: receipts of their money
// movements, listed in-app with their read state and sent by SMS or email through the durable
// outbox, and the user's choice of channels for each kind.
//
// # A receipt commits with its money
//
// The wallet asks Rows for each receipt of a movement and writes them among the ledger
// transfer's Rows: the notification row (the in-app list) and an outbox message of Topic. Both
// exist exactly when the money moved; a refused movement has none. The notification id is the
// outbox message id, so the SMTP Message-ID and the SMS Idempotency-Key stay the same across
// retries.
//
// # Texts are rendered late
//
// A notification stores its kind and parameters, not its text. The in-app list renders it in
// the reader's language (the request's); SMS and email are rendered when sent, in the
// profile's language (Contact.Locale). Channels are resolved when sent too (Handler): the
// user's settings for the kind, and only to a verified phone or email.
//
// # Settings
//
// Every receipt kind defaults to in-app and SMS, and email (sent once the email is verified).
// Turning in_app off hides that kind from the list and the unread count. Security alerts
// (sent by identity through notify.Topic) are always on: a request to turn them off is refused.
// They are not listed here; GET /api/v1/me/security-events lists them.
package inbox

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// Contact is how a user is reached and in which language.
type Contact struct {
	Phone         string
	PhoneVerified bool
	Email         string
	EmailVerified bool
	Locale        string // en or zh-CN
}

// ErrNoUser is what Contacts answers for a user who does not exist (any more): their
// receipts are dropped.
var ErrNoUser = errors.New("inbox: no such user")

// Contacts finds a user's contact details; app wires it to identity.
type Contacts interface {
	Contact(ctx context.Context, userID string) (Contact, error)
}

// Notifier wakes the outbox after a commit (outbox.Outbox).
type Notifier interface{ Notify() }

// Options configure a Service.
type Options struct {
	Contacts Contacts
	Outbox   Notifier         // nil: receipts wait for the outbox's next poll
	Now      func() time.Time // clock, for tests
	Log      *slog.Logger
}

// Service is the users' inbox.
type Service struct {
	db  *db.DB
	o   Options
	now func() time.Time
}

// New returns a Service over d.
func New(d *db.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return &Service{db: d, o: o, now: o.Now}
}

// Notify wakes the outbox (wallet.Receipts).
func (s *Service) Notify() {
	if s.o.Outbox != nil {
		s.o.Outbox.Notify()
	}
}

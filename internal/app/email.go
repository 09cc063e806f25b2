package app

import (
	"context"
	"net"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/mailbox"
	"github.com/dompet/dompet/internal/support"
)

// emailDesk adapts the support desk to mailbox.Desk, so that neither package imports the
// other: the mailbox parses and threads mail, the desk stores conversations.
type emailDesk struct{ s *support.Service }

func (d emailDesk) Thread(ctx context.Context, l mailbox.Lookup) (mailbox.Thread, bool, error) {
	t, ok, err := d.s.ThreadEmail(ctx, l.MessageIDs, l.Ref)
	return mailbox.Thread(t), ok, err
}

func (d emailDesk) Receive(ctx context.Context, in mailbox.Inbound) (mailbox.Received, error) {
	atts := make([]support.EmailAttachment, len(in.Attachments))
	for i, a := range in.Attachments {
		atts[i] = support.EmailAttachment{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Content: a.Content, Refused: a.Refused}
	}
	r, err := d.s.ReceiveEmail(ctx, support.InboundEmail{ConversationID: in.ConversationID, MessageID: in.MessageID,
		AckMessageID: in.AckMessageID, From: in.From, FromName: in.FromName, Subject: in.Subject, Text: in.Text,
		Lang: in.Lang, Attachments: atts, Automatic: in.Automatic, Problems: in.Problems, ReceivedAt: in.ReceivedAt})
	return mailbox.Received(r), err
}

// composer is the mailbox's composer of cfg's support address, made before the mailbox so
// that the desk can mail agents' replies.
func composer(cfg config.Config) mailbox.Composer {
	return mailbox.Composer{Address: cfg.SupportEmail, Name: "Dompet Support"}
}

// emailSender adapts c to support.EmailSender.
func emailSender(c mailbox.Composer) support.EmailSender {
	return func(t support.EmailThread, body string) (db.Row, string, error) {
		return c.Reply(mailbox.Thread(t), body)
	}
}

// newMailbox builds the support mailbox on the desk, or nil when no support address is set.
func (a *App) newMailbox(cfg config.Config) (*mailbox.Mailbox, error) {
	if cfg.SupportEmail == "" {
		return nil, nil
	}
	o := mailbox.Options{Address: cfg.SupportEmail, MaxBytes: int64(cfg.SMTPMaxMessageMB) << 20,
		MaxSessions: cfg.SMTPMaxSessions, Timeout: cfg.SMTPTimeout, Notify: a.Outbox.Notify, Log: a.Log,
		Stored: func(ctx context.Context, r mailbox.Result) { a.Support.EmailStored(ctx, r.ConversationID, r.MessageID) }}
	if cfg.SupportAckRate.N > 0 {
		o.AckBurst, o.AckEvery = cfg.SupportAckRate.N, cfg.SupportAckRate.Every()
	}
	return mailbox.New(a.DB, emailDesk{a.Support}, o)
}

// ServeSMTP runs the support mailbox's SMTP listener on ln until ctx ends or Close (the server
// command listens on DOMPET_SMTP_LISTEN; tests on 127.0.0.1:0). It returns at once with nil
// when there is no mailbox (no support address).
func (a *App) ServeSMTP(ctx context.Context, ln net.Listener) error {
	if a.Mailbox == nil {
		_ = ln.Close()
		return nil
	}
	a.wg.Add(1) // Close waits for the sessions in flight
	defer a.wg.Done()
	ctx, cancel := context.WithCancel(ctx)
	a.mu.Lock()
	a.smtpStops = append(a.smtpStops, cancel)
	a.mu.Unlock()
	defer cancel()
	return a.Mailbox.Serve(ctx, ln)
}

// newPoller builds the poller of DOMPET_IMAP_URL into the mailbox, or nil when either is off.
func (a *App) newPoller(cfg config.Config) (*mailbox.Poller, error) {
	if cfg.IMAPURL == "" || a.Mailbox == nil {
		return nil, nil
	}
	return a.Mailbox.NewPoller(mailbox.PollOptions{URL: cfg.IMAPURL, Interval: cfg.IMAPInterval})
}

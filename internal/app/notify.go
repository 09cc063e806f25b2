package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/notify"
)

// notifyDrain is how long Close lets waiting SMS and emails go out before giving up on them.
const notifyDrain = 10 * time.Second

// startNotify builds the senders of SMS and email: the webhook and the SMTP relay where they
// are configured, the log for a channel without one (or deliver instead of both, for tests).
// One-time codes go through the in-memory delivery queue in front of them; durable messages
// (the outbox's notify.Topic) go to them directly (outboxSender). In demo mode a Recorder
// keeps the last messages of both ways for the demo page.
func (a *App) startNotify(cfg config.Config, log *slog.Logger, deliver notify.Sender) error {
	if deliver == nil {
		r := notify.Router{Fallback: notify.Log{L: log}}
		if cfg.SMSWebhook != "" {
			r.SMS = notify.Webhook{URL: cfg.SMSWebhook, Log: log}
		}
		if cfg.SMTPRelay != "" {
			s := &notify.SMTP{Relay: cfg.SMTPRelay, From: cfg.SupportEmail, Log: log}
			if err := s.Validate(); err != nil {
				return fmt.Errorf("outbound mail: %w", err)
			}
			r.Email = s
		}
		deliver = r
	}
	a.notifyQueue = notify.NewQueue(deliver, notify.QueueOptions{Log: log})
	a.Notify = a.notifyQueue
	a.outboxSender = deliver
	if cfg.Demo {
		a.Recorder = notify.NewRecorder(a.notifyQueue, 200)
		a.Notify = a.Recorder
		a.outboxSender = recorded{rec: a.Recorder, next: deliver}
	}
	return nil
}

// recorded sends through next and keeps what it sent on the demo page's Recorder: the outbox
// sends without the queue (it must learn the outcome), so the Recorder in front of the queue
// does not see its messages.
type recorded struct {
	rec  *notify.Recorder
	next notify.Sender
}

func (r recorded) Send(ctx context.Context, m notify.Message) error {
	if err := r.next.Send(ctx, m); err != nil {
		return err
	}
	r.rec.Record(m)
	return nil
}

// FlushNotify waits until the SMS and emails sent so far have been delivered or given up on.
func (a *App) FlushNotify(ctx context.Context) error {
	if a.notifyQueue == nil {
		return nil
	}
	return a.notifyQueue.Flush(ctx)
}

// stopNotify delivers what waits, for up to notifyDrain.
func (a *App) stopNotify() {
	if a.notifyQueue == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), notifyDrain)
	defer cancel()
	if err := a.notifyQueue.Close(ctx); err != nil {
		a.Log.Warn("notifications still waiting at shutdown were not delivered", "error", err)
	}
}

package notify

import (
	"context"
	"fmt"
	"log/slog"
)

// Router sends each message through the sender of its channel: SMS through SMS, email through
// Email. A channel without a provider goes to Fallback, so that its messages still show up in
// the log.
type Router struct {
	SMS      Sender // nil: Fallback
	Email    Sender // nil: Fallback
	Fallback Sender // nil: Log on slog.Default()
}

// Send implements Sender.
func (r Router) Send(ctx context.Context, m Message) error {
	var s Sender
	switch m.Channel {
	case SMS:
		s = r.SMS
	case Email:
		s = r.Email
	default:
		return fmt.Errorf("notify: unknown channel %q (kind %s)", m.Channel, m.Kind)
	}
	if s == nil {
		s = r.Fallback
	}
	if s == nil {
		s = Log{L: slog.Default()}
	}
	return s.Send(ctx, m)
}

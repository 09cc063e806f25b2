package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"
)

// Retry is how many times, and how patiently, a provider sender tries one message.
type Retry struct {
	Attempts int           // tries in all; zero: 4
	Backoff  time.Duration // wait before the second try, doubled before each next one; zero: 500 ms
}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = 4
	}
	if r.Backoff <= 0 {
		r.Backoff = 500 * time.Millisecond
	}
	return r
}

// permanent marks a failure that another try cannot fix (a refused recipient, a 400).
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// IsPermanent reports whether a Sender's error is final (another try cannot fix it), so that
// an outbox handler outside this package can mark the message dead at once.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// do runs try until it succeeds, fails permanently, runs out of attempts or ctx ends. Each
// failed attempt is logged with the message's kind and masked recipient, never its text:
// the text holds one-time codes.
func (r Retry) do(ctx context.Context, log *slog.Logger, via string, m Message, try func(context.Context) error) error {
	r = r.withDefaults()
	wait := r.Backoff
	var err error
	for n := 1; ; n++ {
		err = try(ctx)
		if err == nil {
			return nil
		}
		var p permanent
		final := errors.As(err, &p) || n == r.Attempts
		log.WarnContext(ctx, "notification attempt failed", "via", via, "channel", m.Channel,
			"kind", m.Kind, "to", Mask(m.To), "attempt", n, "final", final, "error", err)
		if final {
			return fmt.Errorf("%s to %s: failed after %d attempt(s): %w", via, Mask(m.To), n, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%s to %s: gave up after %d attempt(s) (%w): %w", via, Mask(m.To), n, ctx.Err(), err)
		case <-t.C:
		}
		wait *= 2
	}
}

// Mask hides most of a phone number or an email address, for logs and errors:
// "+6281234567890" → "+62*******7890", "alice@example.com" → "a***@example.com".
func Mask(to string) string {
	if at := strings.LastIndexByte(to, '@'); at >= 0 {
		local := to[:at]
		if local == "" {
			return "***" + to[at:]
		}
		_, size := utf8.DecodeRuneInString(local)
		return local[:size] + "***" + to[at:]
	}
	n := len(to)
	switch {
	case n == 0:
		return ""
	case n <= 6:
		return strings.Repeat("*", n)
	case n <= 9:
		return strings.Repeat("*", n-2) + to[n-2:]
	default:
		return to[:3] + strings.Repeat("*", n-7) + to[n-4:]
	}
}

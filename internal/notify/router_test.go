package notify_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/dompet/dompet/internal/notify"
)

// capture is a Sender that keeps what it is given, or fails with err.
type capture struct {
	mu  sync.Mutex
	got []notify.Message
	err error
}

func (c *capture) Send(_ context.Context, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.got = append(c.got, m)
	return nil
}

func (c *capture) messages() []notify.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]notify.Message(nil), c.got...)
}

func TestRouter(t *testing.T) {
	sms, email, fallback := &capture{}, &capture{}, &capture{}
	sm := notify.Message{Channel: notify.SMS, To: "+6281234567890", Text: "sms"}
	em := notify.Message{Channel: notify.Email, To: "a@example.com", Text: "mail"}
	tests := []struct {
		name                       string
		r                          notify.Router
		wantSMS, wantEmail, wantFB int
	}{
		{"both providers", notify.Router{SMS: sms, Email: email, Fallback: fallback}, 1, 1, 0},
		{"no email provider", notify.Router{SMS: sms, Fallback: fallback}, 1, 0, 1},
		{"no SMS provider", notify.Router{Email: email, Fallback: fallback}, 0, 1, 1},
		{"none", notify.Router{Fallback: fallback}, 0, 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			*sms, *email, *fallback = capture{}, capture{}, capture{}
			for _, m := range []notify.Message{sm, em} {
				if err := tc.r.Send(context.Background(), m); err != nil {
					t.Fatal(err)
				}
			}
			if len(sms.got) != tc.wantSMS || len(email.got) != tc.wantEmail || len(fallback.got) != tc.wantFB {
				t.Fatalf("sms %d email %d fallback %d, want %d %d %d", len(sms.got), len(email.got), len(fallback.got),
					tc.wantSMS, tc.wantEmail, tc.wantFB)
			}
			for _, m := range sms.got {
				if m.Channel != notify.SMS {
					t.Errorf("an email went to the SMS sender")
				}
			}
			for _, m := range email.got {
				if m.Channel != notify.Email {
					t.Errorf("an SMS went to the email sender")
				}
			}
		})
	}
}

func TestRouterErrors(t *testing.T) {
	boom := errors.New("boom")
	r := notify.Router{SMS: &capture{err: boom}, Fallback: &capture{}}
	if err := r.Send(context.Background(), notify.Message{Channel: notify.SMS, To: "+62812"}); !errors.Is(err, boom) {
		t.Errorf("provider failure: %v", err)
	}
	if err := r.Send(context.Background(), notify.Message{Channel: "pigeon", To: "x"}); err == nil {
		t.Error("unknown channel accepted")
	}
	// No fallback at all: the log on slog.Default().
	if err := (notify.Router{}).Send(context.Background(), notify.Message{Channel: notify.Email, To: "a@b.c"}); err != nil {
		t.Error(err)
	}
}

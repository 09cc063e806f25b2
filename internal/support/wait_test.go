package support

import (
	"context"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/sla"
)

// TestWaitFor: the contact page's wait is the next opening while the team is closed, and
// counts the conversations already queued while it is open; the email reply promise is the
// SLA's first-response target.
func TestWaitFor(t *testing.T) {
	ctx := context.Background()
	f, _, clk := deskFixture(t)
	s := New(f.d, Options{Staff: f.dir, Now: clk.Now, Opening: OpenAt})
	clk.Set(at(4, 18, 0)) // Friday 18:00: opens Monday 09:00
	w, err := s.WaitFor(ctx, "payments")
	if err != nil {
		t.Fatal(err)
	}
	if w.Open || !w.NextOpen.Equal(at(7, 9, 0)) || w.EstimatedWaitSeconds != 63*3600 || w.Hours.TimeZone != "UTC" {
		t.Fatalf("closed: %+v", w)
	}
	clk.Set(at(0, 10, 0))
	if w, err = s.WaitFor(ctx, "payments"); err != nil || !w.Open || w.Waiting != 0 || !w.NextOpen.IsZero() {
		t.Fatalf("open, empty: %+v %v", w, err)
	}
	before := w.EstimatedWaitSeconds
	if _, _, err := s.Open(ctx, NewConversation{Channel: ChannelChat, Topic: "fees", Body: "why this fee?",
		Customer: Customer{UserID: "usr_1", Name: "Budi"}}); err != nil {
		t.Fatal(err)
	}
	if w, err = s.WaitFor(ctx, "payments"); err != nil || w.Waiting != 1 || w.EstimatedWaitSeconds <= before {
		t.Fatalf("one waiting: %+v (empty queue: %d s) %v", w, before, err)
	}
	if got := s.FirstResponseTarget("other", sla.Normal); got != time.Hour {
		t.Errorf("email first response %s", got)
	}
	if got := s.FirstResponseTarget("account_locked", sla.Normal); got != 30*time.Minute {
		t.Errorf("account_locked first response %s", got)
	}
}

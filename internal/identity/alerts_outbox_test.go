package identity

import (
	"context"
	"errors"
	"testing"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/notify"
	durable "github.com/dompet/dompet/internal/outbox"
)

// newOutboxFixture is a service whose security alerts go through a real outbox, dispatched by
// hand to box; codes still go to box through Notify.
func newOutboxFixture(t *testing.T) (*fixture, *outbox, *durable.Outbox) {
	t.Helper()
	box := &outbox{}
	f := newFixture(t, Options{Notify: box})
	ob := durable.New(f.d, durable.Options{Now: f.clock.Now})
	ob.Handle(notify.Topic, notify.Handler(box), durable.Retry{})
	f.s = New(f.d, Options{Argon2: cheapArgon, Now: f.clock.Now, Notify: box, Outbox: ob})
	return f, box, ob
}

func dispatchAll(t *testing.T, ob *durable.Outbox) int {
	t.Helper()
	n, err := ob.DispatchOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The alert of a password change is written in the change's transaction and sent by the
// outbox, with the outbox id as the message id.
func TestAlertCommittedWithItsChangeIsSent(t *testing.T) {
	f, box, ob := newOutboxFixture(t)
	u := f.register(t, 1)
	ss := f.login(t, u.Phone)
	dispatchAll(t, ob) // the first login's new-device alert
	err := f.s.ChangePassword(context.Background(), PasswordChange{UserID: u.ID, SessionID: ss.ID, Current: goodPassword, New: "Teh-Manis-77-Panas"})
	if err != nil {
		t.Fatal(err)
	}
	if got := box.of(f.s, KindPasswordChanged); len(got) != 0 {
		t.Fatalf("sent before the outbox dispatched it: %+v", got)
	}
	if n := dispatchAll(t, ob); n != 1 {
		t.Fatalf("dispatched %d, want the one alert", n)
	}
	got := box.of(f.s, KindPasswordChanged)
	if len(got) != 1 || got[0].To != u.Email || got[0].ID == "" {
		t.Fatalf("password alerts: %+v", got)
	}
	if st, err := durable.Lookup(context.Background(), f.d, got[0].ID); err != nil || st.Status != durable.StatusDelivered {
		t.Fatalf("outbox message %s: %+v %v", got[0].ID, st, err)
	}
}

// A password change whose transaction rolls back (here: an outer transaction it joined fails
// afterwards) leaves no alert: nothing is ever sent.
func TestAlertOfARolledBackChangeIsNeverSent(t *testing.T) {
	f, box, ob := newOutboxFixture(t)
	u := f.register(t, 1)
	ss := f.login(t, u.Phone)
	dispatchAll(t, ob)
	boom := errors.New("a later step of the same transaction failed")
	err := f.d.WithTx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		if err := f.s.ChangePassword(ctx, PasswordChange{UserID: u.ID, SessionID: ss.ID, Current: goodPassword, New: "Teh-Manis-77-Panas"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("outer transaction: %v", err)
	}
	if n := dispatchAll(t, ob); n != 0 {
		t.Fatalf("dispatched %d messages of a rolled-back change", n)
	}
	if got := box.of(f.s, KindPasswordChanged); len(got) != 0 {
		t.Fatalf("alert of a rolled-back change sent: %+v", got)
	}
	f.login(t, u.Phone) // the old password still works: the change did roll back
}

// The lock alert is written by the transaction that locks the account.
func TestLockAlertThroughOutbox(t *testing.T) {
	f, box, ob := newOutboxFixture(t)
	u := f.register(t, 1)
	for range defaultLockoutThreshold {
		_ = f.wrongLogin(u.Phone, "203.0.113.9")
	}
	var rows int
	if err := f.d.QueryRow(context.Background(), "SELECT COUNT(*) FROM outbox_messages WHERE topic = ?", notify.Topic).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Fatalf("%d outbox rows after the lock, want 1", rows)
	}
	dispatchAll(t, ob)
	if got := box.of(f.s, KindAccountLocked); len(got) != 1 || got[0].To != u.Phone {
		t.Fatalf("lock alerts: %+v", got)
	}
}

// blockingSender holds every message until released.
type blockingSender struct {
	entered chan struct{}
	release chan struct{}
	box     *outbox
}

func (b *blockingSender) Send(ctx context.Context, m notify.Message) error {
	b.entered <- struct{}{}
	<-b.release
	return b.box.Send(ctx, m)
}

// A one-time code still on its way to the sender at shutdown is waited for: Drain returns
// only once it was handed over.
func TestDrainWaitsForCodesOnTheirWay(t *testing.T) {
	box := &outbox{}
	// Room for the registration's two verification codes and the recovery code.
	b := &blockingSender{entered: make(chan struct{}, 3), release: make(chan struct{}), box: box}
	f := newFixture(t, Options{Notify: b})
	u := f.register(t, 1)
	if err := f.s.RequestRecovery(context.Background(), RecoveryRequest{Login: u.Phone, Channel: notify.SMS, IP: "203.0.113.9"}); err != nil {
		t.Fatal(err)
	}
	<-b.entered
	drained := make(chan error, 1)
	go func() { drained <- f.s.Drain(context.Background()) }()
	select {
	case err := <-drained:
		t.Fatalf("Drain returned (%v) while a code was still on its way", err)
	default:
	}
	close(b.release)
	if err := <-drained; err != nil {
		t.Fatal(err)
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	n := 0
	for _, m := range box.msgs {
		if m.Kind == KindRecoveryCode {
			n++
		}
	}
	if len(box.msgs) != 3 || n != 1 {
		t.Fatalf("sent %+v, want the two verification codes and one recovery code", box.msgs)
	}
}

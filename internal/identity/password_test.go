package identity

import (
	"context"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
)

func (f *fixture) change(ss Session, current, next string) error {
	return f.s.ChangePassword(context.Background(), PasswordChange{UserID: ss.UserID, SessionID: ss.ID, Current: current, New: next, IP: "192.0.2.3"})
}

func TestChangePasswordRevokesOtherSessions(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	this, other := f.login(t, u.Email), f.login(t, u.Phone)
	// Both in the Authenticate cache: the change must reach it too.
	for _, ss := range []Session{this, other} {
		if _, err := f.s.Authenticate(ctx, ss.Token); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.change(this, goodPassword, newPassword); err != nil {
		t.Fatalf("change: %v", err)
	}
	if _, err := f.s.Authenticate(ctx, this.Token); err != nil {
		t.Fatalf("this session after the change: %v", err)
	}
	if _, err := f.s.Authenticate(ctx, other.Token); fault.Code(err) != "unauthenticated" {
		t.Fatalf("other session after the change: %v", err)
	}
	if _, _, err := f.s.Login(ctx, LoginInput{Login: u.Email, Password: newPassword, DeviceID: "dev-1"}); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if countKind(f.eventKinds(t, u.ID), EventPasswordChanged) != 1 || len(box.of(f.s, KindPasswordChanged)) != 1 {
		t.Fatal("password change not recorded or not notified")
	}
}

func TestChangePasswordWrongCurrentCountsTowardLockout(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	ss := f.login(t, u.Email)
	for i := 1; i <= 4; i++ {
		fe := wantFault(t, f.change(ss, "Wrong-Current-1", newPassword), "invalid_credentials")
		if fe.Fields["attempts_remaining"] != 5-i {
			t.Fatalf("attempts_remaining %v", fe.Fields["attempts_remaining"])
		}
	}
	wantFault(t, f.change(ss, "Wrong-Current-1", newPassword), "account_locked")
	wantFault(t, f.change(ss, goodPassword, newPassword), "account_locked")
	if _, err := f.s.Authenticate(context.Background(), ss.Token); err != nil {
		t.Fatalf("the session survives the lock: %v", err)
	}
}

func TestPasswordReuseOfLastFive(t *testing.T) {
	f, _ := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	ss := f.login(t, u.Email)
	pws := []string{goodPassword, "Rendang-Pedas-1!", "Sate-Ayam-22-Enak", "Nasi-Uduk-33-Gurih", "Es-Cendol-44-Segar"}
	cur := pws[0]
	for _, next := range pws[1:] {
		f.clock.Advance(time.Hour)
		if err := f.change(ss, cur, next); err != nil {
			t.Fatalf("change to %s: %v", next, err)
		}
		cur = next
	}
	// The last 5 (the current one included) are refused.
	for _, pw := range pws {
		f.clock.Advance(time.Second)
		wantFault(t, f.change(ss, cur, pw), "password_reused")
	}
	wantFault(t, f.change(ss, cur, "password123"), "weak_password")
	// One more change pushes the first out of the window: it may come back.
	f.clock.Advance(time.Hour)
	if err := f.change(ss, cur, "Martabak-Manis-55!"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	if err := f.change(ss, "Martabak-Manis-55!", pws[0]); err != nil {
		t.Fatalf("a password 6 changes old: %v", err)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM password_history WHERE user_id = ?", u.ID); n != passwordHistory {
		t.Fatalf("history keeps %d hashes, want %d", n, passwordHistory)
	}
}

func TestPasswordChangeDue(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		after  time.Duration
		due    bool
	}{
		{"fresh", 0, 179 * 24 * time.Hour, false},
		{"default 180 days", 0, 181 * 24 * time.Hour, true},
		{"configured 30 days", 30 * 24 * time.Hour, 31 * 24 * time.Hour, true},
		{"never", -1, 5000 * 24 * time.Hour, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, _ := newAccessFixture(t, Options{PasswordMaxAge: tc.maxAge})
			u := f.register(t, 1)
			f.clock.Advance(tc.after)
			ss := f.login(t, u.Email)
			p, err := f.s.Authenticate(context.Background(), ss.Token)
			if err != nil {
				t.Fatal(err)
			}
			prof, err := f.s.Profile(context.Background(), p.User)
			if err != nil {
				t.Fatal(err)
			}
			if prof.PasswordChangeDue != tc.due {
				t.Fatalf("password_change_due %v, want %v", prof.PasswordChangeDue, tc.due)
			}
			if tc.due {
				if err := f.change(ss, goodPassword, newPassword); err != nil {
					t.Fatal(err)
				}
				p, _ := f.s.Authenticate(context.Background(), ss.Token)
				if prof, _ := f.s.Profile(context.Background(), p.User); prof.PasswordChangeDue {
					t.Fatal("still due after a change")
				}
			}
		})
	}
}

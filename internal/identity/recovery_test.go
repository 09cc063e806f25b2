package identity

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

const newPassword = "Teh-Tarik-77-Manis"

func (f *fixture) recover(t testing.TB, login, channel string) {
	t.Helper()
	if err := f.s.RequestRecovery(context.Background(), RecoveryRequest{Login: login, Channel: channel, IP: "192.0.2.10"}); err != nil {
		t.Fatalf("recovery %s by %s: %v", login, channel, err)
	}
}

func (f *fixture) verifyCode(login, code string) (string, error) {
	return f.s.VerifyRecovery(context.Background(), RecoveryVerify{Login: login, Code: code, IP: "192.0.2.10"})
}

// wrongCode is a well-formed code other than right.
func wrongCode(right string, i int) string {
	c := fmt.Sprintf("%06d", (i*7919+13)%1_000_000)
	if c == right {
		c = fmt.Sprintf("%06d", (i*7919+14)%1_000_000)
	}
	return c
}

func TestRecoveryUnlocksAndRevokes(t *testing.T) {
	for _, channel := range []string{notify.SMS, notify.Email} {
		t.Run(channel, func(t *testing.T) {
			f, box := newAccessFixture(t, Options{})
			ctx := context.Background()
			u := f.register(t, 1)
			old := f.login(t, u.Email)
			for range 5 {
				_ = f.wrongLogin(u.Email, "198.51.100.1")
			}
			if got, _ := f.s.User(ctx, u.ID); got.Status != StatusLocked {
				t.Fatalf("status %s, want locked", got.Status)
			}

			f.recover(t, u.Phone, channel)
			msgs := box.of(f.s, KindRecoveryCode)
			want := u.Phone
			if channel == notify.Email {
				want = u.Email
			}
			if len(msgs) != 1 || msgs[0].Channel != channel || msgs[0].To != want {
				t.Fatalf("recovery messages %+v, want one by %s to %s", msgs, channel, want)
			}
			code := box.code(t, f.s, KindRecoveryCode)
			var stored string
			if err := f.d.QueryRow(ctx, "SELECT code_hash FROM access_codes WHERE user_id = ?", u.ID).Scan(&stored); err != nil || stored == code {
				t.Fatalf("code stored as %q (err %v): want a hash", stored, err)
			}

			token, err := f.verifyCode(u.Email, " "+code[:3]+" "+code[3:]) // as some people type it
			if err != nil || token == "" {
				t.Fatalf("verify: %q %v", token, err)
			}
			if _, err := f.verifyCode(u.Email, code); fault.Code(err) != "invalid_code" {
				t.Fatalf("the code verified twice: %v", err)
			}
			if err := f.s.ResetPassword(ctx, PasswordReset{Token: token, NewPassword: newPassword}); err != nil {
				t.Fatalf("reset: %v", err)
			}
			if _, err := f.s.Authenticate(ctx, old.Token); fault.Code(err) != "unauthenticated" {
				t.Fatalf("old session after reset: %v", err)
			}
			if _, _, err := f.s.Login(ctx, LoginInput{Login: u.Email, Password: goodPassword, DeviceID: "dev-1"}); fault.Code(err) != "invalid_credentials" {
				t.Fatalf("old password after reset: %v", err)
			}
			if _, _, err := f.s.Login(ctx, LoginInput{Login: u.Email, Password: newPassword, DeviceID: "dev-1"}); err != nil {
				t.Fatalf("new password: %v", err)
			}
			got, _ := f.s.User(ctx, u.ID)
			if got.Status != StatusActive || got.LockedUntil != nil || got.FailedLogins != 0 {
				t.Fatalf("after reset: %+v", got)
			}
			if err := f.s.ResetPassword(ctx, PasswordReset{Token: token, NewPassword: "Another-Pass-88!"}); fault.Code(err) != "invalid_code" {
				t.Fatalf("token spent twice: %v", err)
			}
			kinds := f.eventKinds(t, u.ID)
			for _, k := range []string{EventRecoveryRequest, EventRecoveryVerify, EventPasswordReset, EventAccountUnlocked} {
				if countKind(kinds, k) != 1 {
					t.Errorf("events %v: want one %s", kinds, k)
				}
			}
			if n := len(box.of(f.s, KindPasswordChanged)); n == 0 {
				t.Error("no password-changed notification")
			}
		})
	}
}

func TestRecoveryCodeVoidAfterFiveWrong(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	f.recover(t, u.Email, notify.Email)
	code := box.code(t, f.s, KindRecoveryCode)
	for i := range 5 {
		if _, err := f.verifyCode(u.Email, wrongCode(code, i)); fault.Code(err) != "invalid_code" {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if _, err := f.verifyCode(u.Email, code); fault.Code(err) != "invalid_code" {
		t.Fatalf("the right code after 5 wrong: %v, want invalid_code", err)
	}
	// A new code (after 60 s) works again.
	f.clock.Advance(61 * time.Second)
	f.recover(t, u.Email, notify.Email)
	if _, err := f.verifyCode(u.Email, box.code(t, f.s, KindRecoveryCode)); err != nil {
		t.Fatalf("fresh code: %v", err)
	}
}

// Concurrent guesses get no more than 5 looks at a code between them.
func TestRecoveryCodeConcurrentGuesses(t *testing.T) {
	many := RateLimit{Every: time.Millisecond, Burst: 1000}
	f, box := newAccessFixture(t, Options{RateLimits: RateLimits{VerifyPerUser: many, VerifyPerIP: many}})
	u := f.register(t, 1)
	f.recover(t, u.Phone, notify.SMS)
	code := box.code(t, f.s, KindRecoveryCode)
	var wg sync.WaitGroup
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = f.s.VerifyRecovery(context.Background(), RecoveryVerify{Login: u.Phone, Code: wrongCode(code, i), IP: "192.0.2.10"})
		}()
	}
	wg.Wait()
	if n := countKind(f.eventKinds(t, u.ID), EventRecoveryCode); n != 5 {
		t.Fatalf("%d wrong codes were looked at, want 5", n)
	}
	if _, err := f.verifyCode(u.Phone, code); fault.Code(err) != "invalid_code" {
		t.Fatalf("right code after the burst: %v", err)
	}
}

func TestRecoveryResendAndExpiry(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	f.recover(t, u.Phone, notify.SMS)
	first := box.code(t, f.s, KindRecoveryCode)
	f.clock.Advance(59 * time.Second)
	f.recover(t, u.Phone, notify.SMS)
	if n := len(box.of(f.s, KindRecoveryCode)); n != 1 {
		t.Fatalf("%d codes sent within 60 s, want 1", n)
	}
	f.clock.Advance(2 * time.Second)
	f.recover(t, u.Phone, notify.SMS)
	if n := len(box.of(f.s, KindRecoveryCode)); n != 2 {
		t.Fatalf("%d codes sent after 60 s, want 2", n)
	}
	second := box.code(t, f.s, KindRecoveryCode)
	if first != second {
		if _, err := f.verifyCode(u.Phone, first); fault.Code(err) != "invalid_code" {
			t.Fatalf("a replaced code still works: %v", err)
		}
	}
	f.clock.Advance(10 * time.Minute)
	if _, err := f.verifyCode(u.Phone, second); fault.Code(err) != "invalid_code" {
		t.Fatalf("a code older than 10 minutes works: %v", err)
	}
}

// Someone asking for codes in a victim's name can delay the victim's code by minutes, not
// withhold it: the budget of sends refills.
func TestRecoverySendBudgetRefills(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	for range 8 {
		f.recover(t, u.Email, notify.Email)
		f.clock.Advance(61 * time.Second)
	}
	if n := len(box.of(f.s, KindRecoveryCode)); n != 5 {
		t.Fatalf("%d codes sent, want the budget of 5", n)
	}
	f.clock.Advance(12 * time.Minute)
	f.recover(t, u.Email, notify.Email)
	if n := len(box.of(f.s, KindRecoveryCode)); n != 6 {
		t.Fatalf("%d codes sent after the budget refilled, want 6", n)
	}
}

func TestRecoveryRevealsNothing(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	for _, login := range []string{u.Email, "nobody@example.com", "+6289999999999"} {
		for _, ch := range []string{notify.SMS, notify.Email} {
			if err := f.s.RequestRecovery(ctx, RecoveryRequest{Login: login, Channel: ch, IP: "192.0.2.1"}); err != nil {
				t.Fatalf("%s by %s: %v", login, ch, err)
			}
		}
	}
	if n := len(box.of(f.s, KindRecoveryCode)); n != 1 {
		t.Fatalf("%d codes sent, want 1 (the known account, once within 60 s)", n)
	}
	if _, err := f.verifyCode("nobody@example.com", "123456"); fault.Code(err) != "invalid_code" {
		t.Fatalf("unknown login verify: %v", err)
	}
	for _, bad := range []RecoveryRequest{{Login: u.Email, Channel: "pigeon"}, {Login: "", Channel: notify.SMS}} {
		if err := f.s.RequestRecovery(ctx, bad); fault.Code(err) != "invalid_request" {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
}

func TestResetRefusesWeakAndReusedPasswords(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	f.recover(t, u.Email, notify.Email)
	token, err := f.verifyCode(u.Email, box.code(t, f.s, KindRecoveryCode))
	if err != nil {
		t.Fatal(err)
	}
	for pw, code := range map[string]string{
		"short1!":      "weak_password",
		"Password1!":   "weak_password",
		goodPassword:   "password_reused",
		"":             "invalid_request",
		"NoDigitsHere": "weak_password",
	} {
		if err := f.s.ResetPassword(ctx, PasswordReset{Token: token, NewPassword: pw}); fault.Code(err) != code {
			t.Errorf("reset to %q: %v, want %s", pw, err, code)
		}
	}
	// None of the refusals spent the token.
	if err := f.s.ResetPassword(ctx, PasswordReset{Token: token, NewPassword: newPassword}); err != nil {
		t.Fatalf("reset after refusals: %v", err)
	}
	if err := f.s.ResetPassword(ctx, PasswordReset{Token: "nonsense", NewPassword: newPassword}); fault.Code(err) != "invalid_code" {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestResetTokenExpires(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	u := f.register(t, 1)
	f.recover(t, u.Email, notify.SMS)
	token, err := f.verifyCode(u.Email, box.code(t, f.s, KindRecoveryCode))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Minute)
	if err := f.s.ResetPassword(context.Background(), PasswordReset{Token: token, NewPassword: newPassword}); fault.Code(err) != "invalid_code" {
		t.Fatalf("reset with a 15-minute-old token: %v", err)
	}
}

// Someone who knows the victim's phone number, asking for codes and guessing from other
// networks, neither voids nor guesses the victim's code, nor uses up the victim's sends.
func TestRecoveryCodeBelongsToItsNetwork(t *testing.T) {
	f, box := newAccessFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	f.login(t, u.Email) // from 203.0.113.7: a network the user is known on
	victim := func(ip string) RecoveryRequest { return RecoveryRequest{Login: u.Phone, Channel: notify.SMS, IP: ip} }
	if err := f.s.RequestRecovery(ctx, victim("203.0.113.7")); err != nil {
		t.Fatal(err)
	}
	code := box.code(t, f.s, KindRecoveryCode)

	// The attacker asks from 30 networks (each code goes to the victim's phone, useless to
	// them) and guesses 5 times at each of their codes, the victim's code among the guesses.
	for i := range 30 {
		ip := fmt.Sprintf("198.51.100.%d", i+1)
		if err := f.s.RequestRecovery(ctx, victim(ip)); err != nil {
			t.Fatal(err)
		}
		for j := range 5 {
			guess := wrongCode(code, j)
			if j == 0 {
				guess = code
			}
			if _, err := f.s.VerifyRecovery(ctx, RecoveryVerify{Login: u.Phone, Code: guess, IP: ip}); fault.Code(err) != "invalid_code" {
				t.Fatalf("guess from %s: %v", ip, err)
			}
		}
	}
	// Codes to all networks together are bounded (20 at once, then one every 3 minutes)...
	if n := len(box.of(f.s, KindRecoveryCode)); n != 1+20 {
		t.Fatalf("%d codes sent, want the victim's and 20 more", n)
	}
	// ...but not for a network the user is known on, and the victim's code still works.
	f.clock.Advance(61 * time.Second)
	token, err := f.s.VerifyRecovery(ctx, RecoveryVerify{Login: u.Phone, Code: code, IP: "203.0.113.7"})
	if err != nil {
		t.Fatalf("the victim's code after the attack: %v", err)
	}
	if err := f.s.ResetPassword(ctx, PasswordReset{Token: token, NewPassword: newPassword}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM access_codes WHERE user_id = ?", u.ID); n != 0 {
		t.Fatalf("%d recovery codes left after the reset", n)
	}
	if err := f.s.RequestRecovery(ctx, victim("203.0.113.7")); err != nil {
		t.Fatal(err)
	}
	if n := len(box.of(f.s, KindRecoveryCode)); n != 22 {
		t.Fatalf("a known network's request after the user-wide budget ran out sent nothing (%d codes)", n)
	}
}

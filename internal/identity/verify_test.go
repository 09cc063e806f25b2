package identity

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// codeOf returns the code of the latest message of kind to to, failing when there is none.
func codeOf(t testing.TB, f *fixture, r *recorder, kind, to string) string {
	t.Helper()
	if err := f.s.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	var code string
	for _, m := range r.ofKind(kind) {
		if m.To == to {
			code = sixDigitRE.FindString(m.Text)
		}
	}
	if code == "" {
		t.Fatalf("no %s message with a code to %s", kind, to)
	}
	return code
}

func sentTo(t testing.TB, f *fixture, r *recorder, kind, to string) int {
	t.Helper()
	if err := f.s.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range r.ofKind(kind) {
		if m.To == to {
			n++
		}
	}
	return n
}

// Registration sends a code to the phone and one to the email; each, typed in, verifies what
// it was sent to, and only that. A user reads as unverified until then.
func TestRegistrationCodesVerifyPhoneAndEmail(t *testing.T) {
	rec := &recorder{}
	f := newFixture(t, Options{Notify: rec})
	ctx := context.Background()
	u, err := f.s.Register(ctx, validInput(1))
	if err != nil {
		t.Fatal(err)
	}
	if u.PhoneVerified || u.EmailVerified {
		t.Fatalf("a new user reads as verified: %+v", u)
	}
	phoneCode := codeOf(t, f, rec, KindPhoneCode, u.Phone)
	emailCode := codeOf(t, f, rec, KindEmailCode, u.Email)

	wantCode(t, f.s.Verify(ctx, u.ID, notify.SMS, otherCode(phoneCode), ""), "invalid_code")
	wantCode(t, f.s.Verify(ctx, u.ID, notify.SMS, emailCode, ""), "invalid_code") // the email's code is not the phone's
	if err := f.s.Verify(ctx, u.ID, notify.SMS, phoneCode, ""); err != nil {
		t.Fatalf("right phone code: %v", err)
	}
	got, _ := f.s.User(ctx, u.ID)
	if !got.PhoneVerified || got.EmailVerified {
		t.Fatalf("after the phone code: phone %v email %v", got.PhoneVerified, got.EmailVerified)
	}
	if err := f.s.Verify(ctx, u.ID, notify.Email, emailCode, ""); err != nil {
		t.Fatalf("right email code: %v", err)
	}
	got, _ = f.s.User(ctx, u.ID)
	if !got.PhoneVerified || !got.EmailVerified {
		t.Fatalf("after both codes: phone %v email %v", got.PhoneVerified, got.EmailVerified)
	}
	// Verified stays verified: the code again is fine, a resend is refused.
	if err := f.s.Verify(ctx, u.ID, notify.SMS, phoneCode, ""); err != nil {
		t.Fatalf("verifying again: %v", err)
	}
	wantCode(t, f.s.SendVerification(ctx, u.ID, notify.SMS, ""), "invalid_state")
}

// 5 wrong codes void the code, the right one included; no new code within 60 s of the last
// one sent, and one after.
func TestVerificationCodeVoidAndResend(t *testing.T) {
	rec := &recorder{}
	f := newFixture(t, Options{Notify: rec})
	ctx := context.Background()
	u, err := f.s.Register(ctx, validInput(1))
	if err != nil {
		t.Fatal(err)
	}
	code := codeOf(t, f, rec, KindPhoneCode, u.Phone)
	if err := f.s.SendVerification(ctx, u.ID, notify.SMS, ""); err != nil {
		t.Fatal(err)
	}
	if n := sentTo(t, f, rec, KindPhoneCode, u.Phone); n != 1 {
		t.Fatalf("%d codes sent within 60 s, want 1", n)
	}
	for range codeMaxAttempts {
		wantCode(t, f.s.Verify(ctx, u.ID, notify.SMS, otherCode(code), ""), "invalid_code")
	}
	wantCode(t, f.s.Verify(ctx, u.ID, notify.SMS, code, ""), "invalid_code")
	f.clock.Advance(61 * time.Second)
	if err := f.s.SendVerification(ctx, u.ID, notify.SMS, ""); err != nil {
		t.Fatal(err)
	}
	if n := sentTo(t, f, rec, KindPhoneCode, u.Phone); n != 2 {
		t.Fatalf("%d codes sent after 60 s, want 2", n)
	}
	if err := f.s.Verify(ctx, u.ID, notify.SMS, codeOf(t, f, rec, KindPhoneCode, u.Phone), ""); err != nil {
		t.Fatalf("the new code: %v", err)
	}
}

// Recovery sends a code only to a verified phone or email, and answers alike either way.
func TestRecoveryOnlyToVerifiedContacts(t *testing.T) {
	rec := &recorder{}
	f := newFixture(t, Options{Notify: rec})
	ctx := context.Background()
	u, err := f.s.Register(ctx, validInput(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{notify.SMS, notify.Email} {
		if err := f.s.RequestRecovery(ctx, RecoveryRequest{Login: u.Phone, Channel: ch, IP: "203.0.113.9"}); err != nil {
			t.Fatalf("recovery by %s to an unverified contact answered %v, want nil", ch, err)
		}
	}
	if n := sentTo(t, f, rec, KindRecoveryCode, u.Phone) + sentTo(t, f, rec, KindRecoveryCode, u.Email); n != 0 {
		t.Fatalf("%d recovery codes went to unverified contacts", n)
	}
	if err := f.s.MarkVerified(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{notify.SMS, notify.Email} {
		f.clock.Advance(61 * time.Second) // one recovery code a minute, whatever the channel
		if err := f.s.RequestRecovery(ctx, RecoveryRequest{Login: u.Phone, Channel: ch, IP: "203.0.113.9"}); err != nil {
			t.Fatal(err)
		}
	}
	if sentTo(t, f, rec, KindRecoveryCode, u.Phone) != 1 || sentTo(t, f, rec, KindRecoveryCode, u.Email) != 1 {
		t.Fatalf("recovery codes to verified contacts: %d by SMS, %d by email, want 1 each",
			sentTo(t, f, rec, KindRecoveryCode, u.Phone), sentTo(t, f, rec, KindRecoveryCode, u.Email))
	}
}

// Local numbers are read in the default country; E.164 is kept; nonsense is refused.
func TestNormalizePhone(t *testing.T) {
	for _, c := range []struct {
		in, country, want string
		ok                bool
	}{
		{"081234567890", "ID", "+6281234567890", true},
		{"0812-3456-7890", "ID", "+6281234567890", true},
		{" 0812 3456 7890 ", "ID", "+6281234567890", true},
		{"+6281234567890", "ID", "+6281234567890", true},
		{"+62 812-3456-7890", "SG", "+6281234567890", true},
		{"+62 812 3456 7890", "ID", "+6281234567890", true},
		{"6281234567890", "ID", "+6281234567890", true}, // the country code without its +
		{"91234567", "SG", "+6591234567", true},
		{"13800138000", "CN", "+8613800138000", true},
		{"12", "ID", "", false},
		{"0812abc", "ID", "", false},
		{"+0812345678", "ID", "", false},
	} {
		got, ok := normalizePhone(c.in, c.country)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("normalizePhone(%q, %s) = %q, %v; want %q, %v", c.in, c.country, got, ok, c.want, c.ok)
		}
	}
}

// A local number registers as E.164 and logs in either way.
func TestRegisterLocalNumber(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	in := validInput(1)
	in.Phone = "0812-7777-0001"
	u, err := f.s.Register(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if u.Phone != "+6281277770001" {
		t.Fatalf("phone stored as %q", u.Phone)
	}
	for _, login := range []string{"081277770001", "+6281277770001"} {
		if _, _, err := f.s.Login(ctx, LoginInput{Login: login, Password: goodPassword, DeviceID: "d1"}); err != nil {
			t.Fatalf("login as %s: %v", login, err)
		}
	}
	in = validInput(2)
	in.Phone = "081277770001"
	_, err = f.s.Register(ctx, in)
	if fe, _ := fault.As(err); fe == nil || fe.Code != "already_exists" {
		t.Fatalf("the same number typed locally: %v, want already_exists", err)
	}
}

// Right PINs never count, however many at once; a right one after wrong ones clears them;
// an account without a PIN is pin_required.
func TestCheckPINRightNeverCounts(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	wantCode(t, f.s.CheckPIN(ctx, u.ID, "302918"), "pin_required")
	if err := f.s.SetPIN(ctx, SetPINInput{UserID: u.ID, PIN: "302918", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, f.s.CheckPIN(ctx, u.ID, "111111"), "invalid_pin")
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Go(func() { errs[i] = f.s.CheckPIN(ctx, u.ID, "302918") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("right PIN %d: %v", i, err)
		}
	}
	if st, _ := f.s.PINState(ctx, u.ID); st.Locked || f.count(t, "SELECT failed FROM payment_pins WHERE user_id = ?", u.ID) != 0 {
		t.Fatalf("after right PINs: %+v, failed %d", st, f.count(t, "SELECT failed FROM payment_pins WHERE user_id = ?", u.ID))
	}
}

package identity

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestTOTPKey(t *testing.T) {
	secret, raw, err := newTOTPKey("budi@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) != 32 { // 20 bytes in base32
		t.Fatalf("secret %q", secret)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || !strings.Contains(u.Path, "Dompet:budi@example.com") ||
		q.Get("secret") != secret || q.Get("issuer") != "Dompet" || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("otpauth url %s", raw)
	}
	if other, _, _ := newTOTPKey("budi@example.com"); other == secret {
		t.Fatal("two secrets are equal")
	}
}

// TestTOTPAgainstOathtool checks matchTOTP against an independent implementation at many
// instants, including the edges of a step, and the ±1 step window.
func TestTOTPAgainstOathtool(t *testing.T) {
	secret, _, err := newTOTPKey("x@example.com")
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, off := range []time.Duration{0, 29 * time.Second, 30 * time.Second, 17 * time.Minute, 1000 * time.Hour} {
		now := base.Add(off)
		step := totpStep(now)
		tests := []struct {
			name string
			at   time.Time
			want int64 // 0: refused
		}{
			{"now", now, step},
			{"one step behind", now.Add(-30 * time.Second), step - 1},
			{"one step ahead", now.Add(30 * time.Second), step + 1},
			{"two steps behind", now.Add(-60 * time.Second), 0},
			{"two steps ahead", now.Add(60 * time.Second), 0},
		}
		for _, tt := range tests {
			code := oathtool(t, secret, tt.at)
			got := matchTOTP(secret, code, now, 0)
			// A refused code may by chance equal one inside the window (p ≈ 3e-6).
			if got != tt.want && !(tt.want == 0 && got != 0 && code == oathtool(t, secret, time.Unix(got*30, 0))) {
				t.Errorf("+%v %s: code %s matched step %d, want %d", off, tt.name, code, got, tt.want)
			}
		}
	}
	code := oathtool(t, secret, base)
	if got := matchTOTP(secret, code, base, totpStep(base)); got != 0 {
		t.Fatal("a code at the last accepted step was accepted again")
	}
	if got := matchTOTP(secret, code, base, totpStep(base)-1); got != totpStep(base) {
		t.Fatal("a code after the last accepted step was refused")
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", " " + code, "abcdef"} {
		if matchTOTP(secret, bad, base, 0) != 0 {
			t.Errorf("%q matched", bad)
		}
	}
	if matchTOTP("not base32!", "123456", base, 0) != 0 {
		t.Error("a corrupt secret matched")
	}
}

func TestEnrollAndConfirmTOTP(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	ctx := context.Background()
	u := f.register(t, 1)
	f.login(t, u.Phone)

	if _, err := f.s.ConfirmTOTP(ctx, u.ID, "123456"); wantCode(t, err, "invalid_state") == nil {
		t.Fatal("confirm without enrollment")
	}
	first, err := f.s.EnrollTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	en, err := f.s.EnrollTOTP(ctx, u.ID) // enrolling again replaces the secret
	if err != nil || en.Secret == first.Secret || !strings.Contains(en.OTPAuthURL, en.Secret) {
		t.Fatalf("second enrollment %+v %v", en, err)
	}
	now := f.clock.Now()
	if _, err := f.s.ConfirmTOTP(ctx, u.ID, oathtool(t, first.Secret, now)); err == nil {
		t.Fatal("the replaced secret's code was accepted")
	}
	if _, err := f.s.ConfirmTOTP(ctx, u.ID, oathtool(t, en.Secret, now.Add(-90*time.Second))); wantCode(t, err, "invalid_code") == nil {
		t.Fatal("a stale code confirmed")
	}
	if got, _ := f.s.User(ctx, u.ID); got.TwoFactor.Enabled {
		t.Fatal("two-factor on before confirmation")
	}
	confirming := oathtool(t, en.Secret, now)
	codes, err := f.s.ConfirmTOTP(ctx, u.ID, confirming)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 11 || c[5] != '-' || seen[c] {
			t.Fatalf("recovery code %q", c)
		}
		seen[c] = true
	}
	if n := f.count(t, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND code_hash = ?", u.ID, codes[0]); n != 0 {
		t.Fatal("a recovery code is stored as is")
	}
	got, _ := f.s.User(ctx, u.ID)
	if !got.TwoFactor.Enabled || strings.Join(got.TwoFactor.Methods, ",") != "totp,sms,email" {
		t.Fatalf("two_factor %+v", got.TwoFactor)
	}
	if _, err := f.s.EnrollTOTP(ctx, u.ID); wantCode(t, err, "invalid_state") == nil {
		t.Fatal("enrolled while on")
	}
	if len(rec.ofKind(alertTwoFactorOn)) != 1 {
		t.Fatal("no two-factor alert")
	}

	// The confirming code can't log in, even from the known device and network.
	_, _, err = f.loginWith("dev-1", "203.0.113.7", confirming)
	wantCode(t, err, "invalid_code")
	_, _, err = f.loginWith("dev-1", "203.0.113.7", "")
	wantMethods(t, err, "totp", "sms", "email")
	if len(rec.ofKind("login_code")) != 0 {
		t.Fatal("a code was sent to a TOTP user who did not ask")
	}

	// The next step's code logs in, once.
	f.clock.Advance(30 * time.Second)
	next := oathtool(t, en.Secret, f.clock.Now())
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", next); err != nil {
		t.Fatalf("login with TOTP: %v", err)
	}
	_, _, err = f.loginWith("dev-1", "203.0.113.7", next)
	wantCode(t, err, "invalid_code")

	// ±1 step of skew is forgiven; two steps is not.
	f.clock.Advance(5 * time.Minute)
	now = f.clock.Now()
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", oathtool(t, en.Secret, now.Add(-30*time.Second))); err != nil {
		t.Fatalf("a code one step behind: %v", err)
	}
	f.clock.Advance(5 * time.Minute)
	now = f.clock.Now()
	ahead := oathtool(t, en.Secret, now.Add(30*time.Second))
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", " "+ahead[:3]+" "+ahead[3:]); err != nil { // as apps show it
		t.Fatalf("a code one step ahead: %v", err)
	}
	f.clock.Advance(5 * time.Minute)
	now = f.clock.Now()
	for _, off := range []time.Duration{-60 * time.Second, 60 * time.Second} {
		_, _, err := f.loginWith("dev-1", "203.0.113.7", oathtool(t, en.Secret, now.Add(off)))
		wantCode(t, err, "invalid_code")
	}
}

func TestRecoveryCodesWorkOnce(t *testing.T) {
	f, _ := newTwoFactorFixture(t)
	ctx := context.Background()
	u := f.register(t, 1)
	f.login(t, u.Phone)
	_, codes := f.enableTOTP(t, u)

	// Any case, with or without the dash.
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", strings.ToUpper(strings.ReplaceAll(codes[3], "-", ""))); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	_, _, err := f.loginWith("dev-1", "203.0.113.7", codes[3])
	wantCode(t, err, "invalid_code")
	if n, _ := f.s.RecoveryCodesLeft(ctx, u.ID); n != 9 {
		t.Fatalf("%d codes left, want 9", n)
	}
	_, _, err = f.loginWith("dev-1", "203.0.113.7", "zzzzz-zzzzz")
	wantCode(t, err, "invalid_code")
	evs, _ := f.s.SecurityEvents(ctx, u.ID, 50)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e.Kind]++
	}
	if kinds[EventRecoveryCodeUsed] != 1 || kinds[EventSecondFactorFailed] != 2 {
		t.Fatalf("events %v", kinds)
	}
}

func TestDisableTwoFactor(t *testing.T) {
	f, rec := newTwoFactorFixture(t)
	ctx := context.Background()
	u := f.register(t, 1)
	f.login(t, u.Phone)
	secret, codes := f.enableTOTP(t, u)
	f.clock.Advance(time.Minute)
	code := oathtool(t, secret, f.clock.Now())

	wantCode(t, f.s.DisableTwoFactor(ctx, u.ID, "Wrong-pass-1!", code), "invalid_credentials")
	wantCode(t, f.s.DisableTwoFactor(ctx, u.ID, goodPassword, "000000"), "invalid_code")
	if err := f.s.DisableTwoFactor(ctx, u.ID, goodPassword, codes[0]); err != nil {
		t.Fatal(err)
	}
	got, _ := f.s.User(ctx, u.ID)
	if got.TwoFactor.Enabled || len(got.TwoFactor.Methods) != 0 {
		t.Fatalf("two_factor %+v after disable", got.TwoFactor)
	}
	if n, _ := f.s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Fatalf("%d recovery codes left", n)
	}
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", ""); err != nil {
		t.Fatalf("login without a code after disable: %v", err)
	}
	wantCode(t, f.s.DisableTwoFactor(ctx, u.ID, goodPassword, code), "invalid_state")
	if len(rec.ofKind(alertTwoFactorOff)) != 1 {
		t.Fatal("no alert")
	}
}

// Wrong codes are throttled: a thief with the password can't work through the code space.
func TestWrongCodesAreThrottled(t *testing.T) {
	f, _ := newTwoFactorFixture(t)
	u := f.register(t, 1)
	f.login(t, u.Phone)
	secret, _ := f.enableTOTP(t, u)
	for i := range codeFailuresShort {
		_, _, err := f.loginWith("dev-1", "203.0.113.7", "000000")
		if fault := wantCode(t, err, "invalid_code"); fault == nil {
			t.Fatal(i)
		}
	}
	f.clock.Advance(time.Minute)
	_, _, err := f.loginWith("dev-1", "203.0.113.7", oathtool(t, secret, f.clock.Now()))
	fe := wantCode(t, err, "rate_limited")
	if d, _ := fe.Fields["retry_after"].(time.Duration); d <= 0 || d > codeWindowShort {
		t.Fatalf("retry_after %v", fe.Fields["retry_after"])
	}
	f.clock.Advance(codeWindowShort)
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", oathtool(t, secret, f.clock.Now())); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

package identity

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/fault"
)

func TestPasswordPolicy(t *testing.T) {
	l := parseCommonList(commonPasswordsTxt)
	if len(l) < 300 {
		t.Fatalf("common password list has %d entries, want a few hundred", len(l))
	}
	weak := []struct{ pw, reason string }{
		{"", ReasonTooShort},
		{"Ab1!", ReasonTooShort},
		{"Abcdef1!x", ReasonTooShort}, // 9 characters
		{"密码密码密码1!x", ReasonTooShort},
		{"1234567890!@", ReasonNoLetter},
		{"abcdefghij!@", ReasonNoDigit},
		{"Mangga Muda 2024", ReasonNoSymbol}, // spaces are not symbols
		{"abcdefghij12", ReasonNoSymbol},
		{"password123!", ReasonCommon},
		{"Password123!", ReasonCommon},
		{"!!Password2024", ReasonCommon},
		{"P@ssw0rd1234", ReasonCommon},
		{"qwertyuiop1!", ReasonCommon},
		{"1q2w3e4r5t!!", ReasonCommon},
		{"Welcome1!2345", ReasonCommon},
		{"bismillah123!", ReasonCommon},
		{"woaini1314!!", ReasonCommon},
		{"Dompet2026!!", ReasonCommon},
		{"$unshine2026", ReasonCommon},
		{"he11oworld!1", ReasonCommon},
	}
	for _, c := range weak {
		reason, msg := l.passwordProblem(c.pw)
		if reason != c.reason {
			t.Errorf("%q: reason %q (%s), want %q", c.pw, reason, msg, c.reason)
		}
	}
	strong := []string{
		goodPassword,
		"correct-horse-battery-9",
		"Nasi!Goreng7Pedas",
		"我的钱包很安全-2026",
		"password-is-not-my-password-7", // contains a common word but is not one padded
		"Xk7#qP2!mZ",
	}
	for _, pw := range strong {
		if reason, msg := l.passwordProblem(pw); reason != "" {
			t.Errorf("%q refused: %s (%s)", pw, reason, msg)
		}
	}
}

func TestCheckRegister(t *testing.T) {
	l := parseCommonList(commonPasswordsTxt)
	good := RegisterInput{Phone: " +6281234567890 ", Email: " Alice@Example.COM ", Password: goodPassword, DisplayName: " Alice "}
	got, err := l.checkRegister(good)
	if err != nil {
		t.Fatalf("valid input refused: %v", err)
	}
	want := RegisterInput{Phone: "+6281234567890", Email: "alice@example.com", Password: goodPassword, DisplayName: "Alice", Locale: LocaleEN}
	if got != want {
		t.Fatalf("normalized to %+v, want %+v", got, want)
	}
	zh := good
	zh.Locale = "zh-cn"
	if got, err := l.checkRegister(zh); err != nil || got.Locale != LocaleZhCN {
		t.Fatalf("zh-cn: %+v %v", got, err)
	}
}

func FuzzRegisterInput(f *testing.F) {
	f.Add("+6281234567890", "a@example.com", goodPassword, "Alice", "en")
	f.Add("+0", "<a@b>", "password123!", "", "zh-CN")
	f.Add("+86 138 0013 8000", "Bob <bob@example.com>", "密码密码密码1!x", "\x00", "fr")
	f.Add("", "\"q u\"@x.org", "\xff\xfe1!aaaaaaaa", strings.Repeat("名", 81), "")
	l := parseCommonList(commonPasswordsTxt)
	f.Fuzz(func(t *testing.T, phone, email, password, name, locale string) {
		in := RegisterInput{Phone: phone, Email: email, Password: password, DisplayName: name, Locale: locale}
		got, err := l.checkRegister(in)
		if err != nil {
			fe, ok := fault.As(err)
			if !ok {
				t.Fatalf("error without a code: %v", err)
			}
			if fe.Code != fault.ErrInvalid.Code && !errors.Is(err, ErrWeakPassword) {
				t.Fatalf("unexpected code %q", fe.Code)
			}
			if fe.Code == fault.ErrInvalid.Code && len(fe.Errs) == 0 {
				t.Fatalf("validation error names no field: %v", err)
			}
			return
		}
		// Whatever is accepted is well-formed.
		if !validPhone(got.Phone) || got.Email != strings.ToLower(got.Email) || !strings.Contains(got.Email, "@") {
			t.Fatalf("accepted malformed contact %+v", got)
		}
		if n := utf8.RuneCountInString(got.DisplayName); n < 1 || n > 80 {
			t.Fatalf("accepted display name of %d characters", n)
		}
		if got.Locale != LocaleEN && got.Locale != LocaleZhCN {
			t.Fatalf("accepted locale %q", got.Locale)
		}
		if utf8.RuneCountInString(got.Password) < MinPasswordLen || l.contains(got.Password) {
			t.Fatalf("accepted weak password %q", got.Password)
		}
	})
}

func TestHashRoundTrip(t *testing.T) {
	p := Argon2Params{Time: 2, MemoryKiB: 128, Threads: 2, SaltLen: 16, KeyLen: 32}
	h, err := hashPassword(p, "s3cret!-pass")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=128,t=2,p=2$") {
		t.Fatalf("not PHC form: %s", h)
	}
	h2, _ := hashPassword(p, "s3cret!-pass")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt not random")
	}
	if ok, err := verifyPassword(h, "s3cret!-pass"); !ok || err != nil {
		t.Fatalf("right password: %v %v", ok, err)
	}
	if ok, err := verifyPassword(h, "s3cret!-pasS"); ok || err != nil {
		t.Fatalf("wrong password: %v %v", ok, err)
	}
	// The stored parameters, not the current ones, decide verification.
	got, _, _, err := parseHash(h)
	if err != nil || got.Time != 2 || got.MemoryKiB != 128 || got.Threads != 2 || got.KeyLen != 32 {
		t.Fatalf("parsed %+v %v", got, err)
	}
}

func TestParseHashRejectsMalformed(t *testing.T) {
	good, _ := hashPassword(cheapArgon.withDefaults(), "x")
	parts := strings.Split(good, "$")
	bad := []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=0$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=99999999,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1$" + parts[4] + "$" + parts[5] + "$",
		"$argon2id$v=19$m=64,t=1,p=1,x=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$",
	}
	for _, h := range bad {
		if ok, err := verifyPassword(h, "x"); ok || err == nil {
			t.Errorf("%q: ok=%v err=%v, want an error", h, ok, err)
		}
	}
}

func FuzzVerifyPassword(f *testing.F) {
	good, _ := hashPassword(cheapArgon.withDefaults(), "x")
	f.Add(good, "x")
	f.Add("$argon2id$v=19$m=8,t=1,p=1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA", "")
	f.Fuzz(func(t *testing.T, h, pw string) {
		p, _, _, err := parseHash(h)
		if err == nil && (p.MemoryKiB > 1<<12 || p.Time > 4) {
			t.Skip("valid but expensive") // bounded, but not worth fuzzing time
		}
		_, _ = verifyPassword(h, pw)
	})
}

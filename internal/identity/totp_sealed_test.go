package identity

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/secret"
)

// codeAt is the TOTP code of secret at t, from the library directly (no oathtool needed).
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// totpColumns reads user_totp's two secret columns of userID as stored.
func (f *fixture) totpColumns(t testing.TB, userID string) (secretCol, pendingCol string) {
	t.Helper()
	err := f.d.QueryRow(context.Background(), "SELECT secret, pending_secret FROM user_totp WHERE user_id = ?", userID).Scan(&secretCol, &pendingCol)
	if err != nil {
		t.Fatal(err)
	}
	return secretCol, pendingCol
}

// TestTOTPSecretSealedAtRest: the store never holds the TOTP secret in clear, from enrolment
// through confirmation, and logging in with a TOTP code still works.
func TestTOTPSecretSealedAtRest(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	u := f.register(t, 1)
	f.login(t, u.Phone)

	en, err := f.s.EnrollTOTP(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	sec, pending := f.totpColumns(t, u.ID)
	if sec != "" || !secret.IsSealed(pending) || strings.Contains(pending, en.Secret) {
		t.Fatalf("after enrolment: secret %q, pending %q (the plain secret is %s)", sec, pending, en.Secret)
	}
	if _, err := f.s.ConfirmTOTP(ctx, u.ID, codeAt(t, en.Secret, f.clock.Now())); err != nil {
		t.Fatal(err)
	}
	sec, pending = f.totpColumns(t, u.ID)
	if !secret.IsSealed(sec) || strings.Contains(sec, en.Secret) || pending != "" {
		t.Fatalf("after confirmation: secret %q, pending %q", sec, pending)
	}
	if n := f.count(t, "SELECT COUNT(*) FROM user_totp WHERE secret = ? OR pending_secret = ?", en.Secret, en.Secret); n != 0 {
		t.Fatal("the plain secret is in user_totp")
	}

	f.clock.Advance(30 * time.Second)
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", codeAt(t, en.Secret, f.clock.Now())); err != nil {
		t.Fatalf("login with TOTP: %v", err)
	}

	// A sealed value moved to another user's row opens nowhere: the aad is the user id.
	other := f.register(t, 2)
	if _, err := f.d.Exec(ctx, `INSERT INTO user_totp (user_id, secret, pending_secret, last_step, enabled_at, updated_at)
		VALUES (?, ?, '', 0, 1, 1)`, other.ID, sec); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Exec(ctx, "UPDATE users SET totp_enabled = 1 WHERE id = ?", other.ID); err != nil {
		t.Fatal(err)
	}
	f.s.invalidateUser(other.ID, "")
	if ok, err := f.s.spendTOTP(ctx, other.ID, codeAt(t, en.Secret, f.clock.Now().Add(30*time.Second)), f.clock.Now().Add(30*time.Second)); ok || err == nil {
		t.Fatalf("a copied secret opened for another user: ok=%v err=%v", ok, err)
	}
}

// TestPlainTOTPSecretsSealedOnStart: secrets stored in clear before sealing existed are
// sealed by SealPlain (what the app does on start), once, and keep working.
func TestPlainTOTPSecretsSealedOnStart(t *testing.T) {
	box := secret.Ephemeral()
	f := newFixture(t, Options{Secrets: box})
	ctx := context.Background()
	u := f.register(t, 1)
	f.login(t, u.Phone)
	const plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	if _, err := f.d.Exec(ctx, `INSERT INTO user_totp (user_id, secret, pending_secret, last_step, enabled_at, updated_at)
		VALUES (?, ?, '', 0, 1, 1)`, u.ID, plain); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Exec(ctx, "UPDATE users SET totp_enabled = 1 WHERE id = ?", u.ID); err != nil {
		t.Fatal(err)
	}
	f.s.invalidateUser(u.ID, "")
	n, err := secret.SealPlain(ctx, f.d, box, SecretColumns())
	if err != nil || n != 1 {
		t.Fatalf("SealPlain sealed %d, %v", n, err)
	}
	if n, err := secret.SealPlain(ctx, f.d, box, SecretColumns()); err != nil || n != 0 {
		t.Fatalf("a second start sealed %d more, %v", n, err)
	}
	if sec, _ := f.totpColumns(t, u.ID); !secret.IsSealed(sec) {
		t.Fatalf("secret still %q", sec)
	}
	if _, _, err := f.loginWith("dev-1", "203.0.113.7", codeAt(t, plain, f.clock.Now())); err != nil {
		t.Fatalf("login with the sealed secret: %v", err)
	}
}

// TestTOTPNeedsTheServerKey: a Service built without Options.Secrets refuses to enrol rather
// than seal under a key nobody keeps.
func TestTOTPNeedsTheServerKey(t *testing.T) {
	f := newFixture(t, Options{})
	bare := New(f.d, Options{Argon2: cheapArgon, Now: f.clock.Now})
	u := f.register(t, 1)
	if _, err := bare.EnrollTOTP(context.Background(), u.ID); err == nil {
		t.Fatal("enrolled without a server key")
	}
	if n := f.count(t, "SELECT COUNT(*) FROM user_totp"); n != 0 {
		t.Fatalf("%d user_totp rows", n)
	}
}

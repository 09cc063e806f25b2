package identity

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/dompet/dompet/internal/secret"
)

// TOTP as every authenticator app does it (RFC 6238): SHA-1, 6 digits, 30-second steps.
const (
	totpIssuer = "Dompet"
	totpPeriod = 30
	totpDigits = 6
	totpSkew   = 1 // steps accepted either side of now, for clocks a little off
)

// newTOTPKey makes a fresh 160-bit secret and its otpauth:// URL (the QR code's content) for
// account, the user's or staff member's email.
func newTOTPKey(account string) (secret, url string, err error) {
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer:      totpIssuer,
		AccountName: account,
		Period:      totpPeriod,
		SecretSize:  20,
		Digits:      otp.DigitsSix,
		Algorithm:   otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("totp secret: %w", err)
	}
	return k.Secret(), k.URL(), nil
}

// totpStep is the RFC 6238 time step (counter) at t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

// matchTOTP returns the time step, within ±totpSkew of now and after lastStep, at which code is
// the secret's code, or 0 when there is none. Refusing steps at or before lastStep is what
// makes a code good once: the caller stores the returned step as the new lastStep.
func matchTOTP(secret, code string, now time.Time, lastStep int64) int64 {
	if len(code) != totpDigits || !allDigits(code) {
		return 0
	}
	cur := totpStep(now)
	// Oldest first, so a code valid at two steps (a 1-in-a-million coincidence) uses the
	// earlier one and leaves the later for the next login.
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		if step <= lastStep || step <= 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{
			Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0 // a corrupt secret matches nothing
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step
		}
	}
	return 0
}

// TOTP secrets are sealed at rest (package secret) with the user's id as aad, so a value
// copied into another user's row does not open there. pending_secret and secret share the
// aad: confirming an enrolment moves the sealed value from one column to the other as is.
func totpAAD(userID string) []byte { return []byte("user_totp:" + userID) }

// SecretColumns are identity's sealed columns, for sealing plain values left from before
// sealing existed (on start) and for `dompet secrets rotate`.
func SecretColumns() []secret.Column {
	return []secret.Column{
		{Table: "user_totp", IDCol: "user_id", ValueCol: "secret", AAD: totpAAD},
		{Table: "user_totp", IDCol: "user_id", ValueCol: "pending_secret", AAD: totpAAD},
	}
}

// errNoKey is a Service built without Options.Secrets meeting a TOTP secret.
var errNoKey = errors.New("identity: no server key to seal TOTP secrets (Options.Secrets)")

// sealTOTP seals a user's TOTP secret for storing.
func (s *Service) sealTOTP(userID, plain string) (string, error) {
	if s.box == nil {
		return "", errNoKey
	}
	v, err := s.box.Seal([]byte(plain), totpAAD(userID))
	if err != nil {
		return "", fmt.Errorf("seal totp secret of %s: %w", userID, err)
	}
	return v, nil
}

// openTOTP opens a stored TOTP secret. A value that does not open (plain text written behind
// the server's back, another server's key, tampering) is an error, never a secret to use.
func (s *Service) openTOTP(userID, sealed string) (string, error) {
	if s.box == nil {
		return "", errNoKey
	}
	v, err := s.box.Open(sealed, totpAAD(userID))
	if err != nil {
		return "", fmt.Errorf("totp secret of %s: %w", userID, err)
	}
	return string(v), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

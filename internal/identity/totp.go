package identity

import (
	"crypto/subtle"
	"fmt"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
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

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

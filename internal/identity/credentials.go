package identity

import (
	"context"
	"time"
)

// The credential machinery that staff login (package staff) shares with users' login, so that
// both keep the same properties: one argon2id gate bounding hashes in flight, one password
// policy, the same rate limits, lockout settings and phantom lockout of unknown logins, one
// TOTP implementation. Staff accounts, sessions and their tables live in package staff; these
// methods know nothing of them.

// CheckNewPassword applies the password policy to a new password: ErrWeakPassword with the
// reason, or nil.
func (s *Service) CheckNewPassword(password string) error {
	if reason, msg := s.common.passwordProblem(password); reason != "" {
		return ErrWeakPassword.Because(msg).With("reason", reason)
	}
	return nil
}

// HashPassword hashes password with argon2id through the service's hashing gate.
func (s *Service) HashPassword(ctx context.Context, password string) (string, error) {
	return s.hash(ctx, password)
}

// VerifyPassword checks password against a stored hash through the hashing gate. An empty
// hash is checked against a dummy one at the same cost and never matches, so that a login
// naming nobody takes as long as one naming somebody.
func (s *Service) VerifyPassword(ctx context.Context, hash, password string) (bool, error) {
	if hash == "" {
		_, err := s.verify(ctx, s.dummy(), password)
		if err != nil && ctx.Err() != nil {
			return false, err
		}
		return false, nil
	}
	return s.verify(ctx, hash, password)
}

// LimitLogin spends one login attempt of ip and of login (rate_limited when either is spent).
func (s *Service) LimitLogin(login, ip string, now time.Time) error {
	return s.limitLogin(LoginInput{Login: login, IP: ip}, now)
}

// PhantomGate is the lock check of a login that names no account: account_locked while its
// phantom lock lasts.
func (s *Service) PhantomGate(login string, now time.Time) error { return s.phantomGate(login, now) }

// PhantomFailed counts a failed login that names no account exactly as a real account's
// wrong password counts: invalid_credentials with attempts_remaining, then account_locked.
func (s *Service) PhantomFailed(login string, now time.Time) error {
	return s.phantomFailed(login, now)
}

// Lockout returns the lockout policy: wrong attempts in a row that lock, and for how long.
func (s *Service) Lockout() (threshold int, lockFor time.Duration) {
	return s.acc.threshold, s.acc.lockFor
}

// NewTOTPSecret makes a fresh TOTP secret (base32) for account, an email.
func (s *Service) NewTOTPSecret(account string) (string, error) {
	secret, _, err := newTOTPKey(account)
	return secret, err
}

// MatchTOTP returns the time step after lastStep at which code is the secret's TOTP code
// (±1 step around now), or 0. The caller stores the step so that a code is good once.
func (s *Service) MatchTOTP(secret, code string, now time.Time, lastStep int64) int64 {
	return matchTOTP(secret, code, now, lastStep)
}

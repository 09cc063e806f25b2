package identity

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// The lockout policy of API.md: the 5th consecutive wrong password (LockoutThreshold) locks
// the account for 30 minutes (LockoutDuration); meanwhile every login gets account_locked,
// also with the right password, and sessions that exist stay valid. A successful recovery
// unlocks at once. Rate limits (ratelimit.go) come before any of this, so that guesses spread
// over many accounts from one address, or over many addresses at one account, are slowed too.

// Kinds of security events of the access controls.
const (
	EventAccountLocked   = "account_locked"
	EventAccountUnlocked = "account_unlocked"
	EventRecoveryRequest = "recovery_requested"
	EventRecoveryCode    = "recovery_code_failed"
	EventRecoveryVerify  = "recovery_verified"
	EventPasswordReset   = "password_reset"
	EventPasswordChanged = "password_changed"
	EventPINSet          = "pin_set"
	EventPINFailed       = "pin_failed"
	EventPINLocked       = "pin_locked"
	EventPINReset        = "pin_reset"
	EventPINResetRequest = "pin_reset_requested"
)

// Defaults of the access settings.
const (
	defaultLockoutThreshold = 5
	defaultLockoutDuration  = 30 * time.Minute
	defaultPasswordMaxAge   = 180 * 24 * time.Hour
)

// access is the configuration and in-process state of lockout, rate limits, recovery and
// PINs, built once by New.
type access struct {
	threshold int
	lockFor   time.Duration
	maxAge    time.Duration // <= 0: passwords never fall due

	registerIP            *limiter
	loginIP, loginLogin   *limiter
	requestIP             *limiter
	sends, sendsAll       *limiter // per user and network, per user
	verifyIP, verifyLogin *limiter

	phantoms *phantomLocks
	pending  sync.WaitGroup // notifications on their way (sendLater); Drain waits for them
}

func newAccess(o Options) *access {
	a := &access{threshold: o.LockoutThreshold, lockFor: o.LockoutDuration, maxAge: o.PasswordMaxAge}
	if a.threshold <= 0 {
		a.threshold = defaultLockoutThreshold
	}
	if a.lockFor <= 0 {
		a.lockFor = defaultLockoutDuration
	}
	if a.maxAge == 0 {
		a.maxAge = defaultPasswordMaxAge
	}
	r := o.RateLimits.withDefaults()
	a.registerIP = newLimiter(r.RegisterPerIP, r.MaxKeys)
	a.loginIP, a.loginLogin = newLimiter(r.LoginPerIP, r.MaxKeys), newLimiter(r.LoginPerLogin, r.MaxKeys)
	a.requestIP = newLimiter(r.RequestPerIP, r.MaxKeys)
	a.sends, a.sendsAll = newLimiter(r.SendsPerNetwork, r.MaxKeys), newLimiter(r.SendsPerUser, r.MaxKeys)
	a.verifyIP, a.verifyLogin = newLimiter(r.VerifyPerIP, r.MaxKeys), newLimiter(r.VerifyPerUser, r.MaxKeys)
	a.phantoms = &phantomLocks{m: map[string]phantom{}, max: r.MaxKeys}
	return a
}

// loginKey is how a login string is counted: phone or email, any case.
func loginKey(login string) string { return strings.ToLower(strings.TrimSpace(login)) }

// limitLogin spends a login attempt of the caller's address and of the login named.
func (s *Service) limitLogin(in LoginInput, now time.Time) error {
	return throttle(now, take{s.acc.loginIP, ipKey(in.IP)}, take{s.acc.loginLogin, loginKey(in.Login)})
}

// lockedAt tells whether u is locked at now, and until when (nil: until a recovery).
func lockedAt(u User, now time.Time) (until any, locked bool) {
	if u.LockedUntil != nil && now.Before(*u.LockedUntil) {
		return u.LockedUntil.UTC(), true
	}
	if u.Status == StatusLocked && u.LockedUntil == nil {
		return nil, true
	}
	return nil, false
}

// effectiveStatus is the status a user has at now: a timed lock that has run out reads as
// active even before any write clears it.
func effectiveStatus(u User, now time.Time) Status {
	if u.Status == StatusLocked && u.LockedUntil != nil && !now.Before(*u.LockedUntil) {
		return StatusActive
	}
	return u.Status
}

// loginGate decides, before the password is checked, whether u may log in at all.
func (s *Service) loginGate(u User, now time.Time) error {
	if until, locked := lockedAt(u, now); locked {
		return ErrAccountLocked.With("locked_until", until)
	}
	return nil
}

// loginFailed counts a wrong password against u, records it, and returns the failure to
// answer: invalid_credentials with attempts_remaining, or account_locked when this failure
// reaches the threshold. The count and the lock are decided in one transaction on the
// user's row, so concurrent failures lock exactly once.
func (s *Service) loginFailed(ctx context.Context, u User, in LoginInput, now time.Time) error {
	answer, lockedUntil, err := s.countFailure(ctx, u.ID, in.IP, in.DeviceID, "wrong_password", now)
	if err != nil {
		return fmt.Errorf("login %s: %w", u.ID, err)
	}
	if !lockedUntil.IsZero() {
		s.invalidateUser(u.ID, "") // open sessions now show status "locked"
		s.notifyLocked(u, lockedUntil)
	}
	return answer
}

// countFailure adds one wrong password to userID's count (a login, or the current password
// of a password or PIN change) and locks the account at the threshold. lockedUntil is set
// when this failure locked it.
func (s *Service) countFailure(ctx context.Context, userID, ip, deviceID, reason string, now time.Time) (answer error, lockedUntil time.Time, err error) {
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		answer, lockedUntil = nil, time.Time{}
		cur, _, err := s.userWhere(ctx, tx, "id = ?"+tx.ForUpdate(), userID)
		if err != nil {
			return err
		}
		if until, locked := lockedAt(cur, now); locked {
			// Locked by a concurrent failure since our gate: this attempt no longer counts.
			answer = ErrAccountLocked.With("locked_until", until)
			return nil
		}
		failed := cur.FailedLogins + 1
		detail := map[string]any{"reason": reason, "failed_logins": failed}
		if err := recordEvent(ctx, tx, now, event{userID: userID, kind: EventLoginFailed, ip: ip, deviceID: deviceID, detail: detail}); err != nil {
			return err
		}
		if failed < s.acc.threshold {
			if _, err := tx.Exec(ctx, "UPDATE users SET failed_logins = ?, updated_at = ? WHERE id = ?", failed, micros(now), userID); err != nil {
				return fmt.Errorf("count failed login: %w", err)
			}
			answer = ErrInvalidCredentials.With("attempts_remaining", s.acc.threshold-failed)
			return nil
		}
		until := now.Add(s.acc.lockFor).Truncate(time.Microsecond) // as stored, so every answer shows the same instant
		// A restricted account stays restricted (the stronger state) and gets the timed lock
		// beside it. The count starts again for when the lock runs out.
		if _, err := tx.Exec(ctx, `UPDATE users SET status = CASE WHEN status = 'restricted' THEN status ELSE 'locked' END,
			locked_until = ?, failed_logins = 0, updated_at = ? WHERE id = ?`, micros(until), micros(now), userID); err != nil {
			return fmt.Errorf("lock account: %w", err)
		}
		if err := recordEvent(ctx, tx, now, event{userID: userID, kind: EventAccountLocked, ip: ip, deviceID: deviceID,
			detail: map[string]any{"reason": "too_many_failed_logins", "failed_logins": failed, "locked_until": until.UTC()}}); err != nil {
			return err
		}
		if err := s.stageAlerts(ctx, tx, lockedMessage(cur, until)); err != nil {
			return err
		}
		answer, lockedUntil = ErrAccountLocked.With("locked_until", until.UTC()), until.UTC()
		return nil
	})
	return answer, lockedUntil, err
}

// loginSucceeded clears the failure count, and a timed lock that has run out, within the
// login transaction. A lock set meanwhile by a concurrent failure is left alone.
func loginSucceeded(ctx context.Context, tx *db.Tx, u User, now time.Time) error {
	if u.FailedLogins == 0 && u.LockedUntil == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL,
		status = CASE WHEN status = 'locked' THEN 'active' ELSE status END, updated_at = ?
		WHERE id = ? AND locked_until IS NOT NULL AND locked_until <= ?`, micros(now), u.ID, micros(now))
	if err != nil {
		return fmt.Errorf("clear expired lock: %w", err)
	}
	if _, err := tx.Exec(ctx, "UPDATE users SET failed_logins = 0, updated_at = ? WHERE id = ? AND locked_until IS NULL",
		micros(now), u.ID); err != nil {
		return fmt.Errorf("reset failed logins: %w", err)
	}
	return nil
}

// phantomLocks give logins that name no account the same answers a real account would get
// — attempts_remaining counting down, then account_locked — so that five wrong passwords do
// not tell whether an account exists. In memory, bounded like the rate limiters.
type phantomLocks struct {
	mu  sync.Mutex
	m   map[string]phantom
	max int
}

type phantom struct {
	failed int
	until  time.Time
}

// phantomGate is loginGate for a login that names no account.
func (s *Service) phantomGate(login string, now time.Time) error {
	p := s.acc.phantoms
	p.mu.Lock()
	defer p.mu.Unlock()
	if ph, ok := p.m[loginKey(login)]; ok && now.Before(ph.until) {
		return ErrAccountLocked.With("locked_until", ph.until.UTC())
	}
	return nil
}

// phantomFailed is loginFailed for a login that names no account.
func (s *Service) phantomFailed(login string, now time.Time) error {
	p := s.acc.phantoms
	p.mu.Lock()
	defer p.mu.Unlock()
	key := loginKey(login)
	ph, ok := p.m[key]
	if !ok && len(p.m) >= p.max {
		for k, old := range p.m {
			if len(p.m) < p.max*9/10 {
				break
			}
			if !now.Before(old.until) || old.until.IsZero() {
				delete(p.m, k)
			}
		}
		for k := range p.m {
			if len(p.m) < p.max*9/10 {
				break
			}
			delete(p.m, k)
		}
	}
	if !ph.until.IsZero() && !now.Before(ph.until) {
		ph = phantom{} // the lock ran out: count again
	}
	ph.failed++
	if ph.failed < s.acc.threshold {
		p.m[key] = ph
		return ErrInvalidCredentials.With("attempts_remaining", s.acc.threshold-ph.failed)
	}
	ph = phantom{until: now.Add(s.acc.lockFor).Truncate(time.Microsecond)} // as a stored lock reads
	p.m[key] = ph
	return ErrAccountLocked.With("locked_until", ph.until.UTC())
}

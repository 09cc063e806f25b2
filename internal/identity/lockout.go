package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// This file is the seam for the lockout policy of API.md (the 5th consecutive wrong password
// locks the account for 30 minutes; every login then gets account_locked, also with the right
// password; existing sessions stay valid). Today it only honours a lock already set on the
// account and counts failures; the policy itself is a later change to these three functions.

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
	if effectiveStatus(u, now) != StatusLocked {
		return nil
	}
	var until any // JSON null: only recovery unlocks
	if u.LockedUntil != nil {
		until = u.LockedUntil.UTC()
	}
	return ErrAccountLocked.With("locked_until", until)
}

// loginFailed counts a wrong password against u, records it, and returns the failure to
// answer. The lockout decision belongs here, in the same transaction as the count.
func (s *Service) loginFailed(ctx context.Context, u User, in LoginInput, now time.Time) error {
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var failed int
		err := tx.QueryRow(ctx, `UPDATE users SET failed_logins = failed_logins + 1, updated_at = ?
			WHERE id = ? RETURNING failed_logins`, micros(now), u.ID).Scan(&failed)
		if err != nil {
			return fmt.Errorf("count failed login: %w", err)
		}
		// Lockout policy goes here: when failed reaches the limit, set status 'locked' and
		// locked_until, record a "locked" event and answer ErrAccountLocked.
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventLoginFailed, ip: in.IP,
			deviceID: in.DeviceID, detail: map[string]any{"reason": "wrong_password", "failed_logins": failed}})
	})
	if err != nil {
		return fmt.Errorf("login %s: %w", u.ID, err)
	}
	return ErrInvalidCredentials
}

// loginSucceeded clears the failure count within the login transaction.
func loginSucceeded(ctx context.Context, tx *db.Tx, u User, now time.Time) error {
	if u.FailedLogins == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "UPDATE users SET failed_logins = 0, updated_at = ? WHERE id = ?", micros(now), u.ID); err != nil {
		return fmt.Errorf("reset failed logins: %w", err)
	}
	return nil
}

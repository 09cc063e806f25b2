package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// UnlockByStaff ends a user's lockout (timed or until recovery) and clears the failed-login
// count, for a support agent who has checked the customer's identity. The caller runs it
// under audit.WithActor with the agent and the reason (how identity was verified), so the
// account_unlocked security event and its audit entry name them. It reports whether the
// account was locked; unlocking an unlocked account changes nothing and records nothing.
func (s *Service) UnlockByStaff(ctx context.Context, userID string) (bool, error) {
	now := s.now()
	var was bool
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		cur, _, err := s.userWhere(ctx, tx, "id = ?"+tx.ForUpdate(), userID)
		if err != nil {
			return err
		}
		_, was = lockedAt(cur, now)
		if !was {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
			locked_until = NULL, failed_logins = 0, updated_at = ? WHERE id = ?`, micros(now), userID); err != nil {
			return fmt.Errorf("unlock: %w", err)
		}
		return recordEvent(ctx, tx, now, event{userID: userID, kind: EventAccountUnlocked,
			detail: map[string]any{"reason": "support"}})
	})
	if err != nil {
		return false, fmt.Errorf("unlock %s: %w", userID, err)
	}
	s.invalidateUser(userID, "")
	return was, nil
}

// Locked reports whether u is locked out at now, and until when (nil: until recovery).
func Locked(u User, now time.Time) (bool, *time.Time) {
	until, locked := lockedAt(u, now)
	if t, ok := until.(time.Time); ok {
		return locked, &t
	}
	return locked, nil
}

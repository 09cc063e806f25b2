package identity

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// ErrPasswordReused is a new password equal to one of the user's last passwordHistory.
var ErrPasswordReused = fault.New("password_reused", "the password was used recently; choose another")

// passwordHistory is how many past passwords, the current one included, a new one must differ from.
const passwordHistory = 5

// Profile is the user as GET /api/v1/me and the login answer show them: the user, plus the
// state of the payment PIN and whether the password is older than the configured age.
type Profile struct {
	User
	PIN               PINState `json:"pin"`
	PasswordChangeDue bool     `json:"password_change_due" doc:"the password is older than the configured maximum age; suggest changing it"`
}

// Profile completes u (as Login or Authenticate returned it) into its Profile.
func (s *Service) Profile(ctx context.Context, u User) (Profile, error) {
	pin, err := s.PINState(ctx, u.ID)
	if err != nil {
		return Profile{}, err
	}
	return Profile{User: u, PIN: pin, PasswordChangeDue: s.passwordDue(u, s.now())}, nil
}

// passwordDue reports whether u's password is older than the maximum age.
func (s *Service) passwordDue(u User, now time.Time) bool {
	return s.acc.maxAge > 0 && !u.PasswordChangedAt.IsZero() && now.Sub(u.PasswordChangedAt) > s.acc.maxAge
}

// PasswordChange is what POST /api/v1/me/password carries, plus who asks.
type PasswordChange struct {
	UserID    string
	SessionID string // kept; every other session is revoked
	Current   string
	New       string
	IP        string
}

// ChangePassword replaces the password of a logged-in user who knows the current one. A
// wrong current password counts as a failed login: it brings the lockout nearer (the 5th
// locks the account and answers account_locked), so that a stolen session cannot be used to
// guess the password at leisure; while the account is locked the answer is account_locked.
// The new password must pass the policy and differ from the last 5. Every other session is
// revoked; this one is kept.
func (s *Service) ChangePassword(ctx context.Context, in PasswordChange) error {
	now := s.now().UTC()
	if in.Current == "" || len(in.Current) > maxLoginInputBytes {
		return fault.Invalid("current_password", fault.MsgRequired)
	}
	u, oldHash, err := s.userWhere(ctx, s.db, "id = ?", in.UserID)
	if err != nil {
		return fmt.Errorf("change password of %s: %w", in.UserID, err)
	}
	if err := s.loginGate(u, now); err != nil {
		return err
	}
	ok, err := s.verify(ctx, oldHash, in.Current)
	if err != nil && ctx.Err() != nil {
		return err
	}
	if !ok {
		answer, lockedUntil, err := s.countFailure(ctx, u.ID, in.IP, "", "wrong_current_password", now)
		if err != nil {
			return fmt.Errorf("change password of %s: %w", u.ID, err)
		}
		if !lockedUntil.IsZero() {
			s.invalidateUser(u.ID, "")
			s.notifyLocked(u, lockedUntil)
		}
		return answer
	}
	newHash, err := s.newPassword(ctx, u.ID, "new_password", in.New)
	if err != nil {
		return err
	}
	defer s.invalidateUser(u.ID, "") // this session too: its cached user has the old password age
	alert := message(u, notify.Email, KindPasswordChanged)
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		changed, err := setPassword(ctx, tx, u.ID, oldHash, newHash, now)
		if err != nil {
			return err
		}
		if !changed {
			return ErrInvalidCredentials // changed meanwhile: the current password is no longer current
		}
		n, err := revokeAll(ctx, tx, u.ID, in.SessionID, now)
		if err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventPasswordChanged, ip: in.IP,
			detail: map[string]any{"sessions_revoked": n, "kept_session_id": in.SessionID}}); err != nil {
			return err
		}
		return s.stageAlerts(ctx, tx, alert)
	})
	if err != nil {
		if errors.Is(err, ErrInvalidCredentials) {
			return err
		}
		return fmt.Errorf("change password of %s: %w", u.ID, err)
	}
	s.sendStaged(alert)
	return nil
}

// newPassword checks pw for field against the policy and against the user's last
// passwords (argon2 verifications, as the history holds only hashes), and hashes it.
func (s *Service) newPassword(ctx context.Context, userID, field, pw string) (string, error) {
	switch {
	case pw == "":
		return "", fault.Invalid(field, fault.MsgRequired)
	case len(pw) > maxPasswordBytes:
		return "", fault.Invalid(field, fault.MsgAtMostBytes, maxPasswordBytes)
	case !utf8.ValidString(pw):
		return "", fault.Invalid(field, fault.MsgValidUTF8)
	}
	if reason, msg := s.common.passwordProblem(pw); reason != "" {
		return "", ErrWeakPassword.Because(msg).With("reason", reason)
	}
	rows, err := s.db.Query(ctx, `SELECT hash FROM password_history WHERE user_id = ?
		ORDER BY created_at DESC LIMIT ?`, userID, passwordHistory)
	if err != nil {
		return "", fmt.Errorf("password history of %s: %w", userID, err)
	}
	var past []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return "", fmt.Errorf("password history of %s: %w", userID, err)
		}
		past = append(past, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("password history of %s: %w", userID, err)
	}
	for _, h := range past {
		ok, err := s.verify(ctx, h, pw)
		if err != nil && ctx.Err() != nil {
			return "", err
		}
		if ok {
			return "", ErrPasswordReused.With("history", passwordHistory)
		}
	}
	return s.hash(ctx, pw)
}

// setPassword stores newHash as userID's password if the stored one is still oldHash
// (changed is false otherwise), adds it to the history and forgets history beyond what
// the reuse rule needs.
func setPassword(ctx context.Context, tx *db.Tx, userID, oldHash, newHash string, now time.Time) (changed bool, err error) {
	res, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, updated_at = ?
		WHERE id = ? AND password_hash = ?`, newHash, micros(now), micros(now), userID, oldHash)
	if err != nil {
		return false, fmt.Errorf("set password: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO password_history (user_id, hash, created_at) VALUES (?, ?, ?)",
		userID, newHash, micros(now)); err != nil {
		return false, fmt.Errorf("password history: %w", err)
	}
	_, err = tx.Exec(ctx, `DELETE FROM password_history WHERE user_id = ? AND created_at < (
		SELECT MIN(created_at) FROM (SELECT created_at FROM password_history WHERE user_id = ?
			ORDER BY created_at DESC LIMIT ?) AS kept)`, userID, userID, passwordHistory)
	if err != nil {
		return false, fmt.Errorf("prune password history: %w", err)
	}
	return true, nil
}

// revokeAll revokes userID's live sessions but except (may be "") within tx. The caller
// drops them from the Authenticate cache after commit.
func revokeAll(ctx context.Context, tx *db.Tx, userID, except string, now time.Time) (int64, error) {
	res, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?`, micros(now), userID, except, micros(now))
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return res.RowsAffected()
}

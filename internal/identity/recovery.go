package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// Account recovery ("forgot password", "account locked"): a 6-digit code to the phone or
// email on file, exchanged for a reset token, spent by setting a new password, which
// unlocks the account and revokes every session. No answer tells whether an account exists:
// a request is accepted alike for any login, and a code for an unknown login is simply wrong.

// resetTokenTTL is how long a verified recovery code's reset token may be used.
const resetTokenTTL = 15 * time.Minute

// RecoveryRequest is what POST /api/v1/auth/recovery carries, plus the caller's address.
type RecoveryRequest struct {
	Login   string // phone or email
	Channel string // notify.SMS or notify.Email
	IP      string
}

// RequestRecovery sends a recovery code to the phone or email on file of the account login
// names. It answers nil alike whether the account exists, whether a code was sent or held
// back (one was sent less than 60 s ago, or too many lately), and takes the same time: the
// code is made and hashed in every case and sent in the background. Only malformed input
// (invalid_request) and too many requests from one address (rate_limited) differ, and
// neither depends on the account.
func (s *Service) RequestRecovery(ctx context.Context, in RecoveryRequest) error {
	now := s.now().UTC()
	login := s.phoneLogin(strings.TrimSpace(in.Login))
	var v fault.Validation
	v.Check(login != "" && len(login) <= maxLoginInputBytes, "login", fault.MsgRequiredLogin)
	v.Check(in.Channel == notify.SMS || in.Channel == notify.Email, "channel", fault.MsgChannel)
	if err := v.Err(); err != nil {
		return err
	}
	ip := clip(in.IP)
	if err := throttle(now, take{s.acc.requestIP, ipKey(ip)}); err != nil {
		return err
	}
	code, codeHash, err := s.freshCode(ctx)
	if err != nil {
		return err
	}
	u, _, err := s.userByLogin(ctx, login, false)
	if errors.Is(err, ErrNotFound) {
		// Write what a real request writes, so that the two take alike.
		return s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return recordEvent(ctx, tx, now, event{kind: EventRecoveryRequest, ip: ip,
				detail: map[string]any{"channel": in.Channel, "reason": "unknown_login"}})
		})
	}
	if err != nil {
		return fmt.Errorf("recovery: %w", err)
	}
	if c, _ := contactOf(in.Channel); !c.verified(u) {
		// Codes go only where the user proved to be: an unverified phone or email may be
		// someone else's. Answered alike (no enumeration).
		return s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventRecoveryRequest, ip: ip,
				detail: map[string]any{"channel": in.Channel, "sent": false, "reason": "unverified"}})
		})
	}
	issued, err := s.issueCode(ctx, u, s.recoveryScope(ctx, u.ID, ip), in.Channel, codeHash, ip, now)
	if err != nil {
		return err
	}
	if issued {
		s.sendLater(message(u, in.Channel, KindRecoveryCode, code))
	}
	return nil
}

// RecoveryVerify is what POST /api/v1/auth/recovery/verify carries.
type RecoveryVerify struct {
	Login string
	Code  string
	IP    string
}

// VerifyRecovery exchanges a right recovery code for a reset token (valid 15 minutes, spent
// only by a successful reset). A wrong, expired or void code, a code asked for from another
// network, or a login that names no account, answers ErrInvalidCode; after 5 wrong codes the
// code is void.
func (s *Service) VerifyRecovery(ctx context.Context, in RecoveryVerify) (resetToken string, err error) {
	now := s.now().UTC()
	login := s.phoneLogin(strings.TrimSpace(in.Login))
	var v fault.Validation
	v.Check(login != "" && len(login) <= maxLoginInputBytes, "login", fault.MsgRequiredLogin)
	v.Check(in.Code != "", "code", fault.MsgRequired)
	if err := v.Err(); err != nil {
		return "", err
	}
	ip := clip(in.IP)
	// The login's bucket is per network too: codes are (recovery_code.go), and a bucket
	// shared by every network would let a crowd of guessers shut the victim out.
	if err := throttle(now, take{s.acc.verifyIP, ipKey(ip)}, take{s.acc.verifyLogin, loginKey(login) + "|" + ipKey(ip)}); err != nil {
		return "", err
	}
	u, _, err := s.userByLogin(ctx, login, false)
	if errors.Is(err, ErrNotFound) {
		_, _ = s.verify(ctx, s.dummy(), in.Code)
		return "", ErrInvalidCode
	}
	if err != nil {
		return "", fmt.Errorf("recovery verify: %w", err)
	}
	codeHash, err := s.checkCode(ctx, u, codeScope{purpose: purposeRecovery, network: ipKey(ip)}, in.Code, ip, now)
	if err != nil {
		return "", err
	}
	token, tokenHash, err := newToken()
	if err != nil {
		return "", err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := spendCode(ctx, tx, u.ID, purposeRecovery, codeHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO reset_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
			tokenHash, u.ID, micros(now), micros(now.Add(resetTokenTTL))); err != nil {
			return fmt.Errorf("insert reset token: %w", err)
		}
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventRecoveryVerify, ip: ip})
	})
	if err != nil {
		if errors.Is(err, ErrInvalidCode) {
			return "", err
		}
		return "", fmt.Errorf("recovery verify %s: %w", u.ID, err)
	}
	return token, nil
}

// PasswordReset is what POST /api/v1/auth/recovery/reset carries.
type PasswordReset struct {
	Token       string
	NewPassword string
	IP          string
}

// ResetPassword sets a new password with a reset token. The password must pass the policy
// (ErrWeakPassword) and differ from the last 5 (ErrPasswordReused); either leaves the token
// usable. Success spends the token, unlocks the account, clears the failure count and
// revokes every session. An unknown, expired or spent token answers ErrInvalidCode.
func (s *Service) ResetPassword(ctx context.Context, in PasswordReset) error {
	now := s.now().UTC()
	if in.Token == "" || len(in.Token) > maxLoginInputBytes {
		return ErrInvalidCode
	}
	sum := sha256.Sum256([]byte(in.Token))
	tokenHash := hex.EncodeToString(sum[:])
	var userID string
	var expires int64
	err := s.db.QueryRow(ctx, "SELECT user_id, expires_at FROM reset_tokens WHERE token_hash = ?", tokenHash).Scan(&userID, &expires)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !now.Before(fromMicros(expires))) {
		return ErrInvalidCode
	}
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	u, oldHash, err := s.userWhere(ctx, s.db, "id = ?", userID)
	if err != nil {
		return fmt.Errorf("reset password of %s: %w", userID, err)
	}
	newHash, err := s.newPassword(ctx, u.ID, "new_password", in.NewPassword)
	if err != nil {
		return err
	}
	ip := clip(in.IP)
	defer s.invalidateUser(u.ID, "")
	alerts := []notify.Message{message(u, notify.Email, KindPasswordChanged), message(u, notify.SMS, KindPasswordChanged)}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, "DELETE FROM reset_tokens WHERE token_hash = ? AND expires_at > ?", tokenHash, micros(now))
		if err != nil {
			return fmt.Errorf("spend reset token: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return ErrInvalidCode // spent by a concurrent reset
		}
		if _, err := tx.Exec(ctx, "DELETE FROM reset_tokens WHERE user_id = ?", u.ID); err != nil {
			return fmt.Errorf("drop reset tokens: %w", err)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM access_codes WHERE user_id = ? AND purpose = ?", u.ID, purposeRecovery); err != nil {
			return fmt.Errorf("drop recovery codes: %w", err)
		}
		cur, hash, err := s.userWhere(ctx, tx, "id = ?"+tx.ForUpdate(), u.ID)
		if err != nil {
			return err
		}
		if hash != oldHash {
			// Changed since we checked reuse: check again against the fresh history.
			return errPasswordMoved
		}
		if _, err := setPassword(ctx, tx, u.ID, oldHash, newHash, now); err != nil {
			return err
		}
		_, wasLocked := lockedAt(cur, now)
		if _, err := tx.Exec(ctx, `UPDATE users SET status = CASE WHEN status = 'locked' THEN 'active' ELSE status END,
			locked_until = NULL, failed_logins = 0, updated_at = ? WHERE id = ?`, micros(now), u.ID); err != nil {
			return fmt.Errorf("unlock: %w", err)
		}
		n, err := revokeAll(ctx, tx, u.ID, "", now)
		if err != nil {
			return err
		}
		if wasLocked {
			if err := recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventAccountUnlocked, ip: ip,
				detail: map[string]any{"reason": "password_reset"}}); err != nil {
				return err
			}
		}
		if err := recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventPasswordReset, ip: ip,
			detail: map[string]any{"sessions_revoked": n, "unlocked": wasLocked}}); err != nil {
			return err
		}
		return s.stageAlerts(ctx, tx, alerts...)
	})
	if errors.Is(err, errPasswordMoved) {
		return s.ResetPassword(ctx, in)
	}
	if err != nil {
		if errors.Is(err, ErrInvalidCode) {
			return err
		}
		return fmt.Errorf("reset password of %s: %w", u.ID, err)
	}
	s.sendStaged(alerts...)
	return nil
}

// errPasswordMoved: the password changed between the reuse check and the write.
var errPasswordMoved = errors.New("password changed concurrently")

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
	"github.com/dompet/dompet/internal/id"
)

// staffSessionTTL is how long a staff token lives: about a working day, not a month.
const staffSessionTTL = 12 * time.Hour

// StaffLoginInput is what POST /api/v1/agent/auth/login carries, plus where it came from.
type StaffLoginInput struct {
	Email     string
	Password  string
	OTP       string // TOTP code: mandatory for staff
	IP        string
	UserAgent string
}

// StaffSession is a staff login. Token is set only in the value StaffLogin returns.
type StaffSession struct {
	ID        string    `json:"id"`
	StaffID   string    `json:"-"`
	Token     string    `json:"-"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// StaffPrincipal is who an authenticated staff call acts for.
type StaffPrincipal struct {
	Staff     Staff
	SessionID string
}

// Actor is the audit actor of p's calls.
func (p StaffPrincipal) Actor(ip string) Actor {
	return Actor{Type: ActorStaff, ID: p.Staff.ID, IP: ip}
}

// StaffLogin checks a staff member's password and TOTP code and opens a staff session. Wrong
// passwords and wrong codes both count toward the lockout of the account (the same threshold
// and duration as users'); the rate limits of user logins apply too. A right password without
// a code gives ErrSecondFactorRequired with methods ["totp"]. Every attempt is audited.
func (s *Service) StaffLogin(ctx context.Context, in StaffLoginInput) (StaffSession, Staff, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.IP, in.UserAgent, in.OTP = clip(in.IP), clip(in.UserAgent), strings.TrimSpace(in.OTP)
	now := s.now().UTC()
	if err := s.limitLogin(LoginInput{Login: "staff:" + in.Email, IP: in.IP}, now); err != nil {
		return StaffSession{}, Staff{}, err
	}
	if in.Email == "" || in.Password == "" || len(in.Email) > maxLoginInputBytes || len(in.Password) > maxLoginInputBytes {
		return StaffSession{}, Staff{}, ErrInvalidCredentials
	}
	var hash, secret string
	var lastStep int64
	st, err := scanStaff(s.db.QueryRow(ctx, "SELECT "+staffCols+", password_hash, totp_secret, totp_last_step FROM staff WHERE email = ?",
		in.Email), &hash, &secret, &lastStep)
	if errors.Is(err, sql.ErrNoRows) {
		// Answered like a staff member's wrong password, countdown and lock included, so
		// that no answer tells which emails are staff.
		phantom := "staff:" + in.Email
		if err := s.phantomGate(phantom, now); err != nil {
			return StaffSession{}, Staff{}, err
		}
		if _, err := s.verify(ctx, s.dummy(), in.Password); err != nil && ctx.Err() != nil {
			return StaffSession{}, Staff{}, err
		}
		err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return appendAudit(ctx, tx, AuditEntry{At: now, ActorType: ActorStaff, Action: "staff.login_failed",
				TargetType: "staff", IP: in.IP, Detail: map[string]any{"reason": "unknown_email"}})
		})
		if err != nil {
			return StaffSession{}, Staff{}, fmt.Errorf("staff login: %w", err)
		}
		return StaffSession{}, Staff{}, s.phantomFailed(phantom, now)
	}
	if err != nil {
		return StaffSession{}, Staff{}, fmt.Errorf("staff login: %w", err)
	}
	st = st.asOf(now)
	if st.Status == StaffLocked {
		var until any
		if st.LockedUntil != nil {
			until = st.LockedUntil.UTC()
		}
		return StaffSession{}, Staff{}, ErrAccountLocked.With("locked_until", until)
	}
	ok, err := s.verify(ctx, hash, in.Password)
	if err != nil && ctx.Err() != nil {
		return StaffSession{}, Staff{}, err
	}
	if err != nil {
		s.log.Error("unusable staff password hash", "staff", st.ID, "err", err)
	}
	if st.Status == StaffDisabled {
		return StaffSession{}, Staff{}, ErrInvalidCredentials // said like a wrong password
	}
	if !ok {
		return StaffSession{}, Staff{}, s.staffFailed(ctx, st, in, now, "wrong_password", ErrInvalidCredentials)
	}
	if in.OTP == "" {
		return StaffSession{}, Staff{}, ErrSecondFactorRequired.With("methods", []string{MethodTOTP})
	}
	step := matchTOTP(secret, in.OTP, now, lastStep)
	if step == 0 {
		return StaffSession{}, Staff{}, s.staffFailed(ctx, st, in, now, "wrong_code", ErrInvalidCode)
	}

	token, tokenHash, err := newToken()
	if err != nil {
		return StaffSession{}, Staff{}, err
	}
	ss := StaffSession{ID: id.New("sss"), StaffID: st.ID, Token: token, IP: in.IP, UserAgent: in.UserAgent,
		CreatedAt: now, ExpiresAt: now.Add(staffSessionTTL)}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		// Spending the step is conditional, so two logins racing with one code can't both pass.
		res, err := tx.Exec(ctx, `UPDATE staff SET totp_last_step = ?, failed_logins = 0, locked_until = NULL,
			status = CASE WHEN status = 'locked' THEN 'active' ELSE status END, updated_at = ?
			WHERE id = ? AND totp_last_step < ?`, step, micros(now), st.ID, step)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, ErrInvalidCode)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_sessions (id, staff_id, token_hash, ip, user_agent, created_at,
			last_seen_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
			ss.ID, st.ID, tokenHash, ss.IP, ss.UserAgent, micros(now), micros(now), micros(ss.ExpiresAt)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{At: now, ActorType: ActorStaff, ActorID: st.ID, Action: "staff.login",
			TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: map[string]any{"session_id": ss.ID, "user_agent": in.UserAgent}})
	})
	if errors.Is(err, ErrInvalidCode) {
		return StaffSession{}, Staff{}, s.staffFailed(ctx, st, in, now, "code_reused", ErrInvalidCode)
	}
	if err != nil {
		return StaffSession{}, Staff{}, fmt.Errorf("staff login %s: %w", st.ID, err)
	}
	st.FailedLogins, st.LockedUntil, st.Status = 0, nil, StaffActive
	return ss, st, nil
}

// staffFailed counts a wrong password or code against st, locks the account at the
// threshold, audits the attempt, and returns answer (with attempts_remaining) or
// account_locked.
func (s *Service) staffFailed(ctx context.Context, st Staff, in StaffLoginInput, now time.Time, reason string, answer *fault.Error) error {
	threshold, lockFor := s.acc.threshold, s.acc.lockFor
	var out error
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var failed int
		var locked sql.NullInt64
		err := tx.QueryRow(ctx, "SELECT failed_logins, locked_until FROM staff WHERE id = ?"+tx.ForUpdate(), st.ID).Scan(&failed, &locked)
		if err != nil {
			return err
		}
		if locked.Valid && now.Before(fromMicros(locked.Int64)) {
			out = ErrAccountLocked.With("locked_until", fromMicros(locked.Int64))
			return nil
		}
		failed++
		detail := map[string]any{"reason": reason, "failed_logins": failed}
		if failed < threshold {
			if _, err := tx.Exec(ctx, "UPDATE staff SET failed_logins = ?, updated_at = ? WHERE id = ?", failed, micros(now), st.ID); err != nil {
				return err
			}
			out = answer.With("attempts_remaining", threshold-failed)
			return appendAudit(ctx, tx, AuditEntry{At: now, ActorType: ActorStaff, ActorID: st.ID, Action: "staff.login_failed",
				TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: detail})
		}
		until := now.Add(lockFor).Truncate(time.Microsecond) // as stored, so every answer shows the same instant
		if _, err := tx.Exec(ctx, `UPDATE staff SET status = CASE WHEN status = 'active' THEN 'locked' ELSE status END,
			failed_logins = 0, locked_until = ?, updated_at = ? WHERE id = ?`, micros(until), micros(now), st.ID); err != nil {
			return err
		}
		out = ErrAccountLocked.With("locked_until", until)
		if err := appendAudit(ctx, tx, AuditEntry{At: now, ActorType: ActorStaff, ActorID: st.ID, Action: "staff.login_failed",
			TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: detail}); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{At: now, ActorType: ActorSystem, Action: "staff.locked",
			TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: map[string]any{"locked_until": until, "reason": "too_many_failed_logins"}})
	})
	if err != nil {
		return fmt.Errorf("staff login %s: %w", st.ID, err)
	}
	return out
}

// AuthenticateStaff resolves a staff token to its staff member. Users' tokens, unknown,
// expired and revoked ones, and disabled staff give ErrUnauthenticated.
func (s *Service) AuthenticateStaff(ctx context.Context, token string) (StaffPrincipal, error) {
	if token == "" || len(token) > maxLoginInputBytes {
		return StaffPrincipal{}, ErrUnauthenticated
	}
	key := sha256.Sum256([]byte(token))
	var sid string
	var seen, expires int64
	var revoked sql.NullInt64
	st, err := scanStaff(s.db.QueryRow(ctx, "SELECT "+prefixed("t.", staffCols)+`, s.id, s.last_seen_at, s.expires_at, s.revoked_at
		FROM staff_sessions s JOIN staff t ON t.id = s.staff_id WHERE s.token_hash = ?`, hex.EncodeToString(key[:])),
		&sid, &seen, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return StaffPrincipal{}, ErrUnauthenticated
	}
	if err != nil {
		return StaffPrincipal{}, fmt.Errorf("authenticate staff: %w", err)
	}
	now := s.now()
	if revoked.Valid || !now.Before(fromMicros(expires)) || st.Status == StaffDisabled {
		return StaffPrincipal{}, ErrUnauthenticated
	}
	if now.Sub(fromMicros(seen)) >= seenEvery {
		if _, err := s.db.Exec(ctx, "UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?", micros(now), sid); err != nil && ctx.Err() == nil {
			s.log.Warn("staff session last_seen_at not updated", "session", sid, "err", err)
		}
	}
	return StaffPrincipal{Staff: st.asOf(now), SessionID: sid}, nil
}

// StaffLogout revokes one staff session.
func (s *Service) StaffLogout(ctx context.Context, p StaffPrincipal, ip string) error {
	now := s.now().UTC()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE staff_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", micros(now), p.SessionID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{At: now, ActorType: ActorStaff, ActorID: p.Staff.ID, Action: "staff.logout",
			TargetType: "staff", TargetID: p.Staff.ID, IP: ip, Detail: map[string]any{"session_id": p.SessionID}})
	})
	if err != nil {
		return fmt.Errorf("staff logout %s: %w", p.SessionID, err)
	}
	return nil
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

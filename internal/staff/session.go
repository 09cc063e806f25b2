package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// Staff sessions are read from the store on every authenticated call, with no cache: staff
// calls are few (the desk, not the wallet), and so a disabled member or a revoked session is
// refused from the very next call, in every process (no window at all).

// seenEvery is how often last_seen_at of a session is written.
const seenEvery = time.Minute

// LoginInput is what POST /api/v1/agent/auth/login carries, plus where it came from.
type LoginInput struct {
	Email     string
	Password  string
	OTP       string // TOTP code: mandatory for staff
	IP        string
	UserAgent string
}

// Session is a staff login. Token is set only in the value Login returns.
type Session struct {
	ID        string    `json:"id"`
	StaffID   string    `json:"-"`
	Token     string    `json:"-"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Principal is who an authenticated staff call acts for.
type Principal struct {
	Staff     Staff
	SessionID string
}

// AuditActor is the audit actor of p's calls from ip.
func (p Principal) AuditActor(ip string) audit.Actor {
	return audit.Actor{Type: audit.ActorStaff, ID: p.Staff.ID, IP: ip}
}

// phantomKey is how an email's failed logins are counted when no active member has it.
func phantomKey(email string) string { return "staff:" + email }

// Login checks a staff member's password and TOTP code and opens a staff session. Wrong
// passwords and wrong codes both count toward the lockout of the account (the settings of
// users' lockout); the rate limits of users' logins apply too. A right password without a
// code gives second_factor_required with methods ["totp"]. An unknown email, and the email of
// a disabled member, are answered exactly like a member's wrong password, countdown and lock
// included, so that no answer tells which emails are staff. Every attempt is audited.
func (s *Service) Login(ctx context.Context, in LoginInput) (Session, Staff, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.IP, in.UserAgent, in.OTP = clip(in.IP), clip(in.UserAgent), strings.TrimSpace(in.OTP)
	now := s.now().UTC()
	if err := s.cred.LimitLogin(phantomKey(in.Email), in.IP, now); err != nil {
		return Session{}, Staff{}, err
	}
	if in.Email == "" || in.Password == "" || len(in.Email) > maxInputBytes || len(in.Password) > maxInputBytes {
		return Session{}, Staff{}, ErrInvalidCredentials
	}
	var hash, sealed string
	var lastStep int64
	st, err := scanStaff(s.db.QueryRow(ctx, "SELECT "+staffCols+", password_hash, totp_secret, totp_last_step FROM staff WHERE email = ?",
		in.Email), &hash, &sealed, &lastStep)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Session{}, Staff{}, s.nobody(ctx, in, now, "", "unknown_email")
	case err != nil:
		return Session{}, Staff{}, fmt.Errorf("staff login: %w", err)
	case st.Disabled:
		return Session{}, Staff{}, s.nobody(ctx, in, now, st.ID, "disabled")
	}
	st = st.asOf(now)
	if st.Status == StatusLocked {
		var until any
		if st.LockedUntil != nil {
			until = st.LockedUntil.UTC()
		}
		return Session{}, Staff{}, ErrAccountLocked.With("locked_until", until)
	}
	ok, err := s.cred.VerifyPassword(ctx, hash, in.Password)
	if err != nil && ctx.Err() != nil {
		return Session{}, Staff{}, err
	}
	if err != nil {
		s.log.Error("unusable staff password hash", "staff", st.ID, "err", err)
	}
	if !ok {
		return Session{}, Staff{}, s.failed(ctx, st, in, now, "wrong_password", ErrInvalidCredentials)
	}
	if in.OTP == "" {
		return Session{}, Staff{}, ErrSecondFactorRequired.With("methods", []string{"totp"})
	}
	secret, err := s.sealer.Open(sealed, []byte(st.ID))
	if err != nil {
		// A secret that cannot be opened (a wrong key) matches no code.
		s.log.Error("staff TOTP secret cannot be opened", "staff", st.ID, "err", err)
	}
	step := int64(0)
	if err == nil {
		step = s.cred.MatchTOTP(string(secret), in.OTP, now, lastStep)
	}
	if step == 0 {
		return Session{}, Staff{}, s.failed(ctx, st, in, now, "wrong_code", ErrInvalidCode)
	}

	token, tokenHash, err := newToken()
	if err != nil {
		return Session{}, Staff{}, err
	}
	ss := Session{ID: id.New("sss"), StaffID: st.ID, Token: token, IP: in.IP, UserAgent: in.UserAgent,
		CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		// Spending the step is conditional, so two logins racing with one code can't both
		// pass; so is the member being enabled still, against a disable racing this login.
		res, err := tx.Exec(ctx, `UPDATE staff SET totp_last_step = ?, failed_logins = 0, locked_until = NULL,
			status = 'active', updated_at = ? WHERE id = ? AND totp_last_step < ? AND disabled = 0`,
			step, now.UnixMicro(), st.ID, step)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errors.Join(err, ErrInvalidCode)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO staff_sessions (id, staff_id, token_hash, ip, user_agent, created_at,
			last_seen_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
			ss.ID, st.ID, tokenHash, ss.IP, ss.UserAgent, now.UnixMicro(), now.UnixMicro(), ss.ExpiresAt.UnixMicro()); err != nil {
			return err
		}
		return audit.Insert(ctx, tx, audit.Entry{At: now, ActorType: audit.ActorStaff, ActorID: st.ID, Action: "staff.login",
			TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: map[string]any{"session_id": ss.ID, "user_agent": in.UserAgent}})
	})
	if errors.Is(err, ErrInvalidCode) {
		return Session{}, Staff{}, s.failed(ctx, st, in, now, "code_reused", ErrInvalidCode)
	}
	if err != nil {
		return Session{}, Staff{}, fmt.Errorf("staff login %s: %w", st.ID, err)
	}
	st.FailedLogins, st.LockedUntil, st.Status = 0, nil, StatusActive
	return ss, st, nil
}

// nobody answers a login that names no active member (staffID is set for a disabled one) as
// a wrong password of a real member is answered: one argon2 verification, a phantom count
// down and lock, an audit entry.
func (s *Service) nobody(ctx context.Context, in LoginInput, now time.Time, staffID, reason string) error {
	key := phantomKey(in.Email)
	if err := s.cred.PhantomGate(key, now); err != nil {
		return err
	}
	if _, err := s.cred.VerifyPassword(ctx, "", in.Password); err != nil {
		return err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return audit.Insert(ctx, tx, audit.Entry{At: now, ActorType: audit.ActorStaff, ActorID: staffID, Action: "staff.login_failed",
			TargetType: "staff", TargetID: staffID, IP: in.IP, Detail: map[string]any{"reason": reason}})
	})
	if err != nil {
		return fmt.Errorf("staff login: %w", err)
	}
	return s.cred.PhantomFailed(key, now)
}

// failed counts a wrong password or code against st, locks the account at the threshold,
// audits the attempt, and returns answer (with attempts_remaining) or account_locked.
func (s *Service) failed(ctx context.Context, st Staff, in LoginInput, now time.Time, reason string, answer *fault.Error) error {
	threshold, lockFor := s.cred.Lockout()
	var out error
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var failed int
		var locked sql.NullInt64
		err := tx.QueryRow(ctx, "SELECT failed_logins, locked_until FROM staff WHERE id = ?"+tx.ForUpdate(), st.ID).Scan(&failed, &locked)
		if err != nil {
			return err
		}
		if locked.Valid && now.Before(time.UnixMicro(locked.Int64)) {
			out = ErrAccountLocked.With("locked_until", time.UnixMicro(locked.Int64).UTC())
			return nil
		}
		failed++
		detail := map[string]any{"reason": reason, "failed_logins": failed}
		if failed < threshold {
			if _, err := tx.Exec(ctx, "UPDATE staff SET failed_logins = ?, updated_at = ? WHERE id = ?", failed, now.UnixMicro(), st.ID); err != nil {
				return err
			}
			out = answer.With("attempts_remaining", threshold-failed)
			return audit.Insert(ctx, tx, audit.Entry{At: now, ActorType: audit.ActorStaff, ActorID: st.ID, Action: "staff.login_failed",
				TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: detail})
		}
		until := now.Add(lockFor).Truncate(time.Microsecond) // as stored, so every answer shows the same instant
		if _, err := tx.Exec(ctx, `UPDATE staff SET status = 'locked', failed_logins = 0, locked_until = ?, updated_at = ?
			WHERE id = ?`, until.UnixMicro(), now.UnixMicro(), st.ID); err != nil {
			return err
		}
		out = ErrAccountLocked.With("locked_until", until)
		if err := audit.Insert(ctx, tx, audit.Entry{At: now, ActorType: audit.ActorStaff, ActorID: st.ID, Action: "staff.login_failed",
			TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: detail}); err != nil {
			return err
		}
		return audit.Insert(ctx, tx, audit.Entry{At: now, ActorType: audit.ActorSystem, Action: "staff.locked",
			TargetType: "staff", TargetID: st.ID, IP: in.IP, Detail: map[string]any{"locked_until": until, "reason": "too_many_failed_logins"}})
	})
	if err != nil {
		return fmt.Errorf("staff login %s: %w", st.ID, err)
	}
	return out
}

// Authenticate resolves a staff token to its staff member, reading the store every time (see
// the top of this file). Users' tokens, unknown, expired and revoked ones, and the tokens of
// disabled members give unauthenticated.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > maxInputBytes {
		return Principal{}, ErrUnauthenticated
	}
	key := sha256.Sum256([]byte(token))
	var sid string
	var seen, expires int64
	var revoked sql.NullInt64
	st, err := scanStaff(s.db.QueryRow(ctx, "SELECT "+prefixed("t.", staffCols)+`, s.id, s.last_seen_at, s.expires_at, s.revoked_at
		FROM staff_sessions s JOIN staff t ON t.id = s.staff_id WHERE s.token_hash = ?`, hex.EncodeToString(key[:])),
		&sid, &seen, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate staff: %w", err)
	}
	now := s.now()
	if revoked.Valid || !now.Before(time.UnixMicro(expires)) || st.Disabled {
		return Principal{}, ErrUnauthenticated
	}
	if now.Sub(time.UnixMicro(seen)) >= seenEvery {
		if _, err := s.db.Exec(ctx, "UPDATE staff_sessions SET last_seen_at = ? WHERE id = ?", now.UnixMicro(), sid); err != nil && ctx.Err() == nil {
			s.log.Warn("staff session last_seen_at not updated", "session", sid, "err", err)
		}
	}
	return Principal{Staff: st.asOf(now), SessionID: sid}, nil
}

// Logout revokes one staff session.
func (s *Service) Logout(ctx context.Context, p Principal, ip string) error {
	now := s.now().UTC()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE staff_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now.UnixMicro(), p.SessionID); err != nil {
			return err
		}
		return audit.Insert(ctx, tx, audit.Entry{At: now, ActorType: audit.ActorStaff, ActorID: p.Staff.ID, Action: "staff.logout",
			TargetType: "staff", TargetID: p.Staff.ID, IP: ip, Detail: map[string]any{"session_id": p.SessionID}})
	})
	if err != nil {
		return fmt.Errorf("staff logout %s: %w", p.SessionID, err)
	}
	return nil
}

// newToken returns a fresh opaque token and the hex SHA-256 stored in its place.
func newToken() (token, tokenHash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	h := sha256.Sum256([]byte(token))
	return token, hex.EncodeToString(h[:]), nil
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

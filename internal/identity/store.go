package identity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
)

// querier is what both *db.DB and *db.Tx offer for reads.
type querier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

const userCols = `id, phone, email, password_hash, display_name, locale, tier, status,
	failed_logins, locked_until, password_changed_at, created_at, updated_at, totp_enabled,
	phone_verified_at, email_verified_at`

// userRow receives the columns of userCols, in that order.
type userRow struct {
	u                            User
	hash                         string
	lockedUntil                  sql.NullInt64
	changedAt, created, updated  int64
	totpEnabled                  int
	phoneVerified, emailVerified sql.NullInt64
}

func (r *userRow) dest() []any {
	return []any{&r.u.ID, &r.u.Phone, &r.u.Email, &r.hash, &r.u.DisplayName, &r.u.Locale, &r.u.Tier,
		&r.u.Status, &r.u.FailedLogins, &r.lockedUntil, &r.changedAt, &r.created, &r.updated, &r.totpEnabled,
		&r.phoneVerified, &r.emailVerified}
}

// user finishes the scanned row as of now (a timed lock that has run out reads as active).
func (r *userRow) user(now time.Time) User {
	u := r.u
	if r.lockedUntil.Valid {
		t := fromMicros(r.lockedUntil.Int64)
		u.LockedUntil = &t
	}
	u.PasswordChangedAt, u.CreatedAt, u.UpdatedAt = fromMicros(r.changedAt), fromMicros(r.created), fromMicros(r.updated)
	u.TwoFactor = twoFactorOf(r.totpEnabled == 1)
	u.PhoneVerified, u.EmailVerified = r.phoneVerified.Valid, r.emailVerified.Valid
	u.Status = effectiveStatus(u, now)
	return u
}

// userWhere loads one user by a WHERE clause over users.
func (s *Service) userWhere(ctx context.Context, q querier, where string, args ...any) (User, string, error) {
	var r userRow
	err := q.QueryRow(ctx, "SELECT "+userCols+" FROM users WHERE "+where, args...).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, "", ErrNotFound
	}
	if err != nil {
		return User{}, "", fmt.Errorf("load user: %w", err)
	}
	return r.user(s.now()), r.hash, nil
}

// userByLogin finds the user a login string names: a phone, an email (any case) or, when
// byID, a user id.
func (s *Service) userByLogin(ctx context.Context, login string, byID bool) (User, string, error) {
	login = s.phoneLogin(login)
	if byID {
		return s.userWhere(ctx, s.db, "id = ? OR phone = ? OR email = ?", login, login, strings.ToLower(login))
	}
	return s.userWhere(ctx, s.db, "phone = ? OR email = ?", login, strings.ToLower(login))
}

// duplicateField tells which of phone and email is already taken, or "" when neither is.
func (s *Service) duplicateField(ctx context.Context, phone, email string) (string, error) {
	var p string
	err := s.db.QueryRow(ctx, "SELECT phone FROM users WHERE phone = ? OR email = ? LIMIT 1", phone, email).Scan(&p)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("check duplicates: %w", err)
	case p == phone:
		return "phone", nil
	default:
		return "email", nil
	}
}

func insertUser(ctx context.Context, tx *db.Tx, u User, hash string) error {
	_, err := tx.Exec(ctx, `INSERT INTO users (id, phone, email, password_hash, display_name, locale, tier,
		status, failed_logins, locked_until, password_changed_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?)`,
		u.ID, u.Phone, u.Email, hash, u.DisplayName, u.Locale, string(u.Tier), string(u.Status),
		micros(u.PasswordChangedAt), micros(u.CreatedAt), micros(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO password_history (user_id, hash, created_at) VALUES (?, ?, ?)",
		u.ID, hash, micros(u.PasswordChangedAt)); err != nil {
		return fmt.Errorf("insert password history: %w", err)
	}
	return nil
}

// event is a security event to record.
type event struct {
	userID   string // "" for a login that names no account
	kind     string
	ip       string
	deviceID string
	detail   map[string]any
}

// recordEvent appends to security_events within tx.
func recordEvent(ctx context.Context, tx *db.Tx, at time.Time, e event) error {
	detail := []byte("{}")
	if len(e.detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.detail); err != nil {
			return fmt.Errorf("record %s event: %w", e.kind, err)
		}
	}
	var uid any
	if e.userID != "" {
		uid = e.userID
	}
	_, err := tx.Exec(ctx, `INSERT INTO security_events (id, user_id, kind, ip, device_id, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, id.New("sev"), uid, e.kind, e.ip, e.deviceID, string(detail), micros(at))
	if err != nil {
		return fmt.Errorf("record %s event: %w", e.kind, err)
	}
	return auditEvent(ctx, tx, at, e) // every security event is in the audit log too
}

const sessionCols = `s.id, s.user_id, s.device_id, s.ip, s.user_agent, s.created_at, s.last_seen_at,
	s.expires_at, s.revoked_at, s.scope`

func scanSession(sc interface{ Scan(...any) error }, extra ...any) (Session, error) {
	var (
		ss                     Session
		created, seen, expires int64
		revoked                sql.NullInt64
	)
	dest := append([]any{&ss.ID, &ss.UserID, &ss.DeviceID, &ss.IP, &ss.UserAgent, &created, &seen, &expires, &revoked, &ss.Scope}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return Session{}, err
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(expires)
	if revoked.Valid {
		t := fromMicros(revoked.Int64)
		ss.RevokedAt = &t
	}
	return ss, nil
}

func insertSession(ctx context.Context, tx *db.Tx, ss Session, tokenHash string) error {
	_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, token_hash, device_id, ip, user_agent,
		created_at, last_seen_at, expires_at, revoked_at, scope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
		ss.ID, ss.UserID, tokenHash, ss.DeviceID, ss.IP, ss.UserAgent,
		micros(ss.CreatedAt), micros(ss.LastSeenAt), micros(ss.ExpiresAt), ss.Scope)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// sessionByTokenHash loads a session and its user in one read, for Authenticate.
func (s *Service) sessionByTokenHash(ctx context.Context, tokenHash string) (Session, User, error) {
	row := s.db.QueryRow(ctx, "SELECT "+sessionCols+`, u.id, u.phone, u.email, u.password_hash,
		u.display_name, u.locale, u.tier, u.status, u.failed_logins, u.locked_until,
		u.password_changed_at, u.created_at, u.updated_at, u.totp_enabled, u.phone_verified_at, u.email_verified_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash)
	var ur userRow
	ss, err := scanSession(row, ur.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, User{}, ErrNotFound
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("load session: %w", err)
	}
	return ss, ur.user(s.now()), nil
}

package identity

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// Principal is who an authenticated call acts for.
type Principal struct {
	User      User
	SessionID string
	Scope     string // "" (the whole wallet) or ScopeChat (the chat widget: AuthenticateChat only)
}

// seenEvery is how stale last_seen_at may get: Authenticate writes it at most this often per
// session, never on every call.
const seenEvery = time.Minute

// Authenticate resolves a session token to its user. Unknown, expired and revoked tokens give
// ErrUnauthenticated, and so does a chat widget's session: it opens the chat only
// (AuthenticateChat), so every caller of Authenticate refuses it without knowing it exists.
// It runs on every API call: a valid session is served from a short-lived in-process cache,
// and last_seen_at is written at most once a minute.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	p, err := s.AuthenticateChat(ctx, token)
	if err == nil && p.Scope != "" {
		return Principal{}, ErrUnauthenticated
	}
	return p, err
}

// AuthenticateChat is Authenticate that also takes a chat widget's session (Principal.Scope
// ScopeChat): for the chat pages and the customer's conversation stream only.
func (s *Service) AuthenticateChat(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > maxLoginInputBytes {
		return Principal{}, ErrUnauthenticated
	}
	key := sha256.Sum256([]byte(token))
	now := s.now()
	if s.cache != nil {
		if e, ok := s.cache.get(key, now); ok {
			if !now.Before(e.expiresAt) {
				return Principal{}, ErrUnauthenticated
			}
			if s.cache.claimSeen(key, now, seenEvery) {
				s.touch(ctx, e.sessionID, now)
			}
			return Principal{User: e.user.clone(), SessionID: e.sessionID, Scope: e.scope}, nil
		}
	}
	var epoch uint64
	if s.cache != nil {
		epoch = s.cache.currentEpoch()
	}
	ss, u, err := s.sessionByTokenHash(ctx, hex.EncodeToString(key[:]))
	if errors.Is(err, ErrNotFound) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("authenticate: %w", err)
	}
	if ss.RevokedAt != nil || !now.Before(ss.ExpiresAt) {
		return Principal{}, ErrUnauthenticated
	}
	if now.Sub(ss.LastSeenAt) >= seenEvery {
		s.touch(ctx, ss.ID, now)
		ss.LastSeenAt = now
	}
	if s.cache != nil {
		s.cache.put(key, cacheEntry{user: u, sessionID: ss.ID, scope: ss.Scope, expiresAt: ss.ExpiresAt, lastSeen: ss.LastSeenAt, loadedAt: now}, epoch)
	}
	return Principal{User: u.clone(), SessionID: ss.ID, Scope: ss.Scope}, nil
}

// touch records that a session was used. A failure is logged, not returned: it must not turn
// a valid call away.
func (s *Service) touch(ctx context.Context, sessionID string, now time.Time) {
	_, err := s.db.Exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
		micros(now), sessionID, micros(now.Add(-seenEvery)))
	if err != nil && ctx.Err() == nil {
		s.log.Warn("session last_seen_at not updated", "session", sessionID, "err", err)
	}
}

// Logout revokes one session. Revoking a revoked session is not an error; an unknown one gives
// ErrNotFound.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	return s.revokeSession(ctx, "", sessionID, EventLogout)
}

// RevokeSession revokes one of userID's sessions (DELETE /api/v1/me/sessions/{id}); another
// user's session gives ErrNotFound.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID string) error {
	if userID == "" {
		return ErrNotFound
	}
	return s.revokeSession(ctx, userID, sessionID, EventSessionsRevoked)
}

func (s *Service) revokeSession(ctx context.Context, userID, sessionID, kind string) error {
	defer s.invalidateSession(sessionID) // also on failure: dropping a cache entry is always safe
	now := s.now().UTC()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var owner string
		var revoked sql.NullInt64
		err := tx.QueryRow(ctx, "SELECT user_id, revoked_at FROM sessions WHERE id = ?"+tx.ForUpdate(), sessionID).Scan(&owner, &revoked)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && userID != "" && owner != userID) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if revoked.Valid {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE sessions SET revoked_at = ? WHERE id = ?", micros(now), sessionID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, event{userID: owner, kind: kind,
			detail: map[string]any{"session_id": sessionID, "count": 1}})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("revoke session %s: %w", sessionID, err)
	}
	return err
}

// RevokeSessions revokes every live session of userID except exceptSessionID (may be empty),
// e.g. after a password change or when an agent secures an account.
func (s *Service) RevokeSessions(ctx context.Context, userID, exceptSessionID string) error {
	defer s.invalidateUser(userID, exceptSessionID)
	now := s.now().UTC()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, _, err := s.userWhere(ctx, tx, "id = ?", userID); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ?
			WHERE user_id = ? AND id <> ? AND revoked_at IS NULL AND expires_at > ?`,
			micros(now), userID, exceptSessionID, micros(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		detail := map[string]any{"count": n}
		if exceptSessionID != "" {
			detail["kept_session_id"] = exceptSessionID
		}
		return recordEvent(ctx, tx, now, event{userID: userID, kind: EventSessionsRevoked, detail: detail})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("revoke sessions of %s: %w", userID, err)
	}
	return err
}

// Sessions lists userID's live sessions, newest first (GET /api/v1/me/sessions).
func (s *Service) Sessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := s.db.Query(ctx, "SELECT "+sessionCols+` FROM sessions s
		WHERE s.user_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?
		ORDER BY s.created_at DESC, s.id DESC`, userID, micros(s.now()))
	if err != nil {
		return nil, fmt.Errorf("sessions of %s: %w", userID, err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		ss, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sessions of %s: %w", userID, err)
		}
		out = append(out, ss)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sessions of %s: %w", userID, err)
	}
	return out, nil
}

func (s *Service) invalidateSession(sessionID string) {
	if s.cache != nil {
		s.cache.invalidateSession(sessionID)
	}
}

func (s *Service) invalidateUser(userID, except string) {
	if s.cache != nil {
		s.cache.invalidateUser(userID, except)
	}
}

// PreferredLocale is the user's language setting, so that API answers follow it.
func (p Principal) PreferredLocale() string { return p.User.Locale }

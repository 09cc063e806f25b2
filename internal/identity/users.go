package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// User returns the user with id, or ErrNotFound.
func (s *Service) User(ctx context.Context, id string) (User, error) {
	u, _, err := s.userWhere(ctx, s.db, "id = ?", id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("user %s: %w", id, err)
	}
	return u, err
}

// UserByLogin returns the user a phone, an email (any case) or a user id names, or
// ErrNotFound; P2P transfers use it to resolve "to".
func (s *Service) UserByLogin(ctx context.Context, login string) (User, error) {
	login = strings.TrimSpace(login)
	if login == "" {
		return User{}, ErrNotFound
	}
	u, _, err := s.userByLogin(ctx, login, true)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, fmt.Errorf("user by login: %w", err)
	}
	return u, err
}

// SetTier changes a user's verification tier.
func (s *Service) SetTier(ctx context.Context, userID string, tier Tier) error {
	if tier != TierBasic && tier != TierVerified {
		return fault.Invalid("tier", fault.MsgTier)
	}
	defer s.invalidateUser(userID, "") // cached principals carry the tier
	now := s.now().UTC()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		u, _, err := s.userWhere(ctx, tx, "id = ?"+tx.ForUpdate(), userID)
		if err != nil {
			return err
		}
		if u.Tier == tier {
			return nil
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET tier = ?, updated_at = ? WHERE id = ?", string(tier), micros(now), userID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, event{userID: userID, kind: EventTierChanged,
			detail: map[string]any{"from": u.Tier, "to": tier}})
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("set tier of %s: %w", userID, err)
	}
	return err
}

// SecurityEvent is one entry of a user's security log (GET /api/v1/me/security-events).
type SecurityEvent struct {
	ID        string          `json:"id"`
	UserID    string          `json:"-"`
	Kind      string          `json:"kind"`
	IP        string          `json:"ip"`
	DeviceID  string          `json:"device_id"`
	Detail    json.RawMessage `json:"detail"`
	CreatedAt time.Time       `json:"created_at"`
}

// SecurityEvents returns userID's most recent events, newest first; limit is clamped to
// 1…200 (0 means 50).
func (s *Service) SecurityEvents(ctx context.Context, userID string, limit int) ([]SecurityEvent, error) {
	switch {
	case limit <= 0:
		limit = 50
	case limit > 200:
		limit = 200
	}
	rows, err := s.db.Query(ctx, `SELECT id, user_id, kind, ip, device_id, detail, created_at
		FROM security_events WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("security events of %s: %w", userID, err)
	}
	defer rows.Close()
	out := []SecurityEvent{}
	for rows.Next() {
		var e SecurityEvent
		var detail string
		var at int64
		if err := rows.Scan(&e.ID, &e.UserID, &e.Kind, &e.IP, &e.DeviceID, &detail, &at); err != nil {
			return nil, fmt.Errorf("security events of %s: %w", userID, err)
		}
		e.Detail, e.CreatedAt = json.RawMessage(detail), fromMicros(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("security events of %s: %w", userID, err)
	}
	return out, nil
}

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
	"github.com/dompet/dompet/internal/id"
)

// The chat widget's sessions. A merchant's page frames Dompet's chat; the browser does not
// send the Lax session cookie to that frame, so the frame gets its own session: the user,
// signed in on Dompet's own page, mints a grant (GrantWidget), and the frame redeems it
// (RedeemWidget) for a session of scope ScopeChat, which only AuthenticateChat accepts.

// ScopeChat is the scope of a chat widget's session.
const ScopeChat = "chat"

const (
	// WidgetGrantTTL is how long a grant code may wait for its redemption: the popup hands it
	// to the frame at once.
	WidgetGrantTTL = 60 * time.Second
	// WidgetSessionTTL is the life of a widget session: a shopping visit, not a device.
	WidgetSessionTTL = 8 * time.Hour
)

// GrantWidget mints a one-time code that opens a chat widget session for the user of the full
// session sessionID. Only the code's hash is stored.
func (s *Service) GrantWidget(ctx context.Context, userID, sessionID string) (string, error) {
	code, codeHash, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	// The user's spent and expired grants go as a new one comes: the table stays small
	// without a sweeper.
	if _, err := s.db.Exec(ctx, "DELETE FROM widget_grants WHERE user_id = ? AND (used_at IS NOT NULL OR expires_at < ?)",
		userID, micros(now)); err != nil {
		return "", fmt.Errorf("widget grants of %s: %w", userID, err)
	}
	_, err = s.db.Exec(ctx, `INSERT INTO widget_grants (code_hash, user_id, session_id, created_at, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?, NULL)`, codeHash, userID, sessionID, micros(now), micros(now.Add(WidgetGrantTTL)))
	if err != nil {
		return "", fmt.Errorf("widget grant for %s: %w", userID, err)
	}
	return code, nil
}

// RedeemWidget spends a grant code and opens the widget session it grants; the returned
// Session carries the token. An unknown, used or expired code, or one whose granting session
// has ended since, gives ErrInvalidCode (a code is spent by its first try, good or not).
func (s *Service) RedeemWidget(ctx context.Context, code string, in LoginInput) (Session, error) {
	if code == "" || len(code) > maxLoginInputBytes {
		return Session{}, ErrInvalidCode
	}
	h := sha256.Sum256([]byte(code))
	codeHash := hex.EncodeToString(h[:])
	now := s.now().UTC()
	token, tokenHash, err := newToken()
	if err != nil {
		return Session{}, err
	}
	ss := Session{ID: id.New("ses"), Token: token, DeviceID: clip(in.DeviceID), IP: clip(in.IP), UserAgent: clip(in.UserAgent),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(WidgetSessionTTL), Scope: ScopeChat}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var (
			granter        string
			expires        int64
			used           sql.NullInt64
			grantorRevoked sql.NullInt64
			grantorExpires int64
			grantorScope   string
		)
		err := tx.QueryRow(ctx, `SELECT g.user_id, g.expires_at, g.used_at, s.revoked_at, s.expires_at, s.scope
			FROM widget_grants g JOIN sessions s ON s.id = g.session_id
			WHERE g.code_hash = ?`+tx.ForUpdate(), codeHash).
			Scan(&granter, &expires, &used, &grantorRevoked, &grantorExpires, &grantorScope)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrInvalidCode
		}
		if err != nil {
			return err
		}
		// Spent by this try: the update is conditional, so two redemptions racing on SQLite
		// (no row lock) still spend it once.
		res, err := tx.Exec(ctx, "UPDATE widget_grants SET used_at = ? WHERE code_hash = ? AND used_at IS NULL", micros(now), codeHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 || used.Valid {
			return ErrInvalidCode
		}
		if !now.Before(fromMicros(expires)) || grantorRevoked.Valid || !now.Before(fromMicros(grantorExpires)) || grantorScope != "" {
			return ErrInvalidCode // ended for good: nothing to keep spent
		}
		ss.UserID = granter
		if err := insertSession(ctx, tx, ss, tokenHash); err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, event{userID: granter, kind: EventLogin, ip: ss.IP, deviceID: ss.DeviceID,
			detail: map[string]any{"session_id": ss.ID, "scope": ScopeChat}})
	})
	if errors.Is(err, ErrInvalidCode) {
		return Session{}, err
	}
	if err != nil {
		return Session{}, fmt.Errorf("redeem widget grant: %w", err)
	}
	return ss, nil
}

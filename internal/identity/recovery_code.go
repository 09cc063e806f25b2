package identity

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// One-time codes sent by SMS or email for account recovery and PIN resets: 6 digits from
// crypto/rand, valid 10 minutes, 5 tries, stored as argon2id hashes (a 6-digit code under a
// fast hash would fall to a million guesses offline). At most one code per user, purpose and
// network is live; a new one replaces it, but not within 60 s of the last one sent.
//
// A recovery code belongs to the network that asked for it (ipKey: the IPv4 address or the
// IPv6 /64) and is checked only against verifications from there. Without this, anyone who
// knows a victim's phone number could keep the victim from ever recovering: ask for a code,
// void it with 5 wrong guesses, again and again. Now such a person only ever guesses at, and
// voids, codes of their own asking (which reach the victim's phone and are useless to them);
// the victim's own code, asked for and typed in from the victim's phone, is out of their
// reach. The cost: a code must be used from the network it was asked from, and a victim
// behind the same address as the attacker is not protected by this. PIN reset codes are
// asked for from a session, so they have one scope per user.
const (
	purposeRecovery = "recovery"
	purposePINReset = "pin_reset"

	codeDigits      = 6
	codeTTL         = 10 * time.Minute
	codeResendAfter = 60 * time.Second
	codeMaxAttempts = 5
	maxCodeInput    = 64 // longer input is wrong without being looked at
)

// newCode returns a uniformly random 6-digit code.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("one-time code: %w", err)
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// wellFormedCode reports whether c is 6 ASCII digits.
func wellFormedCode(c string) bool {
	if len(c) != codeDigits {
		return false
	}
	for i := range len(c) {
		if c[i] < '0' || c[i] > '9' {
			return false
		}
	}
	return true
}

// freshCode makes a code and its hash. It is called for every request, also those that will
// send nothing, so that all take the same time.
func (s *Service) freshCode(ctx context.Context) (code, hash string, err error) {
	if code, err = newCode(); err != nil {
		return "", "", err
	}
	if hash, err = s.hash(ctx, code); err != nil {
		return "", "", err
	}
	return code, hash, nil
}

// codeScope is where a code is valid: its purpose and the network that asked for it.
type codeScope struct {
	purpose string
	network string // ipKey of the asking address; "" for PIN resets
	// known: the user has logged in from this address before, so the user-wide budget of
	// sends does not apply (see RateLimits.SendsPerUser).
	known bool
}

// recoveryScope is the scope of a recovery code asked for, or checked, from ip.
func (s *Service) recoveryScope(ctx context.Context, userID, ip string) codeScope {
	sc := codeScope{purpose: purposeRecovery, network: ipKey(ip)}
	var one int
	err := s.db.QueryRow(ctx, "SELECT 1 FROM sessions WHERE user_id = ? AND ip = ? LIMIT 1", userID, ip).Scan(&one)
	sc.known = err == nil
	return sc
}

// issueCode stores codeHash as u's live code for sc, unless a code was sent there less than
// 60 s ago or a budget of sends is spent; issued says whether the caller should send it.
func (s *Service) issueCode(ctx context.Context, u User, sc codeScope, channel, codeHash, ip string, now time.Time) (issued bool, err error) {
	purpose := sc.purpose
	takes := []take{{s.acc.sends, purpose + "|" + u.ID + "|" + sc.network}}
	if !sc.known {
		takes = append(takes, take{s.acc.sendsAll, purpose + "|" + u.ID})
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		issued = false
		var sentAt int64
		err := tx.QueryRow(ctx, "SELECT sent_at FROM access_codes WHERE user_id = ? AND purpose = ? AND network = ?"+tx.ForUpdate(),
			u.ID, purpose, sc.network).Scan(&sentAt)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case now.Sub(fromMicros(sentAt)) < codeResendAfter:
			return nil
		}
		if throttle(now, takes...) != nil {
			return recordEvent(ctx, tx, now, event{userID: u.ID, kind: requestEvent(purpose), ip: ip,
				detail: map[string]any{"channel": channel, "sent": false, "reason": "send_limit"}})
		}
		_, err = tx.Exec(ctx, `INSERT INTO access_codes (user_id, purpose, network, channel, code_hash, attempts, sent_at, expires_at)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?)
			ON CONFLICT (user_id, purpose, network) DO UPDATE SET channel = excluded.channel, code_hash = excluded.code_hash,
				attempts = 0, sent_at = excluded.sent_at, expires_at = excluded.expires_at`,
			u.ID, purpose, sc.network, channel, codeHash, micros(now), micros(now.Add(codeTTL)))
		if err != nil {
			return err
		}
		issued = true
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: requestEvent(purpose), ip: ip,
			detail: map[string]any{"channel": channel, "sent": true}})
	})
	if err != nil {
		return false, fmt.Errorf("issue %s code for %s: %w", purpose, u.ID, err)
	}
	return issued, nil
}

func requestEvent(purpose string) string {
	switch purpose {
	case purposePINReset:
		return EventPINResetRequest
	case purposePhoneVerify, purposeEmailVerify:
		return EventVerifyRequest
	}
	return EventRecoveryRequest
}

// checkCode tells whether code is u's live code for purpose. Each call claims one of the
// code's 5 tries before looking at it, so that no number of concurrent guesses gets more
// than 5 looks; past them the code is void, the right one included. A right code is not
// spent here: the caller deletes it with spendCode in the transaction that uses it.
func (s *Service) checkCode(ctx context.Context, u User, sc codeScope, code, ip string, now time.Time) (codeHash string, err error) {
	if len(code) > maxCodeInput {
		return "", ErrInvalidCode
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "") // "123 456" as some people type it
	purpose := sc.purpose
	var attempts int
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `UPDATE access_codes SET attempts = attempts + 1
			WHERE user_id = ? AND purpose = ? AND network = ? AND attempts < ? AND expires_at > ?
			RETURNING code_hash, attempts`, u.ID, purpose, sc.network, codeMaxAttempts, micros(now)).Scan(&codeHash, &attempts)
	})
	if errors.Is(err, sql.ErrNoRows) {
		// No live code: spend the time a check would take, and answer like a wrong code.
		_, _ = s.verify(ctx, s.dummy(), code)
		return "", ErrInvalidCode
	}
	if err != nil {
		return "", fmt.Errorf("check %s code of %s: %w", purpose, u.ID, err)
	}
	ok, err := s.verify(ctx, codeHash, code)
	if err != nil && ctx.Err() != nil {
		return "", err
	}
	if ok && wellFormedCode(code) {
		return codeHash, nil
	}
	kind := EventRecoveryCode
	switch purpose {
	case purposePINReset:
		kind = EventPINFailed
	case purposePhoneVerify, purposeEmailVerify:
		kind = EventVerifyFailed
	}
	werr := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: kind, ip: ip,
			detail: map[string]any{"purpose": purpose, "attempts": attempts, "void": attempts >= codeMaxAttempts}})
	})
	if werr != nil {
		s.log.Warn("wrong code not recorded", "user", u.ID, "err", werr)
	}
	return "", ErrInvalidCode
}

// spendCode deletes the code checkCode accepted, within the transaction that acts on it. It
// answers ErrInvalidCode when the code is gone: spent by a concurrent request, or replaced.
func spendCode(ctx context.Context, tx *db.Tx, userID, purpose, codeHash string) error {
	res, err := tx.Exec(ctx, "DELETE FROM access_codes WHERE user_id = ? AND purpose = ? AND code_hash = ?", userID, purpose, codeHash)
	if err != nil {
		return fmt.Errorf("spend %s code: %w", purpose, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return ErrInvalidCode
	}
	return nil
}

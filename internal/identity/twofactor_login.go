package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/notify"
)

// The second step of a login, after the password: two-factor users give a code, and so does
// anyone logging in from a device or a network the account has not used before (API.md).
// Codes sent by SMS or email: 6 digits, 10 minutes, 5 tries, at most one new code a minute.
const (
	loginCodeTTL      = 10 * time.Minute
	loginCodeTries    = 5
	loginCodeInterval = time.Minute
	// Wrong codes a user may give: a few in a short window, a bounded number a day, so that a
	// thief who has the password cannot work through the million TOTP codes.
	codeFailuresShort  = 5
	codeWindowShort    = 15 * time.Minute
	codeFailuresDay    = 20
	codeWindowDay      = 24 * time.Hour
	reasonNewDevice    = "new_device"
	reasonNewNetwork   = "new_network"
	recoveryCodeMethod = "recovery_code"
)

// errCodesThrottled answers a user who has given too many wrong codes lately.
var errCodesThrottled = fault.New("rate_limited", "too many wrong codes; try again later")

// loginCheck is what the second-factor step learned about one login; Login applies it in the
// transaction that opens the session.
type loginCheck struct {
	first      bool   // the user's first login: its device and network are trusted as they are
	newDevice  bool   // device_id not seen before (no device_id counts as unseen)
	newNetwork bool   // IP in a network (IPv4 /16, IPv6 /32) not seen before
	network    string // "" when the IP says nothing
	passed     string // how the second factor was passed; "" when none was asked
}

func (c loginCheck) risky() bool { return !c.first && (c.newDevice || c.newNetwork) }

func (c loginCheck) reasons() []string {
	var r []string
	if c.newDevice {
		r = append(r, reasonNewDevice)
	}
	if c.newNetwork {
		r = append(r, reasonNewNetwork)
	}
	return r
}

// secondFactor runs after the password of u was found right. It returns nil error when the
// login may go on: no code was needed, or in.OTP was a good one (now spent). Otherwise it
// answers ErrSecondFactorRequired with the methods (sending a code when one is due),
// ErrInvalidCode, or a rate_limited failure.
func (s *Service) secondFactor(ctx context.Context, u User, in LoginInput, now time.Time) (loginCheck, error) {
	c, err := s.assessLogin(ctx, u, in)
	if err != nil {
		return c, err
	}
	if !u.TwoFactor.Enabled && !c.risky() {
		return c, nil
	}
	switch in.OTPMethod {
	case "", MethodSMS, MethodEmail, MethodTOTP:
	default:
		return c, fault.Invalid("otp_method", fault.MsgChannel)
	}
	if err := s.throttleCodes(ctx, u.ID, now); err != nil {
		return c, err
	}
	if strings.TrimSpace(in.OTP) == "" {
		return c, s.challenge(ctx, u, in, c, now)
	}
	method, err := s.spendCode(ctx, u, in.OTP, now, true)
	if err != nil {
		return c, err
	}
	if method == "" {
		return c, s.codeFailed(ctx, u, in, now, "login")
	}
	c.passed = method
	return c, nil
}

// methodsFor lists the second factors u may use now: TOTP users pick; others get a code.
func methodsFor(u User) []string {
	if u.TwoFactor.Enabled {
		return slices.Clone(u.TwoFactor.Methods)
	}
	return []string{MethodSMS, MethodEmail}
}

// challenge answers a login that needs a code and has none. A code is sent when the client
// asks for one (otp_method sms or email) and, for users without TOTP, by SMS unasked.
func (s *Service) challenge(ctx context.Context, u User, in LoginInput, c loginCheck, now time.Time) error {
	methods := methodsFor(u)
	channel := in.OTPMethod
	if channel == "" && !u.TwoFactor.Enabled {
		channel = MethodSMS
	}
	sent := false
	if channel == MethodSMS || channel == MethodEmail {
		var err error
		if sent, err = s.sendLoginCode(ctx, u, channel, now); err != nil {
			return err
		}
	}
	if c.risky() {
		detail := map[string]any{"reasons": c.reasons(), "methods": methods}
		if sent {
			detail["code_sent"] = channel
		}
		err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventLoginChallenged, ip: in.IP,
				deviceID: in.DeviceID, detail: detail})
		})
		if err != nil {
			return fmt.Errorf("login %s: %w", u.ID, err)
		}
	}
	f := ErrSecondFactorRequired.With("methods", methods)
	if sent {
		f = f.With("code_sent", channel)
	}
	return f
}

// sendLoginCode sends u a new login code by channel, unless one was sent less than a minute
// ago (then it reports false and that code stays good). Earlier codes are voided.
func (s *Service) sendLoginCode(ctx context.Context, u User, channel string, now time.Time) (bool, error) {
	var last sql.NullInt64
	err := s.db.QueryRow(ctx, "SELECT MAX(created_at) FROM login_codes WHERE user_id = ? AND used_at IS NULL AND expires_at > ?",
		u.ID, micros(now)).Scan(&last)
	if err != nil {
		return false, fmt.Errorf("login codes of %s: %w", u.ID, err)
	}
	if last.Valid && now.Sub(fromMicros(last.Int64)) < loginCodeInterval {
		return false, nil
	}
	code, err := sixDigits()
	if err != nil {
		return false, err
	}
	cid := id.New("lgc")
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE login_codes SET used_at = ? WHERE user_id = ? AND used_at IS NULL", micros(now), u.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO login_codes (id, user_id, channel, code_hash, attempts, created_at, expires_at)
			VALUES (?, ?, ?, ?, 0, ?, ?)`, cid, u.ID, channel, codeHash(cid, code), micros(now), micros(now.Add(loginCodeTTL)))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("login code for %s: %w", u.ID, err)
	}
	m := loginCodeMessage(u, channel, code)
	if err := s.notify.Send(ctx, m); err != nil {
		if _, ok := fault.As(err); ok {
			return false, err // e.g. provider_unavailable: the client retries later
		}
		s.log.Error("login code not sent", "user", u.ID, "channel", channel, "err", err)
		return false, nil
	}
	return true, nil
}

// spendLoginCode accepts the latest live code sent to userID once; a wrong code uses up one
// of its tries, and the last try voids it.
func (s *Service) spendLoginCode(ctx context.Context, userID, code string, now time.Time) (string, error) {
	var cid, channel, hash string
	err := s.db.QueryRow(ctx, `SELECT id, channel, code_hash FROM login_codes
		WHERE user_id = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC, id DESC LIMIT 1`,
		userID, micros(now)).Scan(&cid, &channel, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("login code of %s: %w", userID, err)
	}
	// Claim a try before comparing, so that concurrent guesses get loginCodeTries looks in
	// all, not one each.
	res, err := s.db.Exec(ctx, "UPDATE login_codes SET attempts = attempts + 1 WHERE id = ? AND used_at IS NULL AND attempts < ?", cid, loginCodeTries)
	if err != nil {
		return "", fmt.Errorf("count login code try of %s: %w", userID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return "", err // no try left (or spent meanwhile)
	}
	if subtle.ConstantTimeCompare([]byte(codeHash(cid, code)), []byte(hash)) == 1 {
		res, err := s.db.Exec(ctx, "UPDATE login_codes SET used_at = ? WHERE id = ? AND used_at IS NULL", micros(now), cid)
		if err != nil {
			return "", fmt.Errorf("spend login code of %s: %w", userID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return "", err
		}
		return channel, nil
	}
	// The last try spent voids the code.
	_, err = s.db.Exec(ctx, "UPDATE login_codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND attempts >= ?", micros(now), cid, loginCodeTries)
	if err != nil {
		return "", fmt.Errorf("void login code of %s: %w", userID, err)
	}
	return "", nil
}

// codeFailed records a wrong second factor and returns ErrInvalidCode.
func (s *Service) codeFailed(ctx context.Context, u User, in LoginInput, now time.Time, during string) error {
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventSecondFactorFailed, ip: in.IP,
			deviceID: in.DeviceID, detail: map[string]any{"during": during}})
	})
	if err != nil {
		return fmt.Errorf("second factor of %s: %w", u.ID, err)
	}
	return ErrInvalidCode
}

// throttleCodes refuses a user who gave codeFailuresShort wrong codes within codeWindowShort,
// or codeFailuresDay within a day, until the oldest of them leaves its window.
func (s *Service) throttleCodes(ctx context.Context, userID string, now time.Time) error {
	rows, err := s.db.Query(ctx, `SELECT created_at FROM security_events WHERE user_id = ? AND kind = ? AND created_at > ?
		ORDER BY created_at DESC LIMIT ?`, userID, EventSecondFactorFailed, micros(now.Add(-codeWindowDay)), codeFailuresDay)
	if err != nil {
		return fmt.Errorf("code failures of %s: %w", userID, err)
	}
	defer rows.Close()
	var at []time.Time
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			return fmt.Errorf("code failures of %s: %w", userID, err)
		}
		at = append(at, fromMicros(t))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("code failures of %s: %w", userID, err)
	}
	var until time.Time
	if len(at) >= codeFailuresDay {
		until = at[codeFailuresDay-1].Add(codeWindowDay)
	}
	if len(at) >= codeFailuresShort {
		if t := at[codeFailuresShort-1].Add(codeWindowShort); t.After(now) && t.After(until) {
			until = t
		}
	}
	if !until.After(now) {
		return nil
	}
	return errCodesThrottled.With("retry_after", until.Sub(now))
}

// sixDigits is a uniformly random 6-digit code.
func sixDigits() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// contact is where a message by channel reaches u.
func contact(u User, channel string) string {
	if channel == notify.SMS {
		return u.Phone
	}
	return u.Email
}

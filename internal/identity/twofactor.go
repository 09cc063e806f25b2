package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Second-factor methods, as listed in second_factor_required answers and in User.TwoFactor.
const (
	MethodTOTP  = "totp"
	MethodSMS   = "sms"
	MethodEmail = "email"
)

// Kinds of security events about second factors and devices.
const (
	EventTwoFactorEnabled   = "two_factor_enabled"
	EventTwoFactorDisabled  = "two_factor_disabled"
	EventRecoveryCodeUsed   = "recovery_code_used"
	EventLoginChallenged    = "login_challenged"
	EventSecondFactorFailed = "second_factor_failed"
	EventNewDevice          = "new_device"
	EventDeviceRevoked      = "device_revoked"
)

const (
	recoveryCodeCount = 10
	recoveryAlphabet  = "abcdefghijklmnopqrstuvwxyz234567" // 32 symbols: 5 bits each, 50 bits a code
	maxOTPBytes       = 64
)

// twoFactorOf is a user's two-factor state from the users row: with TOTP on, the login's
// second factor is a TOTP code (or a recovery code), or a code sent by SMS or email as the
// fallback for a phone left at home.
func twoFactorOf(totpEnabled bool) TwoFactor {
	if !totpEnabled {
		return TwoFactor{Methods: []string{}}
	}
	return TwoFactor{Enabled: true, Methods: []string{MethodTOTP, MethodSMS, MethodEmail}}
}

// TOTPEnrollment is a new TOTP secret waiting for its first code (POST
// /api/v1/me/two-factor/totp). The secret is shown once, to be typed or scanned as a QR code.
type TOTPEnrollment struct {
	Secret     string `json:"secret" doc:"base32 secret, for authenticator apps that can't scan the QR code"`
	OTPAuthURL string `json:"otpauth_url" doc:"otpauth:// URL, the content of the QR code"`
}

// EnrollTOTP starts turning on two-factor for userID: a fresh secret replaces any earlier
// unconfirmed one. Nothing changes for logins until ConfirmTOTP. A user who already has
// two-factor on gets ErrInvalidState (turn it off first).
func (s *Service) EnrollTOTP(ctx context.Context, userID string) (TOTPEnrollment, error) {
	u, err := s.User(ctx, userID)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if u.TwoFactor.Enabled {
		return TOTPEnrollment{}, ErrInvalidState.Saying(fault.MsgTwoFactorOnEnroll)
	}
	secret, url, err := newTOTPKey(u.Email)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	sealed, err := s.sealTOTP(userID, secret)
	if err != nil {
		return TOTPEnrollment{}, err
	}
	now := micros(s.now())
	_, err = s.db.Exec(ctx, `INSERT INTO user_totp (user_id, pending_secret, pending_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret,
			pending_at = excluded.pending_at, updated_at = excluded.updated_at`, userID, sealed, now, now)
	if err != nil {
		return TOTPEnrollment{}, fmt.Errorf("enroll totp for %s: %w", userID, err)
	}
	return TOTPEnrollment{Secret: secret, OTPAuthURL: url}, nil
}

// ConfirmTOTP turns two-factor on with the secret of the last EnrollTOTP, given a current code
// from it, and returns ten recovery codes (shown once; each works once). The confirming code
// is spent: it cannot log in afterwards.
func (s *Service) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	codes, hashes, err := newRecoveryCodes(userID)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	var u User
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if u, _, err = s.userWhere(ctx, tx, "id = ?"+tx.ForUpdate(), userID); err != nil {
			return err
		}
		if u.TwoFactor.Enabled {
			return ErrInvalidState.Saying(fault.MsgTwoFactorOn)
		}
		var pending string
		var last int64
		err = tx.QueryRow(ctx, "SELECT pending_secret, last_step FROM user_totp WHERE user_id = ?", userID).Scan(&pending, &last)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && pending == "") {
			return ErrInvalidState.Saying(fault.MsgNoEnrollment)
		}
		if err != nil {
			return err
		}
		if pending, err = s.openTOTP(userID, pending); err != nil {
			return err
		}
		step := matchTOTP(pending, strings.TrimSpace(code), now, last)
		if step == 0 {
			return ErrInvalidCode
		}
		if _, err := tx.Exec(ctx, `UPDATE user_totp SET secret = pending_secret, pending_secret = '', pending_at = NULL,
			last_step = ?, enabled_at = ?, updated_at = ? WHERE user_id = ?`, step, micros(now), micros(now), userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_enabled = 1, updated_at = ? WHERE id = ?", micros(now), userID); err != nil {
			return err
		}
		if err := replaceRecoveryCodes(ctx, tx, userID, hashes, now); err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, now, event{userID: userID, kind: EventTwoFactorEnabled,
			detail: map[string]any{"method": MethodTOTP}}); err != nil {
			return err
		}
		return s.stageAlerts(ctx, tx, alertMessage(u, alertTwoFactorOn, now, nil))
	})
	if err != nil {
		if isFault(err) {
			return nil, err
		}
		return nil, fmt.Errorf("confirm totp for %s: %w", userID, err)
	}
	s.invalidateUser(userID, "") // cached principals carry the two-factor state
	s.alert(ctx, u, alertTwoFactorOn, now, nil)
	return codes, nil
}

// DisableTwoFactor turns two-factor off; it needs the password and a current code (TOTP or
// recovery), so that a stolen session alone cannot remove the second factor.
func (s *Service) DisableTwoFactor(ctx context.Context, userID, password, code string) error {
	u, hash, err := s.userWhere(ctx, s.db, "id = ?", userID)
	if err != nil {
		return err
	}
	if ok, err := s.verify(ctx, hash, password); err != nil && ctx.Err() != nil {
		return err
	} else if !ok {
		return ErrInvalidCredentials.Saying(fault.MsgWrongPassword)
	}
	if !u.TwoFactor.Enabled {
		return ErrInvalidState.Saying(fault.MsgTwoFactorOff)
	}
	now := s.now().UTC()
	if err := s.throttleCodes(ctx, userID, now); err != nil {
		return err
	}
	method, err := s.spendCode(ctx, u, strings.TrimSpace(code), now, false)
	if err != nil {
		return err
	}
	if method == "" {
		return s.codeFailed(ctx, u, LoginInput{}, now, "disable_two_factor")
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE user_totp SET secret = '', pending_secret = '', pending_at = NULL,
			enabled_at = NULL, updated_at = ? WHERE user_id = ?`, micros(now), userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET totp_enabled = 0, updated_at = ? WHERE id = ?", micros(now), userID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
			return err
		}
		if err := recordEvent(ctx, tx, now, event{userID: userID, kind: EventTwoFactorDisabled,
			detail: map[string]any{"method": MethodTOTP, "confirmed_with": method}}); err != nil {
			return err
		}
		return s.stageAlerts(ctx, tx, alertMessage(u, alertTwoFactorOff, now, nil))
	})
	if err != nil {
		return fmt.Errorf("disable two-factor for %s: %w", userID, err)
	}
	s.invalidateUser(userID, "")
	s.alert(ctx, u, alertTwoFactorOff, now, nil)
	return nil
}

// RecoveryCodesLeft counts userID's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("recovery codes of %s: %w", userID, err)
	}
	return n, nil
}

// spendCode checks code as a second factor of u and spends it: a TOTP code (two-factor
// users), a code sent by SMS or email, or a recovery code (two-factor users). It returns how
// the code was recognised ("totp", "sms", "email", "recovery_code"), or "" for a code that is
// none of these, or was already used. withSent false leaves sent codes out (they are for
// logins only).
func (s *Service) spendCode(ctx context.Context, u User, code string, now time.Time, withSent bool) (string, error) {
	code = strings.TrimSpace(code)
	if d := strings.ReplaceAll(code, " ", ""); allDigits(d) {
		code = d // apps show "123 456"
	}
	if code == "" || len(code) > maxOTPBytes {
		return "", nil
	}
	if allDigits(code) && len(code) == totpDigits {
		if u.TwoFactor.Enabled {
			ok, err := s.spendTOTP(ctx, u.ID, code, now)
			if err != nil || ok {
				return MethodTOTP, err
			}
		}
		if withSent {
			return s.spendLoginCode(ctx, u.ID, code, now)
		}
		return "", nil
	}
	if !u.TwoFactor.Enabled {
		return "", nil
	}
	ok, err := s.spendRecoveryCode(ctx, u, code, now)
	if err != nil || !ok {
		return "", err
	}
	return "recovery_code", nil
}

// spendTOTP accepts code once: the matching step must be later than the last accepted one,
// and storing it is conditional, so two logins racing with one code can't both pass.
func (s *Service) spendTOTP(ctx context.Context, userID, code string, now time.Time) (bool, error) {
	var secret string
	var last int64
	err := s.db.QueryRow(ctx, "SELECT secret, last_step FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL", userID).Scan(&secret, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("totp of %s: %w", userID, err)
	}
	if secret, err = s.openTOTP(userID, secret); err != nil {
		return false, err
	}
	step := matchTOTP(secret, code, now, last)
	if step == 0 {
		return false, nil
	}
	res, err := s.db.Exec(ctx, "UPDATE user_totp SET last_step = ?, updated_at = ? WHERE user_id = ? AND last_step < ?",
		step, micros(now), userID, step)
	if err != nil {
		return false, fmt.Errorf("spend totp of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// spendRecoveryCode marks one unused recovery code of u used.
func (s *Service) spendRecoveryCode(ctx context.Context, u User, code string, now time.Time) (bool, error) {
	norm := normalizeRecoveryCode(code)
	if len(norm) != 10 {
		return false, nil
	}
	var ok bool
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
			micros(now), u.ID, codeHash(u.ID, norm))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n != 1 {
			return err
		}
		ok = true
		var left int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", u.ID).Scan(&left); err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: EventRecoveryCodeUsed, detail: map[string]any{"left": left}})
	})
	if err != nil {
		return false, fmt.Errorf("spend recovery code of %s: %w", u.ID, err)
	}
	return ok, nil
}

// newRecoveryCodes makes the ten codes shown to the user ("abcde-fghij") and their hashes.
func newRecoveryCodes(userID string) (codes, hashes []string, err error) {
	var b [recoveryCodeCount * 10]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, nil, fmt.Errorf("recovery codes: %w", err)
	}
	for i := range recoveryCodeCount {
		var c [10]byte
		for j := range c {
			c[j] = recoveryAlphabet[b[i*10+j]&31]
		}
		codes = append(codes, string(c[:5])+"-"+string(c[5:]))
		hashes = append(hashes, codeHash(userID, string(c[:])))
	}
	return codes, hashes, nil
}

func replaceRecoveryCodes(ctx context.Context, tx *db.Tx, userID string, hashes []string, now time.Time) error {
	if _, err := tx.Exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
		return fmt.Errorf("drop recovery codes: %w", err)
	}
	rows := make([]db.Row, len(hashes))
	for i, h := range hashes {
		rows[i] = db.Row{Table: "recovery_codes", Cols: []string{"user_id", "code_hash", "created_at"},
			Vals: []any{userID, h, micros(now)}}
	}
	if err := tx.InsertRows(ctx, rows); err != nil {
		return fmt.Errorf("store recovery codes: %w", err)
	}
	return nil
}

// normalizeRecoveryCode forgives case, spaces and dashes.
func normalizeRecoveryCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		if r == '-' || r == ' ' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// codeHash is how one-time codes are stored: hex SHA-256 over their owner and the code. The
// codes are random and short-lived (or, for recovery codes, 50 bits), so a fast hash will do.
func codeHash(owner, code string) string {
	h := sha256.Sum256([]byte(owner + ":" + code))
	return hex.EncodeToString(h[:])
}

// isFault reports whether err is a domain failure to return as is (not to wrap).
func isFault(err error) bool {
	for _, f := range []error{ErrInvalidCode, ErrInvalidState, ErrNotFound, ErrInvalidCredentials, ErrSecondFactorRequired} {
		if errors.Is(err, f) {
			return true
		}
	}
	return false
}

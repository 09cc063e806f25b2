package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// The payment PIN: 6 digits, stored as an argon2id hash, asked for by every payment,
// transfer, withdrawal, remittance and FX conversion (an account without one: pin_required).
// 5 consecutive wrong PINs lock payments (pin_locked) until the user resets the PIN with a
// code sent by SMS.
//
// Choices: a missing PIN where one is required is invalid_pin (422) with reason
// "pin_required" and does not count as a wrong one; a PIN that is too easy to guess (one
// digit repeated, a run such as 123456 or 987654, a repeated pair or triple, a mirror such
// as 123321, or the end of the user's phone number) is weak_password (422) with reason
// "weak_pin"; a PIN that is not 6 digits is invalid_request.

// Failures of the payment PIN.
var (
	ErrInvalidPIN = fault.New("invalid_pin", "the PIN is wrong")
	ErrPINLocked  = fault.New("pin_locked", "payments are locked after too many wrong PINs; reset the PIN")
	// ErrPINRequired: the account has no PIN yet, and money goes out only with one.
	ErrPINRequired = fault.New("pin_required", "set a payment PIN first: every payment, transfer, withdrawal, remittance and conversion needs it")
)

const pinMaxFailures = 5

// PINState is what GET /api/v1/me shows of the payment PIN.
type PINState struct {
	Set    bool `json:"set"`
	Locked bool `json:"locked" doc:"too many wrong PINs: payments need a PIN reset"`
}

// PINState tells whether userID has a PIN and whether it is locked.
func (s *Service) PINState(ctx context.Context, userID string) (PINState, error) {
	var failed int
	err := s.db.QueryRow(ctx, "SELECT failed FROM payment_pins WHERE user_id = ?", userID).Scan(&failed)
	if errors.Is(err, sql.ErrNoRows) {
		return PINState{}, nil
	}
	if err != nil {
		return PINState{}, fmt.Errorf("pin of %s: %w", userID, err)
	}
	return PINState{Set: true, Locked: failed >= pinMaxFailures}, nil
}

// SetPINInput is what POST /api/v1/me/pin carries.
type SetPINInput struct {
	UserID   string
	PIN      string
	Password string // the account password: a session alone may not choose the PIN
	IP       string
}

// SetPIN sets or changes the payment PIN. The password is checked like a login's: a wrong
// one brings the lockout nearer. A locked PIN can only be reset with a code (ResetPIN).
func (s *Service) SetPIN(ctx context.Context, in SetPINInput) error {
	now := s.now().UTC()
	var v fault.Validation
	v.Check(wellFormedCode(in.PIN), "pin", fault.MsgPIN)
	v.Check(in.Password != "" && len(in.Password) <= maxLoginInputBytes, "password", fault.MsgRequired)
	if err := v.Err(); err != nil {
		return err
	}
	u, hash, err := s.userWhere(ctx, s.db, "id = ?", in.UserID)
	if err != nil {
		return fmt.Errorf("set pin of %s: %w", in.UserID, err)
	}
	if weakPIN(in.PIN, u.Phone) {
		return errWeakPIN
	}
	if err := s.loginGate(u, now); err != nil {
		return err
	}
	ok, err := s.verify(ctx, hash, in.Password)
	if err != nil && ctx.Err() != nil {
		return err
	}
	if !ok {
		answer, lockedUntil, err := s.countFailure(ctx, u.ID, in.IP, "", "wrong_password_for_pin", now)
		if err != nil {
			return fmt.Errorf("set pin of %s: %w", u.ID, err)
		}
		if !lockedUntil.IsZero() {
			s.invalidateUser(u.ID, "")
			s.notifyLocked(u, lockedUntil)
		}
		return answer
	}
	st, err := s.PINState(ctx, u.ID)
	if err != nil {
		return err
	}
	if st.Locked {
		return ErrPINLocked
	}
	pinHash, err := s.hash(ctx, in.PIN)
	if err != nil {
		return err
	}
	var alerts []notify.Message
	if st.Set {
		alerts = append(alerts, message(u, notify.SMS, KindPINChanged))
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := storePIN(ctx, tx, u.ID, pinHash, clip(in.IP), "password", st.Set, true, now); err != nil {
			return err
		}
		return s.stageAlerts(ctx, tx, alerts...)
	})
	if err != nil {
		if errors.Is(err, ErrPINLocked) {
			return err
		}
		return fmt.Errorf("set pin of %s: %w", u.ID, err)
	}
	if err := s.clearFailures(ctx, u.ID, now); err != nil {
		s.log.Warn("failed logins not cleared", "user", u.ID, "err", err)
	}
	s.sendStaged(alerts...)
	return nil
}

var errWeakPIN = ErrWeakPassword.Because("the PIN is too easy to guess").With("reason", "weak_pin")

// storePIN writes pinHash as userID's PIN with no failures. unlessLocked refuses to replace
// a locked PIN (a reset replaces it; setting with the password does not).
func storePIN(ctx context.Context, tx *db.Tx, userID, pinHash, ip, via string, changed, unlessLocked bool, now time.Time) error {
	if unlessLocked {
		var failed int
		err := tx.QueryRow(ctx, "SELECT failed FROM payment_pins WHERE user_id = ?"+tx.ForUpdate(), userID).Scan(&failed)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && failed >= pinMaxFailures {
			return ErrPINLocked
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO payment_pins (user_id, pin_hash, failed, set_at, updated_at) VALUES (?, ?, 0, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET pin_hash = excluded.pin_hash, failed = 0,
			set_at = excluded.set_at, updated_at = excluded.updated_at`, userID, pinHash, micros(now), micros(now))
	if err != nil {
		return fmt.Errorf("store pin: %w", err)
	}
	kind := EventPINSet
	if via == "code" {
		kind = EventPINReset
	}
	return recordEvent(ctx, tx, now, event{userID: userID, kind: kind, ip: ip, detail: map[string]any{"changed": changed, "via": via}})
}

// clearFailures resets the wrong-password count after the password was proved right.
func (s *Service) clearFailures(ctx context.Context, userID string, now time.Time) error {
	_, err := s.db.Exec(ctx, "UPDATE users SET failed_logins = 0, updated_at = ? WHERE id = ? AND failed_logins > 0", micros(now), userID)
	return err
}

// CheckPIN is the wallet's question before moving money for userID: nil when pin is theirs.
// An account without a PIN is pin_required (every outgoing movement needs one); a missing PIN
// is invalid_pin (not counted); a wrong one is invalid_pin with attempts_remaining; the 5th
// wrong one in a row, and every try after it until a reset, is pin_locked.
//
// Only wrong PINs count. The PIN is compared with the hash as read, and a wrong one is then
// counted by an update that holds only while that hash is the PIN and it is not locked yet:
// concurrent wrong PINs count exactly (the 6th finds it locked), and concurrent right ones
// never touch the count, so an app that pays twice at once cannot lock its user out.
func (s *Service) CheckPIN(ctx context.Context, userID, pin string) error {
	var pinHash string
	var failed int
	err := s.db.QueryRow(ctx, "SELECT pin_hash, failed FROM payment_pins WHERE user_id = ?", userID).Scan(&pinHash, &failed)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrPINRequired
	case err != nil:
		return fmt.Errorf("check pin of %s: %w", userID, err)
	case failed >= pinMaxFailures:
		return ErrPINLocked
	case pin == "":
		return ErrInvalidPIN.Because("this account has a payment PIN: send it as pin").With("reason", "pin_required")
	}
	ok := false
	if wellFormedCode(pin) {
		if ok, err = s.verify(ctx, pinHash, pin); err != nil && ctx.Err() != nil {
			return err
		}
	}
	now := s.now().UTC()
	if ok {
		if failed > 0 { // a right PIN ends a run of wrong ones, unless it locked meanwhile
			if _, err := s.db.Exec(ctx, "UPDATE payment_pins SET failed = 0 WHERE user_id = ? AND pin_hash = ? AND failed < ?",
				userID, pinHash, pinMaxFailures); err != nil {
				return fmt.Errorf("check pin of %s: %w", userID, err)
			}
		}
		return nil
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `UPDATE payment_pins SET failed = failed + 1, updated_at = ?
			WHERE user_id = ? AND pin_hash = ? AND failed < ? RETURNING failed`,
			micros(now), userID, pinHash, pinMaxFailures).Scan(&failed)
	})
	if errors.Is(err, sql.ErrNoRows) {
		// Locked by concurrent wrong PINs, or the PIN was changed meanwhile: look again.
		st, err := s.PINState(ctx, userID)
		switch {
		case err != nil:
			return err
		case st.Locked:
			return ErrPINLocked
		}
		return ErrInvalidPIN
	}
	if err != nil {
		return fmt.Errorf("check pin of %s: %w", userID, err)
	}
	locked := failed >= pinMaxFailures
	var alerts []notify.Message
	if locked {
		if u, err := s.User(ctx, userID); err == nil {
			alerts = append(alerts, message(u, notify.SMS, KindPINLocked))
		}
	}
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := recordEvent(ctx, tx, now, event{userID: userID, kind: EventPINFailed, detail: map[string]any{"failed": failed}}); err != nil {
			return err
		}
		if !locked {
			return nil
		}
		if err := recordEvent(ctx, tx, now, event{userID: userID, kind: EventPINLocked, detail: map[string]any{"failed": failed}}); err != nil {
			return err
		}
		return s.stageAlerts(ctx, tx, alerts...)
	})
	if err != nil {
		s.log.Warn("wrong pin not recorded", "user", userID, "err", err)
	}
	if !locked {
		return ErrInvalidPIN.With("attempts_remaining", pinMaxFailures-failed)
	}
	if err == nil {
		s.sendStaged(alerts...)
	} else {
		for _, m := range alerts { // the lock holds though its record failed: still tell the user
			s.sendLater(m)
		}
	}
	return ErrPINLocked
}

// RequestPINReset sends userID a PIN reset code by SMS (6 digits, 10 minutes; not again
// within 60 s).
func (s *Service) RequestPINReset(ctx context.Context, userID, ip string) error {
	now := s.now().UTC()
	ip = clip(ip)
	if err := throttle(now, take{s.acc.requestIP, ipKey(ip)}); err != nil {
		return err
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	code, codeHash, err := s.freshCode(ctx)
	if err != nil {
		return err
	}
	issued, err := s.issueCode(ctx, u, codeScope{purpose: purposePINReset, known: true}, notify.SMS, codeHash, ip, now)
	if err != nil {
		return err
	}
	if issued {
		s.sendLater(message(u, notify.SMS, KindPINResetCode, code))
	}
	return nil
}

// PINReset is what POST /api/v1/me/pin/reset/confirm carries.
type PINReset struct {
	UserID string
	Code   string
	NewPIN string
	IP     string
}

// ResetPIN sets a new PIN with a code from RequestPINReset and unlocks payments. The new PIN
// is checked before the code, so a weak one spends none of the code's 5 tries.
func (s *Service) ResetPIN(ctx context.Context, in PINReset) error {
	now := s.now().UTC()
	var v fault.Validation
	v.Check(in.Code != "", "code", fault.MsgRequired)
	v.Check(wellFormedCode(in.NewPIN), "new_pin", fault.MsgPIN)
	if err := v.Err(); err != nil {
		return err
	}
	ip := clip(in.IP)
	if err := throttle(now, take{s.acc.verifyIP, ipKey(ip)}, take{s.acc.verifyLogin, "user:" + in.UserID}); err != nil {
		return err
	}
	u, err := s.User(ctx, in.UserID)
	if err != nil {
		return err
	}
	if weakPIN(in.NewPIN, u.Phone) {
		return errWeakPIN
	}
	codeHash, err := s.checkCode(ctx, u, codeScope{purpose: purposePINReset}, in.Code, ip, now)
	if err != nil {
		return err
	}
	pinHash, err := s.hash(ctx, in.NewPIN)
	if err != nil {
		return err
	}
	alert := message(u, notify.SMS, KindPINChanged)
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := spendCode(ctx, tx, u.ID, purposePINReset, codeHash); err != nil {
			return err
		}
		if err := storePIN(ctx, tx, u.ID, pinHash, ip, "code", true, false, now); err != nil {
			return err
		}
		return s.stageAlerts(ctx, tx, alert)
	})
	if err != nil {
		if errors.Is(err, ErrInvalidCode) {
			return err
		}
		return fmt.Errorf("reset pin of %s: %w", u.ID, err)
	}
	s.sendStaged(alert)
	return nil
}

// weakPIN reports whether pin (6 digits) is one of the first a thief would try.
func weakPIN(pin, phone string) bool {
	d := []byte(pin)
	up, down, same := true, true, true
	for i := 1; i < len(d); i++ {
		up = up && d[i] == d[i-1]+1
		down = down && d[i] == d[i-1]-1
		same = same && d[i] == d[0]
	}
	switch {
	case up, down, same:
		return true
	case pin[0:2] == pin[2:4] && pin[2:4] == pin[4:6]: // 121212
		return true
	case pin[0:3] == pin[3:6]: // 123123
		return true
	case pin[0] == pin[5] && pin[1] == pin[4] && pin[2] == pin[3]: // 123321
		return true
	case d[0] == d[1] && d[2] == d[3] && d[4] == d[5] && d[2] == d[0]+1 && d[4] == d[2]+1: // 112233
		return true
	case len(phone) >= 6 && strings.HasSuffix(phone, pin):
		return true
	}
	return false
}

package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/notify"
)

// Proving the phone and the email: registration sends a 6-digit code to each (the one-time
// codes of recovery_code.go: hashed, 10 minutes, 5 tries, not resent within 60 s), and the
// user types it in (POST /api/v1/me/phone/verify, /me/email/verify). Until the phone is
// verified, money can come in but not go out (the wallet asks Party.PhoneVerified); recovery
// sends codes only to a verified phone or email.

const (
	purposePhoneVerify = "phone_verify"
	purposeEmailVerify = "email_verify"
)

// Kinds of security events of verification.
const (
	EventPhoneVerified = "phone_verified"
	EventEmailVerified = "email_verified"
	EventVerifyRequest = "verify_code_request"
	EventVerifyFailed  = "verify_code_failed"
)

// verifiable is what a verification proves: the phone (by SMS) or the email.
type verifiable struct {
	channel, purpose, column, event string
}

var (
	phoneContact = verifiable{notify.SMS, purposePhoneVerify, "phone_verified_at", EventPhoneVerified}
	emailContact = verifiable{notify.Email, purposeEmailVerify, "email_verified_at", EventEmailVerified}
)

func contactOf(channel string) (verifiable, error) {
	switch channel {
	case notify.SMS:
		return phoneContact, nil
	case notify.Email:
		return emailContact, nil
	}
	return verifiable{}, fmt.Errorf("no verification by %q", channel)
}

func (c verifiable) verified(u User) bool {
	if c.channel == notify.SMS {
		return u.PhoneVerified
	}
	return u.EmailVerified
}

// errAlreadyVerified answers a resend for what is verified already.
func errAlreadyVerified(c verifiable) error {
	m := fault.MsgPhoneVerified
	if c.channel == notify.Email {
		m = fault.MsgEmailVerified
	}
	return ErrInvalidState.Saying(m).With("reason", "already_verified")
}

// SendVerification sends userID a code proving their phone (channel notify.SMS) or email
// (notify.Email). Registration calls it for both; the resend endpoints call it again: no new
// code within 60 s of the last (nil all the same), invalid_state once verified.
func (s *Service) SendVerification(ctx context.Context, userID, channel, ip string) error {
	c, err := contactOf(channel)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	ip = clip(ip)
	if err := throttle(now, take{s.acc.requestIP, ipKey(ip)}); err != nil {
		return err
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if c.verified(u) {
		return errAlreadyVerified(c)
	}
	return s.sendVerification(ctx, u, c, ip)
}

func (s *Service) sendVerification(ctx context.Context, u User, c verifiable, ip string) error {
	code, codeHash, err := s.freshCode(ctx)
	if err != nil {
		return err
	}
	issued, err := s.issueCode(ctx, u, codeScope{purpose: c.purpose, known: true}, c.channel, codeHash, ip, s.now().UTC())
	if err != nil {
		return err
	}
	if issued {
		kind := KindPhoneCode
		if c.channel == notify.Email {
			kind = KindEmailCode
		}
		s.sendLater(message(u, c.channel, kind, code))
	}
	return nil
}

// Verify checks a code sent by SendVerification and marks the phone or email verified. A
// wrong, expired or void code is invalid_code (5 wrong codes void it); for what is verified
// already it is nil.
func (s *Service) Verify(ctx context.Context, userID, channel, code, ip string) error {
	c, err := contactOf(channel)
	if err != nil {
		return err
	}
	if code == "" {
		return fault.Invalid("code", fault.MsgRequired)
	}
	now := s.now().UTC()
	ip = clip(ip)
	if err := throttle(now, take{s.acc.verifyIP, ipKey(ip)}, take{s.acc.verifyLogin, "user:" + userID}); err != nil {
		return err
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if c.verified(u) {
		return nil
	}
	codeHash, err := s.checkCode(ctx, u, codeScope{purpose: c.purpose}, code, ip, now)
	if err != nil {
		return err
	}
	defer s.invalidateUser(u.ID, "") // cached principals carry the flag
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := spendCode(ctx, tx, u.ID, c.purpose, codeHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE users SET "+c.column+" = ?, updated_at = ? WHERE id = ? AND "+c.column+" IS NULL",
			micros(now), micros(now), u.ID); err != nil {
			return err
		}
		return recordEvent(ctx, tx, now, event{userID: u.ID, kind: c.event, ip: ip})
	})
	if err != nil {
		if errors.Is(err, ErrInvalidCode) {
			return err
		}
		return fmt.Errorf("verify %s of %s: %w", c.channel, u.ID, err)
	}
	return nil
}

// MarkVerified records userID's phone and email as verified without a code. It is for tools
// that create users whose contacts are known good, out of reach of the API: the demo's users
// and the fixtures of tests that are about something else.
func (s *Service) MarkVerified(ctx context.Context, userID string) error {
	defer s.invalidateUser(userID, "")
	now := micros(s.now())
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET phone_verified_at = COALESCE(phone_verified_at, ?),
			email_verified_at = COALESCE(email_verified_at, ?), updated_at = ? WHERE id = ?`, now, now, now, userID); err != nil {
			return err
		}
		// The codes sent to prove them are of no more use.
		_, err := tx.Exec(ctx, "DELETE FROM access_codes WHERE user_id = ? AND purpose IN (?, ?)", userID, purposePhoneVerify, purposeEmailVerify)
		return err
	})
	if err != nil {
		return fmt.Errorf("mark %s verified: %w", userID, err)
	}
	return nil
}

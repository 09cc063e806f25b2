package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/notify"
)

// Message kinds of the access controls (notify.Message.Kind).
const (
	KindAccountLocked   = "account_locked"
	KindRecoveryCode    = "recovery_code"
	KindPasswordChanged = "password_changed"
	KindPINChanged      = "pin_changed"
	KindPINLocked       = "pin_locked"
	KindPINResetCode    = "pin_reset_code"
	KindPhoneCode       = "phone_code"
	KindEmailCode       = "email_code"
)

// texts are the messages of the access controls, per locale. Codes are the only 6-digit
// numbers in them, so that a person (or a test) can pick the code out of the text.
var texts = map[string]map[string]string{
	LocaleEN: {
		KindAccountLocked + ".subject":   "Your Dompet account is locked",
		KindAccountLocked:                "Dompet: your account was locked after too many wrong passwords, until %s (UTC). If this was not you, reset your password with \"Forgot password\".",
		KindRecoveryCode + ".subject":    "Your Dompet recovery code",
		KindRecoveryCode:                 "Dompet: your recovery code is %s. It is valid for 10 minutes. Never share it with anyone, Dompet staff included.",
		KindPasswordChanged + ".subject": "Your Dompet password was changed",
		KindPasswordChanged:              "Dompet: your password was changed and your other sessions were signed out. If this was not you, contact support at once.",
		KindPINChanged:                   "Dompet: your payment PIN was changed. If this was not you, contact support at once.",
		KindPINLocked:                    "Dompet: payments are locked after too many wrong PINs. Reset your PIN in the app to pay again.",
		KindPINResetCode:                 "Dompet: your PIN reset code is %s. It is valid for 10 minutes. Never share it with anyone.",
		KindPhoneCode:                    "Dompet: your phone verification code is %s. It is valid for 10 minutes. Never share it with anyone.",
		KindEmailCode + ".subject":       "Verify your email for Dompet",
		KindEmailCode:                    "Dompet: your email verification code is %s. It is valid for 10 minutes. Never share it with anyone.",
	},
	LocaleZhCN: {
		KindAccountLocked + ".subject":   "您的 Dompet 账户已被锁定",
		KindAccountLocked:                "Dompet：由于多次输入错误密码，您的账户已被锁定至 %s（UTC）。如非本人操作，请通过“忘记密码”重置密码。",
		KindRecoveryCode + ".subject":    "您的 Dompet 账户找回验证码",
		KindRecoveryCode:                 "Dompet：您的账户找回验证码为 %s，10 分钟内有效。请勿将验证码告诉任何人，包括 Dompet 工作人员。",
		KindPasswordChanged + ".subject": "您的 Dompet 密码已修改",
		KindPasswordChanged:              "Dompet：您的密码已修改，其他设备上的登录已退出。如非本人操作，请立即联系客服。",
		KindPINChanged:                   "Dompet：您的支付密码已修改。如非本人操作，请立即联系客服。",
		KindPINLocked:                    "Dompet：由于多次输入错误的支付密码，付款功能已锁定。请在应用中重置支付密码后再付款。",
		KindPINResetCode:                 "Dompet：您的支付密码重置验证码为 %s，10 分钟内有效。请勿将验证码告诉任何人。",
		KindPhoneCode:                    "Dompet：您的手机验证码为 %s，10 分钟内有效。请勿将验证码告诉任何人。",
		KindEmailCode + ".subject":       "验证您的 Dompet 邮箱",
		KindEmailCode:                    "Dompet：您的邮箱验证码为 %s，10 分钟内有效。请勿将验证码告诉任何人。",
	},
}

// message composes a message of kind for u on channel, in u's language.
func message(u User, channel, kind string, args ...any) notify.Message {
	t, ok := texts[u.Locale]
	if !ok {
		t = texts[LocaleEN]
	}
	m := notify.Message{Channel: channel, Kind: kind, Text: fmt.Sprintf(t[kind], args...)}
	if channel == notify.Email {
		m.To, m.Subject = u.Email, t[kind+".subject"]
		if m.Subject == "" {
			m.Subject = "Dompet"
		}
	} else {
		m.To = u.Phone
	}
	return m
}

// sendTimeout bounds one notification, retries included.
const sendTimeout = 2 * time.Minute

// Waker wakes the outbox dispatcher after a commit (*outbox.Outbox).
type Waker interface{ Notify() }

// stageAlerts writes security alerts msgs in tx, the transaction of the change they report, so
// that they exist exactly when it commits and survive a crash (with an outbox). Without one it
// does nothing: the caller's sendStaged sends them after the commit.
func (s *Service) stageAlerts(ctx context.Context, tx *db.Tx, msgs ...notify.Message) error {
	if s.outbox == nil {
		return nil
	}
	rows := make([]db.Row, 0, len(msgs))
	for _, m := range msgs {
		r, err := notify.Row(m)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	return tx.InsertRows(ctx, rows)
}

// sendStaged is called once the change that staged msgs has committed: it wakes the outbox, or
// without one sends msgs from memory.
func (s *Service) sendStaged(msgs ...notify.Message) {
	if s.outbox != nil {
		s.outbox.Notify()
		return
	}
	for _, m := range msgs {
		s.sendLater(m)
	}
}

// sendLater hands m to the sender in the background, after the transaction that decided it
// has committed: answers do not wait for an SMS gateway, and take the same time whether or
// not something was sent (recovery must not reveal which accounts exist). One-time codes go
// this way (in memory, never on disk); Drain waits for them at shutdown.
func (s *Service) sendLater(m notify.Message) {
	s.acc.pending.Add(1)
	go func() {
		defer s.acc.pending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		if err := s.notify.Send(ctx, m); err != nil {
			s.log.Warn("notification not sent", "kind", m.Kind, "channel", m.Channel, "err", err)
		}
	}()
}

// Drain waits until the messages handed to sendLater have reached the sender (the notify
// queue, which delivers them before it closes), or ctx ends. Call it at shutdown, after the
// HTTP server stopped and before the sender is closed.
func (s *Service) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.acc.pending.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("notifications still on their way: %w", ctx.Err())
	}
}

// lockedMessage is the SMS telling u that the account is locked until until.
func lockedMessage(u User, until time.Time) notify.Message {
	return message(u, notify.SMS, KindAccountLocked, until.UTC().Format("2006-01-02 15:04"))
}

// notifyLocked sends the lock alert staged by countFailure, once its transaction committed.
func (s *Service) notifyLocked(u User, until time.Time) {
	s.sendStaged(lockedMessage(u, until))
}

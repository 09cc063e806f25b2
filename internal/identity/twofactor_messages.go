package identity

import (
	"context"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/notify"
)

// Texts of the codes and alerts this part of the package sends, in the user's language.

// loginCodeMessage is the SMS or email carrying a login code.
func loginCodeMessage(u User, channel, code string) notify.Message {
	m := notify.Message{Channel: channel, To: contact(u, channel), Kind: "login_code"}
	if u.Locale == LocaleZhCN {
		m.Subject = "您的 Dompet 登录验证码"
		m.Text = fmt.Sprintf("Dompet：您的登录验证码是 %s，10 分钟内有效。请勿告诉任何人，包括 Dompet 工作人员。", code)
	} else {
		m.Subject = "Your Dompet login code"
		m.Text = fmt.Sprintf("Dompet: your login code is %s. It expires in 10 minutes. Never share it with anyone, Dompet staff included.", code)
	}
	if channel == notify.SMS {
		m.Subject = ""
	}
	return m
}

// Security alerts.
const (
	alertNewDevice    = "new_device"
	alertTwoFactorOn  = "two_factor_enabled"
	alertTwoFactorOff = "two_factor_disabled"
)

// alert tells u, by email, about a change to the security of their account, once the change
// has committed. With an outbox the change's transaction staged the message (stageAlerts) and
// the dispatcher is woken; without one it is sent now, and a failure is logged: the change
// itself has happened.
func (s *Service) alert(ctx context.Context, u User, kind string, at time.Time, args map[string]string) {
	if s.outbox != nil {
		s.outbox.Notify()
		return
	}
	m := alertMessage(u, kind, at, args)
	if err := s.notify.Send(ctx, m); err != nil {
		s.log.Error("security alert not sent", "user", u.ID, "kind", kind, "err", err)
	}
}

func alertMessage(u User, kind string, at time.Time, args map[string]string) notify.Message {
	when := at.UTC().Format("2006-01-02 15:04") + " UTC"
	zh := u.Locale == LocaleZhCN
	m := notify.Message{Channel: notify.Email, To: u.Email, Kind: kind}
	switch {
	case kind == alertNewDevice && zh:
		m.Subject = "您的 Dompet 账户在新设备上登录"
		m.Text = fmt.Sprintf("您的 Dompet 账户于 %s 在新的设备或网络上登录（设备：%s，IP：%s）。\n"+
			"如果不是您本人操作，请立即重置密码，并在“我的设备”中移除该设备，或联系客服。", when, orUnknown(args["device"], zh), orUnknown(args["ip"], zh))
	case kind == alertNewDevice:
		m.Subject = "New sign-in to your Dompet account"
		m.Text = fmt.Sprintf("Your Dompet account was signed in to from a new device or network at %s (device: %s, IP: %s).\n"+
			"If this wasn't you, reset your password now, remove the device under \"My devices\", or contact support.",
			when, orUnknown(args["device"], zh), orUnknown(args["ip"], zh))
	case kind == alertTwoFactorOn && zh:
		m.Subject = "您的 Dompet 账户已开启两步验证"
		m.Text = fmt.Sprintf("您的 Dompet 账户已于 %s 开启两步验证（身份验证器应用）。请妥善保存恢复码。如果不是您本人操作，请立即联系客服。", when)
	case kind == alertTwoFactorOn:
		m.Subject = "Two-factor authentication is on for your Dompet account"
		m.Text = fmt.Sprintf("Two-factor authentication (authenticator app) was turned on for your Dompet account at %s. "+
			"Keep your recovery codes safe. If this wasn't you, contact support now.", when)
	case kind == alertTwoFactorOff && zh:
		m.Subject = "您的 Dompet 账户已关闭两步验证"
		m.Text = fmt.Sprintf("您的 Dompet 账户已于 %s 关闭两步验证。如果不是您本人操作，请立即重置密码并联系客服。", when)
	default: // alertTwoFactorOff
		m.Subject = "Two-factor authentication is off for your Dompet account"
		m.Text = fmt.Sprintf("Two-factor authentication was turned off for your Dompet account at %s. "+
			"If this wasn't you, reset your password and contact support now.", when)
	}
	return m
}

func orUnknown(s string, zh bool) string {
	switch {
	case s != "":
		return s
	case zh:
		return "未知"
	default:
		return "unknown"
	}
}

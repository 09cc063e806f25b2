package inbox

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/wallet"
)

// Channels say where one kind of notification goes.
type Channels struct {
	SMS   bool `json:"sms" doc:"by SMS to the verified phone"`
	Email bool `json:"email" doc:"by email, once the email is verified"`
	InApp bool `json:"in_app" doc:"in the notification list"`
}

// defaults of every receipt kind: everywhere (email waits for a verified email).
var defaults = Channels{SMS: true, Email: true, InApp: true}

// securityChannels are fixed: security alerts go by SMS and email and cannot be turned off;
// they are listed at /api/v1/me/security-events, not in the notification list.
var securityChannels = Channels{SMS: true, Email: true, InApp: false}

// NotificationSettings are a user's channels for each kind.
type NotificationSettings struct {
	PaymentMade       Channels `json:"payment_made"`
	TransferSent      Channels `json:"transfer_sent"`
	MoneyReceived     Channels `json:"money_received"`
	TopupCredited     Channels `json:"topup_credited"`
	WithdrawalSettled Channels `json:"withdrawal_settled"`
	WithdrawalFailed  Channels `json:"withdrawal_failed"`
	RefundReceived    Channels `json:"refund_received"`
	FXConverted       Channels `json:"fx_converted"`
	RemittanceSent    Channels `json:"remittance_sent"`
	RemittanceSettled Channels `json:"remittance_settled"`
	RemittanceFailed  Channels `json:"remittance_failed"`
	Security          Channels `json:"security" doc:"security alerts (account locked, password or PIN changed, PIN locked, new device, two-factor on or off): always by sms and email, cannot be turned off; listed at /api/v1/me/security-events"`
}

// ChannelsInput changes some channels of one kind; absent members stay as they are.
type ChannelsInput struct {
	SMS   *bool `json:"sms,omitempty"`
	Email *bool `json:"email,omitempty"`
	InApp *bool `json:"in_app,omitempty"`
}

// NotificationSettingsInput changes the channels of some kinds; absent kinds stay as they are.
type NotificationSettingsInput struct {
	PaymentMade       *ChannelsInput `json:"payment_made,omitempty"`
	TransferSent      *ChannelsInput `json:"transfer_sent,omitempty"`
	MoneyReceived     *ChannelsInput `json:"money_received,omitempty"`
	TopupCredited     *ChannelsInput `json:"topup_credited,omitempty"`
	WithdrawalSettled *ChannelsInput `json:"withdrawal_settled,omitempty"`
	WithdrawalFailed  *ChannelsInput `json:"withdrawal_failed,omitempty"`
	RefundReceived    *ChannelsInput `json:"refund_received,omitempty"`
	FXConverted       *ChannelsInput `json:"fx_converted,omitempty"`
	RemittanceSent    *ChannelsInput `json:"remittance_sent,omitempty"`
	RemittanceSettled *ChannelsInput `json:"remittance_settled,omitempty"`
	RemittanceFailed  *ChannelsInput `json:"remittance_failed,omitempty"`
	Security          *ChannelsInput `json:"security,omitempty" doc:"may only repeat the fixed values (sms and email true, in_app false)"`
}

func (in NotificationSettingsInput) byKind() map[string]*ChannelsInput {
	return map[string]*ChannelsInput{
		wallet.ReceiptPaymentMade: in.PaymentMade, wallet.ReceiptTransferSent: in.TransferSent,
		wallet.ReceiptMoneyReceived: in.MoneyReceived, wallet.ReceiptTopupCredited: in.TopupCredited,
		wallet.ReceiptWithdrawalSettled: in.WithdrawalSettled, wallet.ReceiptWithdrawalFailed: in.WithdrawalFailed,
		wallet.ReceiptRefundReceived: in.RefundReceived, wallet.ReceiptFXConverted: in.FXConverted,
		wallet.ReceiptRemittanceSent: in.RemittanceSent, wallet.ReceiptRemittanceSettled: in.RemittanceSettled,
		wallet.ReceiptRemittanceFailed: in.RemittanceFailed,
	}
}

func settingsOf(m map[string]Channels) NotificationSettings {
	return NotificationSettings{PaymentMade: m[wallet.ReceiptPaymentMade], TransferSent: m[wallet.ReceiptTransferSent],
		MoneyReceived: m[wallet.ReceiptMoneyReceived], TopupCredited: m[wallet.ReceiptTopupCredited],
		WithdrawalSettled: m[wallet.ReceiptWithdrawalSettled], WithdrawalFailed: m[wallet.ReceiptWithdrawalFailed],
		RefundReceived: m[wallet.ReceiptRefundReceived], FXConverted: m[wallet.ReceiptFXConverted],
		RemittanceSent: m[wallet.ReceiptRemittanceSent], RemittanceSettled: m[wallet.ReceiptRemittanceSettled],
		RemittanceFailed: m[wallet.ReceiptRemittanceFailed], Security: securityChannels}
}

// Settings returns the user's channels for every kind.
func (s *Service) Settings(ctx context.Context, userID string) (NotificationSettings, error) {
	m, err := s.settings(ctx, userID)
	if err != nil {
		return NotificationSettings{}, err
	}
	return settingsOf(m), nil
}

// querier is *db.DB or *db.Tx.
type querier interface {
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// settings reads the user's channels by kind, defaults filled in.
func (s *Service) settings(ctx context.Context, userID string) (map[string]Channels, error) {
	return readSettings(ctx, s.db, userID)
}

func readSettings(ctx context.Context, q querier, userID string) (map[string]Channels, error) {
	m := make(map[string]Channels, len(Kinds))
	for _, k := range Kinds {
		m[k] = defaults
	}
	rows, err := q.Query(ctx, "SELECT kind, sms, email, in_app FROM notification_settings WHERE user_id = ?", userID)
	if err != nil {
		return nil, fmt.Errorf("notification settings of %s: %w", userID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var sms, email, inApp int
		if err := rows.Scan(&k, &sms, &email, &inApp); err != nil {
			return nil, fmt.Errorf("notification settings of %s: %w", userID, err)
		}
		if isKind(k) {
			m[k] = Channels{SMS: sms != 0, Email: email != 0, InApp: inApp != 0}
		}
	}
	return m, rows.Err()
}

// SetSettings changes the channels named in in and returns them all. Security alerts cannot be
// turned off: a value other than the fixed one is a 400 on that field.
func (s *Service) SetSettings(ctx context.Context, userID string, in NotificationSettingsInput) (NotificationSettings, error) {
	var v fault.Validation
	if sec := in.Security; sec != nil {
		for _, c := range []struct {
			name  string
			got   *bool
			fixed bool
		}{{"sms", sec.SMS, securityChannels.SMS}, {"email", sec.Email, securityChannels.Email}, {"in_app", sec.InApp, securityChannels.InApp}} {
			v.Check(c.got == nil || *c.got == c.fixed, "security."+c.name, fault.MsgSecurityAlerts)
		}
	}
	if err := v.Err(); err != nil {
		return NotificationSettings{}, err
	}
	var cur map[string]Channels
	now := s.now().UnixMicro()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		// Read in the transaction: a concurrent change of another channel is not undone (the
		// upsert then waits for it or, on SQLite, the write transaction serialises both).
		var err error
		if cur, err = readSettings(ctx, tx, userID); err != nil {
			return err
		}
		for _, k := range Kinds {
			ch := in.byKind()[k]
			if ch == nil {
				continue
			}
			c := cur[k]
			set(&c.SMS, ch.SMS)
			set(&c.Email, ch.Email)
			set(&c.InApp, ch.InApp)
			cur[k] = c
			if _, err := tx.Exec(ctx, `INSERT INTO notification_settings (user_id, kind, sms, email, in_app, updated_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, kind) DO UPDATE SET sms = excluded.sms, email = excluded.email,
				in_app = excluded.in_app, updated_at = excluded.updated_at`, userID, k, flag(c.SMS), flag(c.Email), flag(c.InApp), now); err != nil {
				return fmt.Errorf("save notification settings of %s: %w", userID, err)
			}
		}
		return nil
	})
	if err != nil {
		return NotificationSettings{}, err
	}
	return settingsOf(cur), nil
}

func set(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

package wallet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/money"
)

// Failure codes stored on failed transactions beyond the API's error codes.
const (
	FailBankRejected = "bank_rejected"
	FailExpired      = "expired"
)

// translate turns a ledger rejection into the wallet failure the user is shown. self is the
// acting user's wallet account and selfID their id, so that a limit of the recipient reads
// differently from one of their own.
func translate(r *fault.Error, self, selfID string, amount money.Amount) *fault.Error {
	switch {
	case errors.Is(r, ledger.ErrInsufficientFunds):
		return ErrInsufficientBalance.With("required", amount.Amount, "currency", amount.Currency)
	case errors.Is(r, ledger.ErrLimitExceeded):
		key, _ := r.Fields["limit"].(string)
		acct, _ := r.Fields["account"].(string)
		who := ""
		if acct != "" && acct != self {
			who = "recipient_"
		}
		switch {
		case strings.HasPrefix(key, usageRefund):
			return ErrRefundNotAllowed.Saying(fault.MsgRefundExceeds)
		case strings.HasPrefix(key, usageQuote):
			return ErrInvalidState.Saying(fault.MsgQuoteUsed)
		case strings.HasPrefix(key, usageDayOut):
			return ErrLimitExceeded.With("limit", "daily_outgoing", "currency", amount.Currency)
		case strings.HasPrefix(key, usageMonthOut):
			return ErrLimitExceeded.With("limit", "monthly_outgoing", "currency", amount.Currency)
		case strings.HasPrefix(key, usageMonthIn):
			if !strings.Contains(key, ":"+selfID+":") {
				who = "recipient_"
			}
			return ErrLimitExceeded.With("limit", who+"monthly_incoming", "currency", amount.Currency)
		case key == "max_balance":
			return ErrLimitExceeded.With("limit", who+"max_balance", "currency", amount.Currency)
		}
		return ErrLimitExceeded.With("limit", key)
	}
	return r
}

// explain gives a failure the words its transaction's failure_reason has, in both
// languages, so the refusal and the history say the same thing.
func explain(f *fault.Error) *fault.Error {
	return f.Explained(map[string]string{"en": Reason("en", f.Code, f.Fields), "zh-CN": Reason("zh-CN", f.Code, f.Fields)})
}

// Reason explains a failure code to a person, in locale (zh-CN or en).
func Reason(locale, code string, p map[string]any) string {
	zh := strings.HasPrefix(strings.ToLower(locale), "zh")
	cur, _ := p["currency"].(string)
	amt := func(k string) string {
		v, ok := p[k]
		if !ok {
			return ""
		}
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case float64:
			n = int64(x)
		case int:
			n = int64(x)
		}
		return money.New(n, cur).String()
	}
	switch code {
	case "insufficient_balance":
		if zh {
			return fmt.Sprintf("余额不足：本次需要 %s（含手续费）。请先充值或减少金额。", amt("required"))
		}
		return fmt.Sprintf("Your balance is too low: this needs %s including fees. Top up or lower the amount.", amt("required"))
	case "limit_exceeded":
		limit, _ := p["limit"].(string)
		return limitReason(zh, limit, amt("max"))
	case "account_restricted":
		if zh {
			return "账户受限，暂时无法付款或转账。请联系客服了解原因。"
		}
		return "Your account is restricted and cannot send money for now. Contact support to learn why."
	case "phone_unverified":
		if zh {
			return "手机号尚未验证，暂时无法付款或转出资金。请输入短信验证码完成验证；收款不受影响。"
		}
		return "Your phone number is not verified yet, so money cannot leave your wallet. Enter the code we sent by SMS; you can still receive money."
	case "provider_declined":
		if zh {
			return "银行或发卡机构拒绝了此次交易。请换一种方式或联系你的银行。"
		}
		return "Your bank or card issuer declined this. Try another method or contact your bank."
	case "provider_unavailable":
		if zh {
			return "支付通道暂时不可用，资金未被扣除。请稍后重试。"
		}
		return "The payment network is temporarily unavailable; no money was moved. Please try again shortly."
	case FailBankRejected:
		if zh {
			return "收款银行拒绝了此笔款项，金额和手续费已退回你的钱包。请核对银行账户信息。"
		}
		return "The receiving bank rejected the payout; the amount and the fee are back in your wallet. Check the bank account details."
	case FailExpired:
		if zh {
			return "银行未在规定时间内确认，交易已取消，资金已退回。"
		}
		return "The bank did not confirm in time; the transaction was cancelled and the money returned."
	case "refund_not_allowed":
		if zh {
			return "退款金额超过了该笔付款可退的余额。"
		}
		return "The refund is more than what is left to refund on this payment."
	case "invalid_state":
		if _, ok := p["refund_request"]; ok {
			if zh {
				return "该退款申请已被处理过，未再次退款。"
			}
			return "This refund request was already decided; nothing more was refunded."
		}
		if zh {
			return "该汇率报价已被使用过，请重新获取报价。"
		}
		return "This exchange-rate quote was already used; ask for a new one."
	case "quote_expired":
		if zh {
			return "汇率报价已过期，请重新获取报价。"
		}
		return "The exchange-rate quote has expired; ask for a new one."
	}
	if zh {
		return "交易未能完成（" + code + "）。"
	}
	return "The transaction could not be completed (" + code + ")."
}

func limitReason(zh bool, limit, max string) string {
	type pair struct{ en, zh string }
	names := map[string]pair{
		"per_transaction":            {"the single-transaction limit of your account", "账户单笔交易限额"},
		"daily_outgoing":             {"your daily spending limit", "每日支出限额"},
		"monthly_outgoing":           {"your monthly spending limit", "每月支出限额"},
		"monthly_incoming":           {"your monthly incoming limit", "每月入账限额"},
		"max_balance":                {"the maximum balance of your account", "账户余额上限"},
		"recipient_monthly_incoming": {"the recipient's monthly incoming limit", "收款人的每月入账限额"},
		"recipient_max_balance":      {"the recipient's maximum balance", "收款人的账户余额上限"},
	}
	n, ok := names[limit]
	if !ok {
		n = pair{"a limit of your account", "账户限额"}
	}
	tail := ""
	if max != "" {
		tail = " (" + max + ")"
	}
	if strings.HasPrefix(limit, "recipient_") {
		if zh {
			return "超出" + n.zh + tail + "。请减少金额，或请收款人完成实名认证。"
		}
		return "This would exceed " + n.en + tail + ". Send less, or ask the recipient to verify their account."
	}
	if zh {
		return "超出" + n.zh + tail + "。完成实名认证可提高限额。"
	}
	return "This would exceed " + n.en + tail + ". Verifying your account raises the limits."
}

func invalidAmount() error {
	return fault.Invalid("amount", fault.MsgPositiveAmount)
}

func invalidField(field string, m fault.Msg, args ...any) error {
	return fault.Invalid(field, m, args...)
}

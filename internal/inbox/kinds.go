package inbox

import (
	"fmt"
	"strings"

	"github.com/dompet/dompet/internal/money"
	"github.com/dompet/dompet/internal/wallet"
)

// Kinds are the receipt kinds a user can set channels for, in the order shown.
var Kinds = []string{
	wallet.ReceiptPaymentMade, wallet.ReceiptTransferSent, wallet.ReceiptMoneyReceived, wallet.ReceiptTopupCredited,
	wallet.ReceiptWithdrawalSettled, wallet.ReceiptWithdrawalFailed, wallet.ReceiptRefundReceived, wallet.ReceiptFXConverted,
	wallet.ReceiptRemittanceSent, wallet.ReceiptRemittanceSettled, wallet.ReceiptRemittanceFailed,
}

func isKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// params is what a notification stores to be rendered later.
type params struct {
	Amount        int64          `json:"amount"`
	Currency      string         `json:"currency"`
	Fee           int64          `json:"fee,omitempty"`
	Counterparty  string         `json:"counterparty,omitempty"`
	Receive       int64          `json:"receive,omitempty"` // conversions and remittances: what arrives
	ReceiveCurr   string         `json:"receive_currency,omitempty"`
	FailureCode   string         `json:"failure_code,omitempty"`
	FailureParams map[string]any `json:"failure_params,omitempty"`
}

// text is a kind's title and body in one language; %[1]s is the amount, %[2]s the
// counterparty, %[3]s the failure reason (wallet.Reason, which says where the money went),
// %[4]s what arrives in the other currency (conversions and remittances).
type text struct{ title, body string }

var texts = map[string]map[bool]text{ // kind → zh? → text
	wallet.ReceiptPaymentMade: {
		false: {"Payment sent", "You paid %[1]s to %[2]s."},
		true:  {"付款成功", "您已向 %[2]s 支付 %[1]s。"}},
	wallet.ReceiptTransferSent: {
		false: {"Money sent", "You sent %[1]s to %[2]s."},
		true:  {"转账成功", "您已向 %[2]s 转账 %[1]s。"}},
	wallet.ReceiptMoneyReceived: {
		false: {"Money received", "%[2]s sent you %[1]s."},
		true:  {"收到转账", "%[2]s 向您转账 %[1]s。"}},
	wallet.ReceiptTopupCredited: {
		false: {"Top-up credited", "%[1]s was added to your wallet."},
		true:  {"充值到账", "%[1]s 已存入您的钱包。"}},
	wallet.ReceiptWithdrawalSettled: {
		false: {"Withdrawal completed", "Your withdrawal of %[1]s to %[2]s's bank account was paid out."},
		true:  {"提现成功", "您提现的 %[1]s 已转入 %[2]s 的银行账户。"}},
	wallet.ReceiptWithdrawalFailed: {
		false: {"Withdrawal failed", "Your withdrawal of %[1]s failed: %[3]s"},
		true:  {"提现失败", "您提现的 %[1]s 未能完成：%[3]s"}},
	wallet.ReceiptRefundReceived: {
		false: {"Refund received", "%[2]s refunded you %[1]s."},
		true:  {"收到退款", "%[2]s 已向您退款 %[1]s。"}},
	wallet.ReceiptFXConverted: {
		false: {"Currency converted", "You converted %[1]s to %[4]s."},
		true:  {"换汇成功", "您已将 %[1]s 兑换为 %[4]s。"}},
	wallet.ReceiptRemittanceSent: {
		false: {"Remittance sent", "Your remittance of %[1]s to %[2]s is on its way; they will receive %[4]s."},
		true:  {"汇款已提交", "您向 %[2]s 汇出的 %[1]s 正在处理中，对方将收到 %[4]s。"}},
	wallet.ReceiptRemittanceSettled: {
		false: {"Remittance completed", "Your remittance of %[1]s to %[2]s was paid out: they received %[4]s."},
		true:  {"汇款成功", "您向 %[2]s 汇出的 %[1]s 已到账，对方收到 %[4]s。"}},
	wallet.ReceiptRemittanceFailed: {
		false: {"Remittance failed", "Your remittance of %[1]s to %[2]s failed: %[3]s"},
		true:  {"汇款失败", "您向 %[2]s 汇出的 %[1]s 未能完成：%[3]s"}},
}

// render writes a notification's title and body in locale (zh-CN or en).
func render(kind, locale string, p params) (title, body string) {
	zh := strings.HasPrefix(strings.ToLower(locale), "zh")
	t, ok := texts[kind][zh]
	if !ok {
		return kind, ""
	}
	who := p.Counterparty
	if who == "" {
		who = map[bool]string{false: "someone", true: "对方"}[zh]
	}
	reason := ""
	if p.FailureCode != "" {
		loc := "en"
		if zh {
			loc = "zh-CN"
		}
		reason = strings.TrimSpace(wallet.Reason(loc, p.FailureCode, p.FailureParams))
		if !strings.HasSuffix(reason, ".") && !strings.HasSuffix(reason, "。") {
			reason += map[bool]string{false: ".", true: "。"}[zh]
		}
	}
	return t.title, fmt.Sprintf(t.body, money.New(p.Amount, p.Currency).String(), who, reason,
		money.New(p.Receive, p.ReceiveCurr).String())
}

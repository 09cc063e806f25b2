-- Owned by internal/support: what the agent console adds to the desk. Pauses of the SLA
-- clocks (a conversation pending on the customer stops them), canned replies, the
-- Idempotency-Key of customers' new conversations and call-backs, and refund follow-ups
-- opened by agents. The canned replies seeded here are every install's starting set.
-- +goose Up
ALTER TABLE support_conversations ADD COLUMN paused_at BIGINT;                  -- pending since; NULL while the clocks run
ALTER TABLE support_conversations ADD COLUMN pauses TEXT NOT NULL DEFAULT '[]'; -- JSON [[from, to], …] in µs, finished pauses

CREATE TABLE support_canned_replies (
    id         TEXT PRIMARY KEY,
    team       TEXT NOT NULL DEFAULT '',                              -- '' for every team
    locale     TEXT NOT NULL CHECK (locale IN ('en', 'zh-CN')),
    topic      TEXT NOT NULL DEFAULT '',                              -- '' for any topic
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',                              -- staff id; '' for the seeded set
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX support_canned_replies_locale ON support_canned_replies (locale, team, title);

CREATE TABLE support_idempotency (
    customer_id     TEXT NOT NULL,
    idem_key        TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id),
    callback_id     TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (customer_id, idem_key)
);

CREATE TABLE support_refund_followups (
    id                TEXT PRIMARY KEY,
    conversation_id   TEXT NOT NULL REFERENCES support_conversations (id),
    refund_request_id TEXT NOT NULL,
    staff_id          TEXT NOT NULL,
    note              TEXT NOT NULL DEFAULT '',
    refund_status     TEXT NOT NULL,                                  -- the request's status when followed up
    awaiting_merchant INTEGER NOT NULL DEFAULT 0 CHECK (awaiting_merchant IN (0, 1)),
    created_at        BIGINT NOT NULL
);
CREATE INDEX support_refund_followups_conversation ON support_refund_followups (conversation_id, id);

INSERT INTO support_canned_replies (id, team, locale, topic, title, body, created_at, updated_at) VALUES
('cnr_seed_locked_en', '', 'en', 'account_locked', 'Account locked: how to unlock',
 'Hello {{customer_name}}, your account was locked after several wrong passwords, which protects your money. It opens again by itself after 30 minutes, or at once if you reset your password from "Forgot password" on the login page. I can also unlock it for you once I have checked your identity.', 0, 0),
('cnr_seed_locked_zh', '', 'zh-CN', 'account_locked', '账户锁定：如何解锁',
 '{{customer_name}}您好，由于多次输入错误密码，您的账户已被锁定，以保护您的资金安全。30 分钟后会自动解锁；您也可以在登录页点击“忘记密码”重设密码立即解锁。核实您的身份后，我也可以为您解锁。', 0, 0),
('cnr_seed_payfail_en', '', 'en', 'payment_failed', 'Failed payment: the reason',
 'Hello {{customer_name}}, I have looked at your payment: it failed because {{failure_reason}}. No money left your wallet for it. You can try again once that is sorted out.', 0, 0),
('cnr_seed_payfail_zh', '', 'zh-CN', 'payment_failed', '付款失败：原因',
 '{{customer_name}}您好，我查看了您的付款：失败原因是{{failure_reason}}。这笔付款没有从您的钱包扣款。问题解决后您可以重新支付。', 0, 0),
('cnr_seed_refund_en', '', 'en', 'refund', 'Refund timeline',
 'Hello {{customer_name}}, the merchant has until {{expected_by}} to decide on your refund request. Once approved, the money is back in your wallet at once; you will get a notification.', 0, 0),
('cnr_seed_refund_zh', '', 'zh-CN', 'refund', '退款时效',
 '{{customer_name}}您好，商户需在 {{expected_by}} 前处理您的退款申请。一经批准，款项会立即退回您的钱包，届时您会收到通知。', 0, 0),
('cnr_seed_fees_en', '', 'en', 'fees', 'Fees explained',
 'Hello {{customer_name}}, top-up fees are deducted from the amount credited; withdrawal, transfer, remittance and currency-conversion fees are charged on top, in the source currency. Every transaction shows the fee you paid, and the app shows it before you confirm.', 0, 0),
('cnr_seed_fees_zh', '', 'zh-CN', 'fees', '费用说明',
 '{{customer_name}}您好，充值手续费从到账金额中扣除；提现、转账、汇款和换汇的手续费另外收取，以原币种计。每笔交易都会显示您支付的费用，确认前应用也会先显示。', 0, 0),
('cnr_seed_phishing_en', '', 'en', 'account_security', 'Security: phishing advice',
 'Hello {{customer_name}}, Dompet staff will never ask for your password, PIN or verification codes, by phone, chat or email. If someone did, please change your password now, turn on two-factor authentication under Security, and tell us about any transaction you do not recognise.', 0, 0),
('cnr_seed_phishing_zh', '', 'zh-CN', 'account_security', '安全提醒：谨防诈骗',
 '{{customer_name}}您好，Dompet 工作人员绝不会通过电话、聊天或邮件索要您的密码、支付密码或验证码。如果有人这样做，请立即修改密码，在“安全”中开启两步验证，并告诉我们任何您不认识的交易。', 0, 0),
('cnr_seed_closing_en', '', 'en', '', 'Closing',
 'Thank you for contacting Dompet, {{customer_name}}. Is there anything else I can help with? If not, I will close this conversation; you can always write again here.', 0, 0),
('cnr_seed_closing_zh', '', 'zh-CN', '', '结束语',
 '感谢您联系 Dompet，{{customer_name}}。还有其他可以帮您的吗？如果没有，我将结束本次会话；您随时可以在这里再次留言。', 0, 0);

-- +goose Down
DROP TABLE support_refund_followups;
DROP TABLE support_idempotency;
DROP TABLE support_canned_replies;
ALTER TABLE support_conversations DROP COLUMN pauses;
ALTER TABLE support_conversations DROP COLUMN paused_at;

-- Owned by internal/wallet: what each owner (user or merchant) sees of money movements,
-- refund requests, FX quotes and uploaded evidence. Balances live in the ledger.
-- +goose Up
CREATE TABLE wallet_transactions (
    owner          TEXT NOT NULL,            -- "user:<id>" or "merchant:<id>"
    id             TEXT NOT NULL,            -- shared by both sides of one movement
    kind           TEXT NOT NULL,
    status         TEXT NOT NULL,
    amount         BIGINT NOT NULL,
    currency       TEXT NOT NULL,
    fee            BIGINT NOT NULL DEFAULT 0,
    counterparty   TEXT NOT NULL DEFAULT '{}', -- JSON
    details        TEXT NOT NULL DEFAULT '{}', -- JSON: order_ref, note, bank_account, fx, recipient
    related_id     TEXT NOT NULL DEFAULT '',   -- the payment a refund returns
    transfer_id    TEXT NOT NULL DEFAULT '',   -- the ledger transfer
    idem_key       TEXT,
    request_hash   TEXT NOT NULL DEFAULT '',
    failure_code   TEXT NOT NULL DEFAULT '',
    failure_params TEXT NOT NULL DEFAULT '{}',
    settle_after   BIGINT NOT NULL DEFAULT 0,  -- pending withdrawals/remittances: when to ask the bank
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (owner, id),
    UNIQUE (owner, idem_key)
);
-- Partial indexes: only refunds name a related payment, and only payouts wait for the bank.
CREATE INDEX wallet_transactions_related ON wallet_transactions (related_id) WHERE related_id <> '';
CREATE INDEX wallet_transactions_pending ON wallet_transactions (settle_after) WHERE status = 'pending';

CREATE TABLE wallet_refund_requests (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL,
    merchant_id     TEXT NOT NULL,
    transaction_id  TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    reason          TEXT NOT NULL,
    attachment_ids  TEXT NOT NULL DEFAULT '[]',
    status          TEXT NOT NULL,
    decision_reason TEXT NOT NULL DEFAULT '',
    refund_id       TEXT NOT NULL DEFAULT '',
    idem_key        TEXT,
    created_at      BIGINT NOT NULL,
    decided_at      BIGINT NOT NULL DEFAULT 0,
    expected_by     BIGINT NOT NULL,
    UNIQUE (user_id, idem_key)
);
CREATE INDEX wallet_refund_requests_user ON wallet_refund_requests (user_id, id);
CREATE INDEX wallet_refund_requests_merchant ON wallet_refund_requests (merchant_id, id);

CREATE TABLE wallet_fx_quotes (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    purpose       TEXT NOT NULL, -- conversion | remittance
    from_currency TEXT NOT NULL,
    to_currency   TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    rate          TEXT NOT NULL,
    fee           BIGINT NOT NULL,
    receive       BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE wallet_attachments (
    id           TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    data         TEXT NOT NULL, -- base64: portable between SQLite and PostgreSQL
    created_at   BIGINT NOT NULL
);

-- +goose Down
DROP TABLE wallet_attachments;
DROP TABLE wallet_fx_quotes;
DROP TABLE wallet_refund_requests;
DROP TABLE wallet_transactions;

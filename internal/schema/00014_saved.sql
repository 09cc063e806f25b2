-- Owned by internal/wallet: what a user keeps to move money again without retyping it. Saved
-- bank accounts hold the holder name the bank confirmed (inquiry) when the account was saved;
-- favourite recipients hold the recipient's name masked as the lookup shows it. An index on
-- the refund requests of one payment serves the check of what is still refundable.
-- +goose Up
CREATE TABLE wallet_bank_accounts (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL,
    bank_code      TEXT NOT NULL,
    account_number TEXT NOT NULL,
    holder_name    TEXT NOT NULL,
    label          TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    UNIQUE (user_id, bank_code, account_number)
);
CREATE INDEX wallet_bank_accounts_user ON wallet_bank_accounts (user_id, id);

CREATE TABLE wallet_favorites (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    UNIQUE (user_id, recipient_id)
);
CREATE INDEX wallet_favorites_user ON wallet_favorites (user_id, id);

CREATE INDEX wallet_refund_requests_payment ON wallet_refund_requests (transaction_id, status);

-- +goose Down
DROP INDEX wallet_refund_requests_payment;
DROP TABLE wallet_favorites;
DROP TABLE wallet_bank_accounts;

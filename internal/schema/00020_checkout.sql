-- Owned by internal/checkout: online payments a merchant starts (a checkout) and a customer
-- pays on Dompet's page. status is stored open | succeeded | failed | cancelled; "expired" is
-- computed from expires_at when read, and every change from open checks expires_at itself.
-- attempts counts the payment attempts refused so far: the customer's payment idempotency key
-- is checkout:<id>:<attempts>, so a double press pays once and a retry after a refusal runs anew.
-- +goose Up
CREATE TABLE checkouts (
    id                 TEXT PRIMARY KEY,
    merchant_id        TEXT NOT NULL REFERENCES merchants (id),
    amount             BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    order_ref          TEXT NOT NULL,
    return_url         TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'open',
    expires_at         BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    payment_id         TEXT NOT NULL DEFAULT '', -- the succeeded payment (wallet transaction id)
    payer_id           TEXT NOT NULL DEFAULT '', -- the user who paid
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_failure_code  TEXT NOT NULL DEFAULT '',
    last_failure_tx    TEXT NOT NULL DEFAULT '', -- the failed payment, in its user's history
    last_failure_user  TEXT NOT NULL DEFAULT '', -- whose attempt failed: only they see it
    idempotency_key    TEXT NOT NULL,            -- the merchant's Idempotency-Key
    request_hash       TEXT NOT NULL,
    UNIQUE (merchant_id, idempotency_key)
);

-- +goose Down
DROP TABLE checkouts;

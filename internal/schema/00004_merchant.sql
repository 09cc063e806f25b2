-- Owned by internal/merchant: merchants with their hashed API keys, and the webhook outbox.
-- +goose Up
CREATE TABLE merchants (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    api_key_hash   TEXT NOT NULL UNIQUE, -- SHA-256 hex of the key; the raw key is shown once
    api_key_prefix TEXT NOT NULL,        -- "sk_live_" + 8 characters, to recognise a key
    webhook_url    TEXT NOT NULL DEFAULT '',
    webhook_secret TEXT NOT NULL,        -- kept as is: signing needs it
    status         TEXT NOT NULL DEFAULT 'active', -- active | disabled
    created_at     BIGINT NOT NULL
);

-- The outbox: a row is written in the same transaction as the money movement it reports, then
-- sent by the dispatcher after commit. payload is the exact body sent, so signatures are stable.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    event_id         TEXT NOT NULL UNIQUE,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | failed
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    last_status_code INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries (merchant_id, created_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE merchants;

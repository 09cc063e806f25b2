-- Owned by internal/outbox: messages written in the same transaction as the state change that
-- causes them (a payment, a lockout, a password change), delivered after commit by the
-- dispatcher, at least once. Merchant webhooks move here from webhook_deliveries.
-- +goose Up
CREATE TABLE outbox_messages (
    id              TEXT PRIMARY KEY,  -- stable: receivers deduplicate on it
    topic           TEXT NOT NULL,     -- chooses the handler, e.g. "merchant.webhook", "notify"
    dedupe_key      TEXT,              -- NULL for none; else one message per (topic, key)
    payload         TEXT NOT NULL,     -- what the handler gets, usually JSON
    status          TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,   -- µs; while claimed: the end of the lease
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    done_at         BIGINT NOT NULL DEFAULT 0 -- delivered or dead
);
CREATE INDEX outbox_messages_due ON outbox_messages (status, next_attempt_at);
CREATE UNIQUE INDEX outbox_messages_dedupe ON outbox_messages (topic, dedupe_key);

-- Webhook deliveries become messages of topic "merchant.webhook", keeping their event id (the
-- id receivers saw), attempts and schedule. The payload is "<merchant id> <exact body>".
INSERT INTO outbox_messages (id, topic, payload, status, attempts, next_attempt_at, last_error, created_at, done_at)
SELECT event_id, 'merchant.webhook', merchant_id || ' ' || payload,
       CASE status WHEN 'failed' THEN 'dead' ELSE status END,
       attempts, next_attempt_at, last_error, created_at, delivered_at
FROM webhook_deliveries;
DROP TABLE webhook_deliveries;

-- +goose Down
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    event_id         TEXT NOT NULL UNIQUE,
    event_type       TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT NOT NULL DEFAULT '',
    last_status_code INTEGER NOT NULL DEFAULT 0,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_merchant ON webhook_deliveries (merchant_id, created_at);
DROP TABLE outbox_messages;

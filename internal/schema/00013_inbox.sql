-- Owned by internal/inbox: the user's notifications (receipts of money movements, listed in-app)
-- and their channel settings. A notification is written in the ledger transfer's transaction,
-- with the outbox message that sends it by SMS or email; its text is rendered when read (in the
-- reader's language) or sent (in the profile's), from kind and params (JSON).
-- +goose Up
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    transaction_id TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user_id ON notifications (user_id, id);

-- One row per kind the user changed; a kind without a row has the defaults.
CREATE TABLE notification_settings (
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    sms INTEGER NOT NULL,
    email INTEGER NOT NULL,
    in_app INTEGER NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- +goose Down
DROP TABLE notification_settings;
DROP TABLE notifications;

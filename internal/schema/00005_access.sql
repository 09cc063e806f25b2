-- Owned by internal/identity (access): one-time codes for account recovery and PIN resets,
-- reset tokens, and payment PINs. Codes, tokens and PINs are stored only as hashes.
-- Times are unix microseconds.
-- +goose Up

-- At most one live code per user, purpose and network; a new code replaces the old one.
-- attempts counts verifications claimed against this code: at the limit the code is void.
-- A recovery code belongs to the network (IPv4 address or IPv6 /64) that asked for it and is
-- checked only from there, so that someone elsewhere can neither guess nor void it.
CREATE TABLE access_codes (
    user_id    TEXT NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('recovery', 'pin_reset')),
    network    TEXT NOT NULL DEFAULT '',  -- '' for PIN resets (asked from a session) and loopback
    channel    TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    code_hash  TEXT NOT NULL,          -- argon2id PHC string of the 6-digit code
    attempts   INTEGER NOT NULL DEFAULT 0,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, purpose, network)
);

-- Handed out by a verified recovery code; spent only by a successful password reset.
CREATE TABLE reset_tokens (
    token_hash TEXT PRIMARY KEY,       -- hex SHA-256 of the token
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX reset_tokens_user ON reset_tokens (user_id);

-- failed counts consecutive wrong PINs; at the limit payments are locked until a reset.
CREATE TABLE payment_pins (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    pin_hash   TEXT NOT NULL,          -- argon2id PHC string
    failed     INTEGER NOT NULL DEFAULT 0,
    set_at     BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE payment_pins;
DROP TABLE reset_tokens;
DROP TABLE access_codes;

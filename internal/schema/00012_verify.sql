-- Owned by internal/identity: when a user's phone and email were proved theirs with a code
-- (unix microseconds; NULL: not yet). Users of before count as unverified and verify on
-- their next visit, like new ones. The codes that prove them are access_codes of two new
-- purposes; SQLite cannot change a CHECK, so the table is built anew (the same on both).
-- +goose Up
ALTER TABLE users ADD COLUMN phone_verified_at BIGINT;
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

CREATE TABLE access_codes_new (
    user_id    TEXT NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('recovery', 'pin_reset', 'phone_verify', 'email_verify')),
    network    TEXT NOT NULL DEFAULT '',  -- '' for codes asked from a session, and loopback
    channel    TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    code_hash  TEXT NOT NULL,          -- argon2id PHC string of the 6-digit code
    attempts   INTEGER NOT NULL DEFAULT 0,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, purpose, network)
);
INSERT INTO access_codes_new (user_id, purpose, network, channel, code_hash, attempts, sent_at, expires_at)
    SELECT user_id, purpose, network, channel, code_hash, attempts, sent_at, expires_at FROM access_codes;
DROP TABLE access_codes;
ALTER TABLE access_codes_new RENAME TO access_codes;

-- +goose Down
CREATE TABLE access_codes_old (
    user_id    TEXT NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('recovery', 'pin_reset')),
    network    TEXT NOT NULL DEFAULT '',
    channel    TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    code_hash  TEXT NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, purpose, network)
);
INSERT INTO access_codes_old (user_id, purpose, network, channel, code_hash, attempts, sent_at, expires_at)
    SELECT user_id, purpose, network, channel, code_hash, attempts, sent_at, expires_at FROM access_codes
    WHERE purpose IN ('recovery', 'pin_reset');
DROP TABLE access_codes;
ALTER TABLE access_codes_old RENAME TO access_codes;
ALTER TABLE users DROP COLUMN email_verified_at;
ALTER TABLE users DROP COLUMN phone_verified_at;

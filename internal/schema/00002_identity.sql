-- Owned by internal/identity: users, their sessions (opaque tokens stored only as SHA-256
-- hashes), past password hashes (to refuse reuse) and an append-only log of security events.
-- Times are unix microseconds; NULL in locked_until/revoked_at means "not set".
-- +goose Up
CREATE TABLE users (
    id                  TEXT PRIMARY KEY,
    phone               TEXT NOT NULL UNIQUE,  -- E.164, e.g. +6281234567890
    email               TEXT NOT NULL UNIQUE,  -- lower-cased
    password_hash       TEXT NOT NULL,         -- PHC string: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    display_name        TEXT NOT NULL,
    locale              TEXT NOT NULL DEFAULT 'en' CHECK (locale IN ('en', 'zh-CN')),
    tier                TEXT NOT NULL DEFAULT 'basic' CHECK (tier IN ('basic', 'verified')),
    status              TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'restricted')),
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        BIGINT,                -- NULL with status 'locked': only recovery unlocks
    password_changed_at BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    token_hash   TEXT NOT NULL UNIQUE,         -- hex SHA-256 of the token; the token is never stored
    device_id    TEXT NOT NULL DEFAULT '',
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);

CREATE TABLE password_history (
    user_id    TEXT NOT NULL REFERENCES users (id),
    hash       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX password_history_user ON password_history (user_id, created_at);

-- Append-only: rows are inserted, never updated or deleted. user_id is NULL for failed logins
-- naming no known account.
CREATE TABLE security_events (
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users (id),
    kind       TEXT NOT NULL,
    ip         TEXT NOT NULL DEFAULT '',
    device_id  TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '{}',     -- JSON object
    created_at BIGINT NOT NULL
);
CREATE INDEX security_events_user ON security_events (user_id, created_at);

-- +goose Down
DROP TABLE security_events;
DROP TABLE password_history;
DROP TABLE sessions;
DROP TABLE users;

-- Owned by internal/identity (second factors): TOTP secrets and recovery codes, one-time login
-- codes sent by SMS or email, the devices and networks a user has logged in from, staff
-- accounts and their sessions, and the append-only audit log.
-- Times are unix microseconds. Secrets a code is checked against (TOTP) must be stored as they
-- are; everything a person types once (recovery and login codes, tokens) is stored hashed.
-- +goose Up
-- Mirrors user_totp.enabled_at so that every read of a user knows its two-factor state
-- without a join.
ALTER TABLE users ADD COLUMN totp_enabled INTEGER NOT NULL DEFAULT 0;

CREATE TABLE user_totp (
    user_id        TEXT PRIMARY KEY REFERENCES users (id),
    secret         TEXT NOT NULL DEFAULT '',   -- base32; '' until an enrollment is confirmed
    pending_secret TEXT NOT NULL DEFAULT '',   -- enrolled, waiting for its first code
    pending_at     BIGINT,
    last_step      BIGINT NOT NULL DEFAULT 0,  -- highest accepted 30 s step: codes at or before it are refused
    enabled_at     BIGINT,                     -- NULL: two-factor is off
    updated_at     BIGINT NOT NULL
);

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL,                  -- hex SHA-256 of user id and code
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- A code sent by SMS or email as a login's second factor: 6 digits, 10 minutes, 5 tries.
CREATE TABLE login_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    channel    TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    code_hash  TEXT NOT NULL,                  -- hex SHA-256 of id and code
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT                          -- also set when the tries run out
);
CREATE INDEX login_codes_user ON login_codes (user_id, created_at);

-- Devices a user logged in from (device_id comes from the client; id is ours, for the API).
CREATE TABLE user_devices (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    device_id  TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    last_ip    TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    UNIQUE (user_id, device_id)
);

-- Networks (IPv4 /16, IPv6 /32) a user logged in from; a login from a new one is challenged.
CREATE TABLE user_networks (
    user_id    TEXT NOT NULL REFERENCES users (id),
    network    TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen  BIGINT NOT NULL,
    PRIMARY KEY (user_id, network)
);

CREATE TABLE staff (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,       -- lower-cased
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    team           TEXT NOT NULL DEFAULT 'general',
    password_hash  TEXT NOT NULL,              -- argon2id PHC string
    totp_secret    TEXT NOT NULL,              -- base32; staff always have TOTP
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'disabled')),
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Staff tokens live apart from users' sessions, so that one kind can never pass for the other.
CREATE TABLE staff_sessions (
    id           TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL REFERENCES staff (id),
    token_hash   TEXT NOT NULL UNIQUE,         -- hex SHA-256 of the token
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, created_at);

-- Append-only: who did what to whom, and why. No code path updates or deletes a row.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,              -- time-ordered
    at          BIGINT NOT NULL,
    actor_type  TEXT NOT NULL CHECK (actor_type IN ('user', 'staff', 'system')),
    actor_id    TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL DEFAULT '',
    target_id   TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}'     -- JSON object
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at);
CREATE INDEX audit_log_actor ON audit_log (actor_type, actor_id, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE staff_sessions;
DROP TABLE staff;
DROP TABLE user_networks;
DROP TABLE user_devices;
DROP TABLE login_codes;
DROP TABLE recovery_codes;
DROP TABLE user_totp;
ALTER TABLE users DROP COLUMN totp_enabled;

-- Owned by internal/staff (teams, staff, staff_sessions) and internal/audit (audit_log).
-- Teams move into the database, seeded with the three of API.md; staff get the reviewer role,
-- a team that must exist, a capacity and a disabled flag apart from the lock state; the TOTP
-- secret is stored sealed (staff.Sealer, the staff id as associated data). SQLite cannot alter
-- a CHECK constraint, so staff and staff_sessions are rebuilt (portable: create, copy, drop,
-- rename). The audit log becomes append-only in the database itself: triggers refuse UPDATE
-- and DELETE (and TRUNCATE on PostgreSQL); their syntax differs, hence the dialect sections
-- (db.Migrate).
-- +goose Up
CREATE TABLE teams (
    slug           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    topics         TEXT NOT NULL DEFAULT '[]',  -- JSON array of topic names
    business_hours TEXT NOT NULL,               -- JSON: staff.BusinessHours
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
INSERT INTO teams (slug, name, topics, business_hours, created_at, updated_at) VALUES
    ('accounts', 'Accounts', '["account_locked","account_security"]',
     '{"time_zone":"Asia/Jakarta","weekly":[{"day":"mon","start":"08:00","end":"20:00"},{"day":"tue","start":"08:00","end":"20:00"},{"day":"wed","start":"08:00","end":"20:00"},{"day":"thu","start":"08:00","end":"20:00"},{"day":"fri","start":"08:00","end":"20:00"},{"day":"sat","start":"09:00","end":"17:00"}],"holidays":[]}',
     0, 0),
    ('payments', 'Payments', '["payment_failed","refund","fees"]',
     '{"time_zone":"Asia/Jakarta","weekly":[{"day":"mon","start":"08:00","end":"20:00"},{"day":"tue","start":"08:00","end":"20:00"},{"day":"wed","start":"08:00","end":"20:00"},{"day":"thu","start":"08:00","end":"20:00"},{"day":"fri","start":"08:00","end":"20:00"},{"day":"sat","start":"09:00","end":"17:00"}],"holidays":[]}',
     0, 0),
    ('general', 'General', '["other"]',
     '{"time_zone":"Asia/Jakarta","weekly":[{"day":"mon","start":"08:00","end":"20:00"},{"day":"tue","start":"08:00","end":"20:00"},{"day":"wed","start":"08:00","end":"20:00"},{"day":"thu","start":"08:00","end":"20:00"},{"day":"fri","start":"08:00","end":"20:00"},{"day":"sat","start":"09:00","end":"17:00"}],"holidays":[]}',
     0, 0);

CREATE TABLE staff_v10 (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,        -- lower-cased
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('agent', 'reviewer', 'supervisor', 'admin')),
    team           TEXT NOT NULL REFERENCES teams (slug),
    capacity       INTEGER NOT NULL DEFAULT 3 CHECK (capacity >= 0 AND capacity <= 50), -- chats at once
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    password_hash  TEXT NOT NULL,               -- argon2id PHC string
    totp_secret    TEXT NOT NULL,               -- sealed; staff always have TOTP
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked')), -- the lock state
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
INSERT INTO staff_v10 (id, email, name, role, team, capacity, disabled, password_hash, totp_secret, totp_last_step,
    status, failed_logins, locked_until, created_at, updated_at)
SELECT id, email, name, role,
    CASE WHEN team IN ('accounts', 'payments', 'general') THEN team ELSE 'general' END,
    3, CASE WHEN status = 'disabled' THEN 1 ELSE 0 END, password_hash, totp_secret, totp_last_step,
    CASE WHEN status = 'locked' THEN 'locked' ELSE 'active' END, failed_logins, locked_until, created_at, updated_at
FROM staff;

CREATE TABLE staff_sessions_v10 (
    id           TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL REFERENCES staff_v10 (id),
    token_hash   TEXT NOT NULL UNIQUE,          -- hex SHA-256 of the token
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
INSERT INTO staff_sessions_v10 (id, staff_id, token_hash, ip, user_agent, created_at, last_seen_at, expires_at, revoked_at)
SELECT id, staff_id, token_hash, ip, user_agent, created_at, last_seen_at, expires_at, revoked_at FROM staff_sessions;
DROP TABLE staff_sessions;
DROP TABLE staff;
ALTER TABLE staff_v10 RENAME TO staff;
ALTER TABLE staff_sessions_v10 RENAME TO staff_sessions;
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, created_at);
CREATE INDEX staff_team ON staff (team);

-- +dialect sqlite
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
-- +goose StatementEnd
-- +dialect postgres
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
-- +dialect all

-- +goose Down
-- +dialect sqlite
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
-- +dialect postgres
DROP TRIGGER audit_log_no_truncate ON audit_log;
DROP TRIGGER audit_log_no_update ON audit_log;
DROP FUNCTION audit_log_append_only();
-- +dialect all
CREATE TABLE staff_v6 (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    team           TEXT NOT NULL DEFAULT 'general',
    password_hash  TEXT NOT NULL,
    totp_secret    TEXT NOT NULL,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'disabled')),
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
INSERT INTO staff_v6 (id, email, name, role, team, password_hash, totp_secret, totp_last_step, status,
    failed_logins, locked_until, created_at, updated_at)
SELECT id, email, name, CASE WHEN role = 'reviewer' THEN 'agent' ELSE role END, team, password_hash, totp_secret,
    totp_last_step, CASE WHEN disabled = 1 THEN 'disabled' ELSE status END, failed_logins, locked_until, created_at, updated_at
FROM staff;
CREATE TABLE staff_sessions_v6 (
    id           TEXT PRIMARY KEY,
    staff_id     TEXT NOT NULL REFERENCES staff_v6 (id),
    token_hash   TEXT NOT NULL UNIQUE,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
INSERT INTO staff_sessions_v6 (id, staff_id, token_hash, ip, user_agent, created_at, last_seen_at, expires_at, revoked_at)
SELECT id, staff_id, token_hash, ip, user_agent, created_at, last_seen_at, expires_at, revoked_at FROM staff_sessions;
DROP TABLE staff_sessions;
DROP TABLE staff;
ALTER TABLE staff_v6 RENAME TO staff;
ALTER TABLE staff_sessions_v6 RENAME TO staff_sessions;
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id, created_at);
DROP TABLE teams;

-- Owned by internal/identity: the chat widget's sessions. A session's scope is '' (the whole
-- wallet) or 'chat' (a widget session: the chat pages and the customer's conversation
-- stream only). A widget session is opened by redeeming a grant: a one-time code (stored
-- only as its SHA-256, valid 60 seconds) that a signed-in user mints on Dompet's own page and
-- hands to the widget's frame.
-- +goose Up
ALTER TABLE sessions ADD COLUMN scope TEXT NOT NULL DEFAULT '';

CREATE TABLE widget_grants (
    code_hash  TEXT PRIMARY KEY,             -- hex SHA-256 of the code; the code is never stored
    user_id    TEXT NOT NULL REFERENCES users (id),
    session_id TEXT NOT NULL,                -- the full session that granted it: revoked, it grants nothing
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT                        -- set by the one redemption
);
CREATE INDEX widget_grants_expiry ON widget_grants (expires_at);

-- +goose Down
DROP TABLE widget_grants;
ALTER TABLE sessions DROP COLUMN scope;

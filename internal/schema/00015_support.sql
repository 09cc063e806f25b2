-- Owned by internal/support: conversations of every channel, their messages, the agents'
-- presence and load for routing, and call-back requests. Load (active) is a counter changed
-- only by conditional updates in the transaction that assigns or releases a conversation, so
-- that several processes routing at once never exceed an agent's capacity.
-- +goose Up
CREATE TABLE support_conversations (
    id                TEXT PRIMARY KEY,
    ref               TEXT NOT NULL UNIQUE,          -- short reference, "[#ref]" in email subjects
    channel           TEXT NOT NULL CHECK (channel IN ('chat', 'email', 'phone', 'callback')),
    customer_id       TEXT NOT NULL DEFAULT '',      -- wallet user id; '' when only a contact is known
    customer_email    TEXT NOT NULL DEFAULT '',
    customer_phone    TEXT NOT NULL DEFAULT '',
    customer_name     TEXT NOT NULL DEFAULT '',
    subject           TEXT NOT NULL DEFAULT '',
    topic             TEXT NOT NULL,
    priority          TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status            TEXT NOT NULL CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    team              TEXT NOT NULL,
    assignee          TEXT,                          -- staff id
    tags              TEXT NOT NULL DEFAULT '[]',    -- JSON array
    transaction_id    TEXT NOT NULL DEFAULT '',
    queued_at         BIGINT,                        -- waiting for an agent since; NULL when not waiting
    assigned_at       BIGINT,
    first_response_at BIGINT,
    resolved_at       BIGINT,
    rating            INTEGER,
    rating_comment    TEXT NOT NULL DEFAULT '',
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX support_conversations_customer ON support_conversations (customer_id, id);
CREATE INDEX support_conversations_queue ON support_conversations (team, queued_at, id);
CREATE INDEX support_conversations_assignee ON support_conversations (assignee, status);

CREATE TABLE support_messages (
    id              TEXT PRIMARY KEY,               -- time-ordered: ?after= pages by it
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id),
    author_type     TEXT NOT NULL CHECK (author_type IN ('customer', 'agent', 'system')),
    author_id       TEXT NOT NULL DEFAULT '',
    author_name     TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    internal        INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
    channel         TEXT NOT NULL,
    client_id       TEXT,                           -- NULL when the sender gave none
    attachments     TEXT NOT NULL DEFAULT '[]',     -- JSON array of {id, filename, content_type, size}
    created_at      BIGINT NOT NULL
);
CREATE INDEX support_messages_conversation ON support_messages (conversation_id, id);
CREATE UNIQUE INDEX support_messages_client ON support_messages (conversation_id, client_id);

CREATE TABLE support_agents (
    staff_id   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,                       -- copied from staff when presence changes
    team       TEXT NOT NULL,
    presence   TEXT NOT NULL DEFAULT 'offline' CHECK (presence IN ('online', 'away', 'offline')),
    capacity   INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 0 CHECK (active >= 0), -- open or pending conversations assigned
    updated_at BIGINT NOT NULL
);
CREATE INDEX support_agents_team ON support_agents (team, presence);

CREATE TABLE support_callbacks (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id),
    phone           TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);

-- +goose Down
DROP TABLE support_callbacks;
DROP TABLE support_agents;
DROP TABLE support_messages;
DROP TABLE support_conversations;

-- Owned by internal/support: read markers. One row per participant of a conversation (the
-- customer, each agent who read it): the last message they have read. Markers only move
-- forward (message ids sort by time).
-- +goose Up
CREATE TABLE support_reads (
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id),
    reader_type     TEXT NOT NULL,                  -- customer, agent
    reader_id       TEXT NOT NULL,                  -- the user's or the staff member's id
    reader_name     TEXT NOT NULL DEFAULT '',
    message_id      TEXT NOT NULL,
    read_at         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, reader_type, reader_id)
);

-- +goose Down
DROP TABLE support_reads;

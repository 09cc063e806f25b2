-- Owned by internal/support: the agent's disposition of a call (how it ended for the desk:
-- resolved, callback_needed…), on its phone or call-back conversation, with an optional note,
-- who set it and when; and an index to find a conversation's call events (ongoing calls).
-- +goose Up
ALTER TABLE support_conversations ADD COLUMN disposition TEXT NOT NULL DEFAULT '';      -- '' until the agent sets one
ALTER TABLE support_conversations ADD COLUMN disposition_note TEXT NOT NULL DEFAULT '';
ALTER TABLE support_conversations ADD COLUMN disposition_by TEXT NOT NULL DEFAULT '';   -- staff id
ALTER TABLE support_conversations ADD COLUMN disposition_at BIGINT;
CREATE INDEX support_calls_conversation ON support_calls (conversation_id, event);

-- +goose Down
DROP INDEX support_calls_conversation;
ALTER TABLE support_conversations DROP COLUMN disposition_at;
ALTER TABLE support_conversations DROP COLUMN disposition_by;
ALTER TABLE support_conversations DROP COLUMN disposition_note;
ALTER TABLE support_conversations DROP COLUMN disposition;

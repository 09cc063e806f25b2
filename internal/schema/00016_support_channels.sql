-- Owned by internal/support: what the email and phone channels and the SLA clocks add to
-- conversations. support_email_ids holds every Message-ID of an email conversation, the
-- customer's and ours (acknowledgement, agent replies), so that any reply threads by its
-- In-Reply-To/References; support_calls makes telephony events idempotent (connectors retry).
-- +goose Up
ALTER TABLE support_conversations ADD COLUMN lang TEXT NOT NULL DEFAULT '';
ALTER TABLE support_conversations ADD COLUMN first_response_due BIGINT;
ALTER TABLE support_conversations ADD COLUMN resolution_due BIGINT;

CREATE TABLE support_email_ids (
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id),
    message_id      TEXT NOT NULL,                  -- without <>
    support_message TEXT NOT NULL DEFAULT '',       -- support_messages.id; '' for an acknowledgement
    inbound         INTEGER NOT NULL DEFAULT 0,     -- 1: a customer's mail written by a person
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, message_id)
);
CREATE INDEX support_email_ids_message ON support_email_ids (message_id);

CREATE TABLE support_calls (
    call_id         TEXT NOT NULL,
    event           TEXT NOT NULL,
    conversation_id TEXT NOT NULL REFERENCES support_conversations (id),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (call_id, event)
);

-- +goose Down
DROP TABLE support_calls;
DROP TABLE support_email_ids;
ALTER TABLE support_conversations DROP COLUMN resolution_due;
ALTER TABLE support_conversations DROP COLUMN first_response_due;
ALTER TABLE support_conversations DROP COLUMN lang;

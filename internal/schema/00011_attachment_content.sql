-- Owned by internal/wallet: attachments as bytes instead of base64 text. BYTEA is PostgreSQL's
-- binary type; SQLite accepts the name (NUMERIC affinity, which never converts a blob), so a
-- []byte is stored and read back as a blob on both. Rows of before keep their base64 in data
-- until wallet.ConvertAttachments (run on every start) moves them; new rows write data = ''.
-- +goose Up
ALTER TABLE wallet_attachments ADD COLUMN content BYTEA;

-- +goose Down
ALTER TABLE wallet_attachments DROP COLUMN content;

-- Owned by internal/ledger: what each pending transfer added to usage counters, so that
-- voiding it (by a caller or by expiry) gives those amounts back.
-- +goose Up
CREATE TABLE ledger_hold_usage (
    transfer_id TEXT NOT NULL,
    key         TEXT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (transfer_id, key)
);

-- +goose Down
DROP TABLE ledger_hold_usage;

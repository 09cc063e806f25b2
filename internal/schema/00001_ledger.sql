-- Owned by internal/ledger: accounts, the immutable journal of transfers and their postings,
-- and usage counters that limits are checked against in the same transaction.
-- +goose Up
CREATE TABLE ledger_accounts (
    id              TEXT PRIMARY KEY,
    owner           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    currency        TEXT NOT NULL,
    no_overdraft    INTEGER NOT NULL DEFAULT 0,
    max_balance     BIGINT NOT NULL DEFAULT 0,
    balance         BIGINT NOT NULL DEFAULT 0,
    pending_debits  BIGINT NOT NULL DEFAULT 0,
    pending_credits BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    UNIQUE (owner, kind, currency)
);

CREATE TABLE ledger_transfers (
    id          TEXT PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    code        TEXT NOT NULL,
    phase       TEXT NOT NULL, -- posted | pending | post | void | rejected
    pending_id  TEXT,          -- for post and void: the pending transfer they resolve, once
    timeout_at  BIGINT NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
-- Partial indexes: most transfers are neither holds nor resolutions, and need not pay for them.
CREATE UNIQUE INDEX ledger_transfers_resolves ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_pending ON ledger_transfers (timeout_at) WHERE phase = 'pending';

CREATE TABLE ledger_postings (
    transfer_id TEXT NOT NULL,
    n           INTEGER NOT NULL,
    debit_id    TEXT NOT NULL,
    credit_id   TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    currency    TEXT NOT NULL,
    PRIMARY KEY (transfer_id, n)
);

CREATE TABLE ledger_usage (
    key   TEXT PRIMARY KEY,
    value BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE ledger_usage;
DROP TABLE ledger_postings;
DROP TABLE ledger_transfers;
DROP TABLE ledger_accounts;

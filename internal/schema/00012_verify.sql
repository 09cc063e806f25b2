-- Owned by internal/identity: when a user's phone and email were proved theirs with a code
-- (unix microseconds; NULL: not yet). Users of before count as unverified and verify on
-- their next visit, like new ones.
-- +goose Up
ALTER TABLE users ADD COLUMN phone_verified_at BIGINT;
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;

-- +goose Down
ALTER TABLE users DROP COLUMN email_verified_at;
ALTER TABLE users DROP COLUMN phone_verified_at;

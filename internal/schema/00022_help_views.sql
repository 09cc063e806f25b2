-- Owned by internal/helpcenter: how often each article was read, per language and UTC day, for
-- the "Popular" list of /help and /contact. Views are counted in memory and added here in a
-- batch every few seconds (one upsert per article and day), so a page view costs no write.
-- day is days since 1970-01-01 UTC. Rows older than the ranking window are deleted by the
-- flush.
-- +goose Up
CREATE TABLE help_views (
    slug   TEXT NOT NULL,
    locale TEXT NOT NULL,
    day    BIGINT NOT NULL,
    views  BIGINT NOT NULL,
    PRIMARY KEY (locale, day, slug)
);

-- +goose Down
DROP TABLE help_views;

-- Owned by internal/helpcenter: the help-center articles and their "did this help?" votes.
-- An article is one (slug, locale): translations share the slug. The published text is what
-- readers see (when published = 1); the draft columns hold a staff member's unpublished edit
-- (has_draft = 1). Articles shipped in the binary carry the hash of the shipped file they were
-- last loaded from (source_hash); edited = 1 once staff publish their own text, and from then
-- on a start never overwrites it. One vote per article slug and voter (a user, or a hashed
-- anonymous visitor); voting again changes the vote.
-- +goose Up
CREATE TABLE help_articles (
    slug           TEXT NOT NULL,
    locale         TEXT NOT NULL,
    category       TEXT NOT NULL,
    title          TEXT NOT NULL,
    tags           TEXT NOT NULL DEFAULT '[]',
    topics         TEXT NOT NULL DEFAULT '[]',
    body           TEXT NOT NULL,
    published      INTEGER NOT NULL DEFAULT 0,
    origin         TEXT NOT NULL,
    source_hash    TEXT NOT NULL DEFAULT '',
    edited         INTEGER NOT NULL DEFAULT 0,
    has_draft      INTEGER NOT NULL DEFAULT 0,
    draft_category TEXT NOT NULL DEFAULT '',
    draft_title    TEXT NOT NULL DEFAULT '',
    draft_tags     TEXT NOT NULL DEFAULT '[]',
    draft_body     TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    updated_by     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (slug, locale)
);

CREATE TABLE help_votes (
    slug       TEXT NOT NULL,
    voter      TEXT NOT NULL,
    helpful    INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (slug, voter)
);

-- +goose Down
DROP TABLE help_votes;
DROP TABLE help_articles;

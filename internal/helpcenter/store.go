package helpcenter

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// sync writes the shipped articles into the store: an article not there yet is added,
// published; one staff never edited (edited = 0) whose shipped file changed gets the new
// text (keeping whether it is published); one staff edited is left as they made it. Several
// processes starting at once may race: the insert skips a row another one wrote.
func (s *Service) sync(ctx context.Context, shipped []ShippedArticle) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		n = 0
		type state struct {
			origin, hash string
			edited       bool
		}
		have := map[[2]string]state{}
		rows, err := tx.Query(ctx, "SELECT slug, locale, origin, source_hash, edited FROM help_articles")
		if err != nil {
			return err
		}
		for rows.Next() {
			var k [2]string
			var st state
			var edited int
			if err := rows.Scan(&k[0], &k[1], &st.origin, &st.hash, &edited); err != nil {
				rows.Close()
				return err
			}
			st.edited = edited == 1
			have[k] = st
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := s.now().UnixMicro()
		for _, a := range shipped {
			st, ok := have[[2]string{a.Slug, a.Locale}]
			switch {
			case !ok:
				_, err = tx.Exec(ctx, `INSERT INTO help_articles (slug, locale, category, title, tags, topics, body, published,
					origin, source_hash, edited, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 'shipped', ?, 0, ?, ?)
					ON CONFLICT (slug, locale) DO NOTHING`,
					a.Slug, a.Locale, a.Category, a.Title, jsonList(a.Tags), jsonList(a.Topics), a.Body, a.Hash, now, now)
			case st.origin == originShipped && !st.edited && st.hash != a.Hash:
				_, err = tx.Exec(ctx, `UPDATE help_articles SET category = ?, title = ?, tags = ?, topics = ?, body = ?,
					source_hash = ?, updated_at = ? WHERE slug = ? AND locale = ? AND edited = 0`,
					a.Category, a.Title, jsonList(a.Tags), jsonList(a.Topics), a.Body, a.Hash, now, a.Slug, a.Locale)
			default:
				continue
			}
			if err != nil {
				return fmt.Errorf("help article %s/%s: %w", a.Slug, a.Locale, err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("load help articles: %w", err)
	}
	return n, nil
}

// stamp changes whenever an article is added, changed, published or unpublished.
func (s *Service) stamp(ctx context.Context) (string, error) {
	var count, published, updated int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(published), 0), COALESCE(MAX(updated_at), 0)
		FROM help_articles`).Scan(&count, &published, &updated)
	if err != nil {
		return "", fmt.Errorf("help articles stamp: %w", err)
	}
	return fmt.Sprint(count, "/", published, "/", updated), nil
}

// published reads every published article.
func (s *Service) published(ctx context.Context) ([]*Article, error) {
	rows, err := s.db.Query(ctx, `SELECT slug, locale, category, title, tags, topics, body, updated_at
		FROM help_articles WHERE published = 1 ORDER BY slug, locale`)
	if err != nil {
		return nil, fmt.Errorf("help articles: %w", err)
	}
	defer rows.Close()
	var out []*Article
	for rows.Next() {
		var a Article
		var tags, topics string
		var updated int64
		if err := rows.Scan(&a.Slug, &a.Locale, &a.Category, &a.Title, &tags, &topics, &a.Body, &updated); err != nil {
			return nil, fmt.Errorf("help articles: %w", err)
		}
		a.Tags, a.topics = parseList(tags), parseList(topics)
		a.UpdatedAt = time.UnixMicro(updated).UTC()
		out = append(out, &a)
	}
	return out, rows.Err()
}

func (s *Service) vote(ctx context.Context, slug, voter string, helpful bool) error {
	_, err := s.db.Exec(ctx, `INSERT INTO help_votes (slug, voter, helpful, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (slug, voter) DO UPDATE SET helpful = excluded.helpful, created_at = excluded.created_at`,
		slug, voter, boolInt(helpful), s.now().UnixMicro())
	if err != nil {
		return fmt.Errorf("help vote: %w", err)
	}
	return nil
}

// votes counts the votes of every article.
func (s *Service) votes(ctx context.Context) (map[string]Votes, error) { return s.votesSince(ctx, 0) }

// addViews adds counted views to their days, in one transaction, and deletes the days before
// keepFrom.
func (s *Service) addViews(ctx context.Context, batch map[viewKey]int64, keepFrom int64) error {
	// In key order: two processes flushing at once lock the rows in the same order, so they
	// wait for each other instead of deadlocking (PostgreSQL).
	keys := slices.SortedFunc(maps.Keys(batch), func(a, b viewKey) int {
		return cmp.Or(cmp.Compare(a.locale, b.locale), cmp.Compare(a.day, b.day), cmp.Compare(a.slug, b.slug))
	})
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, k := range keys {
			n := batch[k]
			if _, err := tx.Exec(ctx, `INSERT INTO help_views (slug, locale, day, views) VALUES (?, ?, ?, ?)
				ON CONFLICT (locale, day, slug) DO UPDATE SET views = help_views.views + excluded.views`,
				k.slug, k.locale, k.day, n); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM help_views WHERE day < ?`, keepFrom)
		return err
	})
	if err != nil {
		return fmt.Errorf("help views: %w", err)
	}
	return nil
}

// viewCounts sums the views of each article in locale since day.
func (s *Service) viewCounts(ctx context.Context, locale string, since int64) (map[string]int64, error) {
	rows, err := s.db.Query(ctx, `SELECT slug, SUM(views) FROM help_views WHERE locale = ? AND day >= ? GROUP BY slug`, locale, since)
	if err != nil {
		return nil, fmt.Errorf("help views: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var slug string
		var n int64
		if err := rows.Scan(&slug, &n); err != nil {
			return nil, fmt.Errorf("help views: %w", err)
		}
		out[slug] = n
	}
	return out, rows.Err()
}

// votesSince counts the votes cast (or changed) since the time in µs, per article.
func (s *Service) votesSince(ctx context.Context, since int64) (map[string]Votes, error) {
	rows, err := s.db.Query(ctx, `SELECT slug, helpful, COUNT(*) FROM help_votes WHERE created_at >= ? GROUP BY slug, helpful`, since)
	if err != nil {
		return nil, fmt.Errorf("help votes: %w", err)
	}
	defer rows.Close()
	out := map[string]Votes{}
	for rows.Next() {
		var slug string
		var helpful, n int
		if err := rows.Scan(&slug, &helpful, &n); err != nil {
			return nil, fmt.Errorf("help votes: %w", err)
		}
		v := out[slug]
		if helpful == 1 {
			v.Helpful = n
		} else {
			v.NotHelpful = n
		}
		out[slug] = v
	}
	return out, rows.Err()
}

const adminCols = `slug, locale, category, title, tags, body, published, origin, edited, has_draft,
	draft_category, draft_title, draft_tags, draft_body, created_at, updated_at, updated_by`

func scanAdmin(sc interface{ Scan(...any) error }) (Admin, error) {
	var a Admin
	var tags, dtags string
	var published, edited, hasDraft int
	var d Draft
	var created, updated int64
	err := sc.Scan(&a.Slug, &a.Locale, &a.Category, &a.Title, &tags, &a.Body, &published, &a.Origin, &edited, &hasDraft,
		&d.Category, &d.Title, &dtags, &d.Body, &created, &updated, &a.UpdatedBy)
	if err != nil {
		if err == sql.ErrNoRows {
			return a, db.ErrNotFound
		}
		return a, err
	}
	a.Tags = parseList(tags)
	a.Status = StatusUnpublished
	if published == 1 {
		a.Status = StatusPublished
	}
	a.Edited = edited == 1
	if hasDraft == 1 {
		d.Tags = parseList(dtags)
		a.Draft = &d
	}
	a.CreatedAt, a.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return a, nil
}

func jsonList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	var out []string
	if json.Unmarshal([]byte(s), &out) != nil || out == nil {
		return []string{}
	}
	return out
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

package helpcenter

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Popular articles: /help and /contact list the articles readers actually use. A view is
// counted in memory (Viewed: a map increment under a mutex) and the counts are added to
// help_views in one transaction every viewFlushEvery (RunViews), so reading an article writes
// nothing on the request's path; a crash loses at most those seconds of counts, which a
// ranking can afford. The ranking reads the last popularWindow of views in the reader's
// language and of "did this help?" votes (votes are per article, whatever its language), and
// is cached for popularTTL per language.

const (
	// popularWindow is how far back views and votes count.
	popularWindow = 30 * 24 * time.Hour
	// voteWeight: a reader saying an article helped (or did not) counts as this many views
	// (a vote is a reader telling, a view only a click).
	voteWeight = 5
	// popularTTL is how long a ranking is reused before the store is read again (a flush or a
	// vote in this process clears it at once).
	popularTTL = time.Minute
	// viewFlushEvery is how often RunViews writes the counted views.
	viewFlushEvery = 10 * time.Second
	// popularMax is the longest list Popular gives.
	popularMax = 10
)

// Editorial is the order Popular falls back to when readers have not said anything yet: the
// most common problems first.
var Editorial = []string{"account-locked", "payment-failed", "forgot-password", "request-refund", "fees", "secure-your-account"}

type viewKey struct {
	slug, locale string
	day          int64
}

// views are the counts not yet written, and the rankings computed from the store.
type views struct {
	mu      sync.Mutex
	pending map[viewKey]int64

	popMu sync.Mutex
	pop   map[string]popular // by locale
}

type popular struct {
	at   time.Time
	list []string // slugs, best first
}

// Viewed counts one reading of the article slug in locale (the language it was shown in). It
// only touches memory; RunViews (or FlushViews) stores the counts.
func (s *Service) Viewed(slug, locale string) {
	k := viewKey{slug: slug, locale: locale, day: dayOf(s.now())}
	s.views.mu.Lock()
	if s.views.pending == nil {
		s.views.pending = map[viewKey]int64{}
	}
	s.views.pending[k]++
	s.views.mu.Unlock()
}

// FlushViews writes the views counted since the last flush, in one transaction, and deletes
// the days the ranking no longer reads. On failure the counts are kept for the next flush.
func (s *Service) FlushViews(ctx context.Context) error {
	s.views.mu.Lock()
	batch := s.views.pending
	s.views.pending = nil
	s.views.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if err := s.addViews(ctx, batch, dayOf(s.now().Add(-popularWindow))-1); err != nil {
		s.views.mu.Lock()
		if s.views.pending == nil {
			s.views.pending = map[viewKey]int64{}
		}
		for k, n := range batch {
			s.views.pending[k] += n
		}
		s.views.mu.Unlock()
		return err
	}
	s.forgetPopular()
	return nil
}

// RunViews flushes the counted views every few seconds until ctx ends, then once more.
func (s *Service) RunViews(ctx context.Context) {
	t := time.NewTicker(viewFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := s.FlushViews(fctx); err != nil {
				s.log.Warn("help center: views not stored at shutdown", "err", err)
			}
			return
		case <-t.C:
			if err := s.FlushViews(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("help center: storing views", "err", err)
			}
		}
	}
}

// Popular lists up to limit published articles (at most 10), most used first in locale: each
// scored by its views in that language over the last 30 days plus five per "helped" vote and
// minus five per "did not help" vote over the same days. Articles nobody used follow in the
// editorial order (Editorial), except those readers voted down; an article without a
// translation is shown in the other language.
func (s *Service) Popular(ctx context.Context, locale string, limit int) ([]Result, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	slugs, err := s.popularSlugs(ctx, locale)
	if err != nil {
		return nil, err
	}
	limit = min(max(limit, 0), popularMax)
	out := make([]Result, 0, limit)
	for _, slug := range slugs {
		if len(out) == limit {
			break
		}
		a := sn.inLocale(slug, locale)
		if a == nil {
			continue // unpublished since
		}
		out = append(out, Result{Slug: slug, Title: a.Title, Snippet: cut(a.plain, 0, 140), Category: a.Category, Locale: a.Locale})
	}
	return out, nil
}

// inLocale is the published article slug in locale, else in the other language, else nil.
func (sn *snapshot) inLocale(slug, locale string) *Article {
	byLocale := sn.articles[slug]
	if a, ok := byLocale[locale]; ok {
		return a
	}
	for _, l := range Locales {
		if a, ok := byLocale[l]; ok {
			return a
		}
	}
	return nil
}

// popularSlugs is the ranking of locale, from the cache while it is fresh.
func (s *Service) popularSlugs(ctx context.Context, locale string) ([]string, error) {
	now := s.now()
	s.views.popMu.Lock()
	p, ok := s.views.pop[locale]
	s.views.popMu.Unlock()
	if ok && now.Sub(p.at) < popularTTL && now.Sub(p.at) >= 0 {
		return p.list, nil
	}
	since := now.Add(-popularWindow)
	viewed, err := s.viewCounts(ctx, locale, dayOf(since))
	if err != nil {
		return nil, err
	}
	votes, err := s.votesSince(ctx, since.UnixMicro())
	if err != nil {
		return nil, err
	}
	list := rank(viewed, votes)
	s.views.popMu.Lock()
	if s.views.pop == nil {
		s.views.pop = map[string]popular{}
	}
	s.views.pop[locale] = popular{at: now, list: list}
	s.views.popMu.Unlock()
	return list, nil
}

// rank orders the articles with a positive score by score (ties: editorial order, then
// slug), then the editorial ones left that readers did not vote down.
func rank(viewed map[string]int64, votes map[string]Votes) []string {
	score := map[string]int64{}
	for slug, n := range viewed {
		score[slug] += n
	}
	for slug, v := range votes {
		score[slug] += voteWeight * int64(v.Helpful-v.NotHelpful)
	}
	editorial := func(slug string) int {
		if i := slices.Index(Editorial, slug); i >= 0 {
			return i
		}
		return len(Editorial)
	}
	var used []string
	for slug, n := range score {
		if n > 0 {
			used = append(used, slug)
		}
	}
	slices.SortFunc(used, func(a, b string) int {
		if score[a] != score[b] {
			if score[a] > score[b] {
				return -1
			}
			return 1
		}
		if ea, eb := editorial(a), editorial(b); ea != eb {
			return ea - eb
		}
		if a < b {
			return -1
		}
		return 1
	})
	list := used
	for _, slug := range Editorial {
		if _, counted := score[slug]; counted && score[slug] <= 0 {
			if v := votes[slug]; v.NotHelpful > v.Helpful {
				continue // readers said it does not help
			}
		}
		if !slices.Contains(list, slug) {
			list = append(list, slug)
		}
	}
	if len(list) > popularMax*2 {
		list = list[:popularMax*2] // room for a few unpublished since
	}
	return list
}

// forgetPopular drops the cached rankings (after a flush or a vote in this process).
func (s *Service) forgetPopular() {
	s.views.popMu.Lock()
	s.views.pop = nil
	s.views.popMu.Unlock()
}

// dayOf is t's UTC day, counted from 1970-01-01.
func dayOf(t time.Time) int64 { return t.Unix() / 86400 }

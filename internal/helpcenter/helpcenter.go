// Package helpcenter is Dompet's help center: articles in zh-CN and en that ship in the
// binary (articles/*, loaded into the store on every start, not only in demo mode), search
// that finds Chinese and English (with typos and partial words), "did this help?" votes, and
// staff editing with drafts and publishing. It owns the tables help_articles and help_votes
// (migration 00019).
//
// Readers go through Search, Article, Categories, Suggest and Vote; the published articles
// and their search index live in memory and are rebuilt when an article changes (here, or in
// another process sharing the store: see refreshEvery). Staff go through the methods of
// admin.go, each audited.
package helpcenter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Locales the articles are written in.
const (
	LocaleEN = "en"
	LocaleZH = "zh-CN"
)

// Locales lists them.
var Locales = []string{LocaleEN, LocaleZH}

// refreshEvery is how often a read checks whether another process changed the articles.
const refreshEvery = 10 * time.Second

var (
	ErrForbidden    = fault.New("forbidden", "only supervisors and admins edit help-center articles")
	ErrInvalidState = fault.New("invalid_state", "the article is not in a state that allows this")
	ErrExists       = fault.New("already_exists", "an article with this slug and locale exists")
)

// Article is a published article as readers see it.
type Article struct {
	Slug      string    `json:"slug"`
	Locale    string    `json:"locale" enum:"en,zh-CN"`
	Category  string    `json:"category"`
	Title     string    `json:"title"`
	Tags      []string  `json:"tags"`
	Body      string    `json:"body_markdown" doc:"the body in Dompet's Markdown subset (headings, lists, bold, code, links)"`
	HTML      string    `json:"body_html" doc:"the body rendered as HTML: every character of the source is escaped, only the subset's tags are made"`
	Locales   []string  `json:"locales" doc:"the languages this article is published in (same slug)"`
	UpdatedAt time.Time `json:"updated_at"`
	topics    []string
	plain     string
}

// Result is one article found by Search.
type Result struct {
	Slug     string `json:"slug"`
	Title    string `json:"title"`
	Snippet  string `json:"snippet" doc:"plain text around the first match in the body"`
	Category string `json:"category"`
	Locale   string `json:"locale" enum:"en,zh-CN"`
}

// Query is a search.
type Query struct {
	Q        string
	Locale   string // preferred language; articles in the other one rank lower
	Category string // only this category when set
	Limit    int    // default 20, at most 50
}

// Options configure the Service.
type Options struct {
	Now func() time.Time // nil: time.Now
	Log *slog.Logger     // nil: discard
}

// Service is the help center on one store.
type Service struct {
	db  *db.DB
	now func() time.Time
	log *slog.Logger

	views     views // counted views not yet stored, and the cached Popular rankings
	snap      atomic.Pointer[snapshot]
	checkedAt atomic.Int64 // unix nanos of the last staleness check
	reload    sync.Mutex
}

// snapshot is the published articles and their index, replaced whole.
type snapshot struct {
	ix       *index
	articles map[string]map[string]*Article // slug → locale → article
	stamp    string                         // what the store said when it was built
}

// New returns the help center of d. Call Load before serving.
func New(d *db.DB, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: d, now: o.Now, log: o.Log}
}

// Load brings the shipped articles into the store (new ones added; those staff never edited
// updated to the shipped text; edited ones left alone) and builds the index.
func (s *Service) Load(ctx context.Context) error {
	shipped, err := Shipped()
	if err != nil {
		return err
	}
	n, err := s.sync(ctx, shipped)
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("help-center articles loaded from the binary", "count", n)
	}
	return s.rebuild(ctx)
}

// current is the snapshot, rebuilt first when the store changed since (checked at most every
// refreshEvery).
func (s *Service) current(ctx context.Context) (*snapshot, error) {
	sn := s.snap.Load()
	now := time.Now().UnixNano()
	if sn != nil && now-s.checkedAt.Load() < int64(refreshEvery) {
		return sn, nil
	}
	if !s.reload.TryLock() {
		if sn != nil {
			return sn, nil
		}
		s.reload.Lock()
	}
	defer s.reload.Unlock()
	s.checkedAt.Store(now)
	stamp, err := s.stamp(ctx)
	if err != nil {
		if sn != nil {
			s.log.Warn("help center: staleness check", "err", err)
			return sn, nil
		}
		return nil, err
	}
	if sn != nil && sn.stamp == stamp {
		return sn, nil
	}
	if err := s.rebuildLocked(ctx); err != nil {
		return nil, err
	}
	return s.snap.Load(), nil
}

func (s *Service) rebuild(ctx context.Context) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	s.checkedAt.Store(time.Now().UnixNano())
	return s.rebuildLocked(ctx)
}

func (s *Service) rebuildLocked(ctx context.Context) error {
	stamp, err := s.stamp(ctx)
	if err != nil {
		return err
	}
	list, err := s.published(ctx)
	if err != nil {
		return err
	}
	s.snap.Store(newSnapshot(list, stamp))
	return nil
}

func newSnapshot(list []*Article, stamp string) *snapshot {
	sn := &snapshot{articles: map[string]map[string]*Article{}, stamp: stamp}
	docs := make([]indexDoc, 0, len(list))
	for _, a := range list {
		a.HTML = RenderHTML(a.Body)
		a.plain = PlainText(a.Body)
		if sn.articles[a.Slug] == nil {
			sn.articles[a.Slug] = map[string]*Article{}
		}
		sn.articles[a.Slug][a.Locale] = a
		docs = append(docs, indexDoc{Slug: a.Slug, Locale: a.Locale, Category: a.Category, Title: a.Title, Tags: a.Tags, Plain: a.plain})
	}
	for _, byLocale := range sn.articles {
		var ls []string
		for l := range byLocale {
			ls = append(ls, l)
		}
		sort.Strings(ls)
		for _, a := range byLocale {
			a.Locales = ls
		}
	}
	sn.ix = buildIndex(docs)
	return sn
}

// Search finds published articles for q.Q, best first: words in the title count most, then
// tags, then the body; Chinese by characters and pairs, English with partial words and
// one-letter typos. An empty query gives nothing.
func (s *Service) Search(ctx context.Context, q Query) ([]Result, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	return sn.search(q), nil
}

func (sn *snapshot) search(q Query) []Result {
	if q.Limit <= 0 {
		q.Limit = 20
	}
	q.Limit = min(q.Limit, 50)
	hits := sn.ix.query(q.Q, q.Locale, q.Category, q.Limit)
	out := make([]Result, 0, len(hits))
	for _, h := range hits {
		d := &sn.ix.docs[h.doc]
		out = append(out, Result{Slug: d.slug, Title: d.title, Snippet: d.snippet(h.terms), Category: d.category, Locale: d.locale})
	}
	return out
}

// Article is the published article slug in locale, or in the other language when it has no
// translation; db.ErrNotFound when it is not published at all.
func (s *Service) Article(ctx context.Context, slug, locale string) (Article, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return Article{}, err
	}
	byLocale := sn.articles[slug]
	if a, ok := byLocale[locale]; ok {
		return *a, nil
	}
	for _, l := range Locales {
		if a, ok := byLocale[l]; ok {
			return *a, nil
		}
	}
	return Article{}, fmt.Errorf("help article %q: %w", slug, db.ErrNotFound)
}

// Category is a group of articles, named in the reader's language.
type Category struct {
	Slug  string `json:"slug"`
	Name  string `json:"name"`
	Count int    `json:"count" doc:"published articles in the reader's language"`
}

// categories are the help center's groups, in the order pages show them.
var categories = []struct{ slug, en, zh string }{
	{"account", "Account and login", "账户与登录"},
	{"security", "Account security", "账户安全"},
	{"payments", "Payments", "付款"},
	{"refunds", "Refunds", "退款"},
	{"fees-limits", "Fees and limits", "费用与限额"},
	{"topup-withdraw", "Top-up and withdrawal", "充值与提现"},
	{"transfers", "Transfers, exchange and remittance", "转账、换汇与汇款"},
	{"support", "Contact support", "联系客服"},
}

// CategorySlugs are the categories an article may be in.
func CategorySlugs() []string {
	out := make([]string, len(categories))
	for i, c := range categories {
		out[i] = c.slug
	}
	return out
}

// Categories are the categories with their names in locale and how many articles each has.
func (s *Service) Categories(ctx context.Context, locale string) ([]Category, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, byLocale := range sn.articles {
		if a, ok := byLocale[locale]; ok {
			count[a.Category]++
		}
	}
	out := make([]Category, 0, len(categories))
	for _, c := range categories {
		name := c.en
		if locale == LocaleZH {
			name = c.zh
		}
		out = append(out, Category{Slug: c.slug, Name: name, Count: count[c.slug]})
	}
	return out, nil
}

// InCategory lists the published articles of category in locale (falling back to the other
// language for an article without a translation), by title.
func (s *Service) InCategory(ctx context.Context, category, locale string) ([]Result, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	for slug, byLocale := range sn.articles {
		a, ok := byLocale[locale]
		if !ok {
			for _, l := range Locales {
				if a, ok = byLocale[l]; ok {
					break
				}
			}
		}
		if a.Category == category {
			out = append(out, Result{Slug: slug, Title: a.Title, Snippet: cut(a.plain, 0, 140), Category: a.Category, Locale: a.Locale})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Title < out[j].Title })
	return out, nil
}

// Suggest picks up to limit articles for a support conversation about topic (account_locked,
// payment_failed, …) whose first message is text: articles found by the message that are
// about the topic first, then the topic's own articles, then other articles the message
// finds.
func (s *Service) Suggest(ctx context.Context, topic, text, locale string, limit int) ([]Result, error) {
	sn, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	onTopic := func(slug string) bool {
		for _, a := range sn.articles[slug] {
			for _, t := range a.topics {
				if t == topic {
					return true
				}
			}
		}
		return false
	}
	found := sn.search(Query{Q: text, Locale: locale, Limit: 20})
	var first, rest []Result
	taken := map[string]bool{}
	for _, r := range found {
		if onTopic(r.Slug) {
			first = append(first, r)
		} else {
			rest = append(rest, r)
		}
		taken[r.Slug] = true
	}
	var topical []Result
	for slug, byLocale := range sn.articles {
		if taken[slug] || !onTopic(slug) {
			continue
		}
		a := byLocale[locale]
		if a == nil {
			for _, l := range Locales {
				if a = byLocale[l]; a != nil {
					break
				}
			}
		}
		topical = append(topical, Result{Slug: slug, Title: a.Title, Snippet: cut(a.plain, 0, 140), Category: a.Category, Locale: a.Locale})
	}
	sort.Slice(topical, func(i, j int) bool { return topical[i].Slug < topical[j].Slug })
	out := append(append(first, topical...), rest...)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Voter is who votes: a wallet user, or an anonymous visitor known by a key the caller derives
// (a hash of the client address): one vote each per article.
type Voter struct {
	UserID  string
	Visitor string
}

func (v Voter) key() (string, error) {
	switch {
	case v.UserID != "":
		return "user:" + v.UserID, nil
	case v.Visitor != "":
		return "visitor:" + v.Visitor, nil
	}
	return "", errors.New("help vote: no voter")
}

// Vote records whether the article slug helped voter. A second vote by the same voter
// replaces the first, so each voter counts once.
func (s *Service) Vote(ctx context.Context, slug string, voter Voter, helpful bool) error {
	key, err := voter.key()
	if err != nil {
		return err
	}
	sn, err := s.current(ctx)
	if err != nil {
		return err
	}
	if len(sn.articles[slug]) == 0 {
		return fmt.Errorf("help article %q: %w", slug, db.ErrNotFound)
	}
	if err := s.vote(ctx, slug, key, helpful); err != nil {
		return err
	}
	s.forgetPopular()
	return nil
}

// Votes are an article's "did this help?" counts.
type Votes struct {
	Helpful    int `json:"helpful"`
	NotHelpful int `json:"not_helpful"`
}

// normTags trims tags and drops empty ones.
func normTags(in []string) []string {
	out := []string{}
	for _, t := range in {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

package helpcenter

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Editing: every staff member reads the articles with their votes; supervisors and admins
// write drafts, publish and unpublish. A draft is kept beside the published text (readers
// keep seeing that) until it is published. Publishing a shipped article marks it edited, so
// the next start leaves it as staff made it. Every change is audited (target_type
// help_article, target_id "<slug>/<locale>") in the transaction that makes it.

// Statuses of an article.
const (
	StatusPublished   = "published"
	StatusUnpublished = "unpublished"
)

// Origins of an article.
const (
	originShipped = "shipped"
	originStaff   = "staff"
)

// Roles that may edit (package staff's names).
var editorRoles = []string{"supervisor", "admin"}

// Limits of an article's fields.
const (
	maxTitle   = 200
	maxBody    = 50_000
	maxTags    = 20
	maxTag     = 40
	maxReason  = 500
	maxSlugLen = 80
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,79}$`)

// Editor is the staff member acting.
type Editor struct {
	ID   string
	Role string
	IP   string
}

// CanEdit tells whether staff of role may write articles (pages hide their write buttons
// from the others; the methods below refuse them anyway).
func CanEdit(role string) bool { return slices.Contains(editorRoles, role) }

func (e Editor) canEdit() error {
	if CanEdit(e.Role) {
		return nil
	}
	return ErrForbidden.Explained(map[string]string{
		"en": "Only supervisors and admins edit help-center articles.", "zh-CN": "只有主管和管理员可以编辑帮助中心文章。"})
}

// Draft is an article's unpublished text.
type Draft struct {
	Category string   `json:"category"`
	Title    string   `json:"title"`
	Tags     []string `json:"tags"`
	Body     string   `json:"body" doc:"Markdown subset"`
}

// Admin is an article as staff see it.
type Admin struct {
	Slug      string    `json:"slug"`
	Locale    string    `json:"locale" enum:"en,zh-CN"`
	Category  string    `json:"category"`
	Title     string    `json:"title"`
	Tags      []string  `json:"tags"`
	Body      string    `json:"body" doc:"the published (or last published) text, Markdown subset"`
	Status    string    `json:"status" enum:"published,unpublished"`
	Origin    string    `json:"origin" enum:"shipped,staff" doc:"shipped with Dompet, or written by staff"`
	Edited    bool      `json:"edited" doc:"a shipped article staff have published their own text of: starts no longer update it"`
	Draft     *Draft    `json:"draft" doc:"the unpublished edit, null when none"`
	Votes     Votes     `json:"votes" doc:"did this help? counts of the slug (both languages)"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by" doc:"the staff id of the last change; empty for a shipped text"`
}

// AdminFilter narrows List.
type AdminFilter struct {
	Locale, Status, Category string
	// Title keeps the articles whose title, draft title or slug contains it (any case).
	Title string
}

// List gives every article (published or not, with drafts and votes) to any staff member.
func (s *Service) List(ctx context.Context, f AdminFilter) ([]Admin, error) {
	q := "SELECT " + adminCols + " FROM help_articles WHERE 1 = 1"
	var args []any
	if f.Locale != "" {
		q += " AND locale = ?"
		args = append(args, f.Locale)
	}
	if f.Category != "" {
		q += " AND category = ?"
		args = append(args, f.Category)
	}
	switch f.Status {
	case StatusPublished:
		q += " AND published = 1"
	case StatusUnpublished:
		q += " AND published = 0"
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY category, slug, locale", args...)
	if err != nil {
		return nil, fmt.Errorf("help articles: %w", err)
	}
	defer rows.Close()
	out := []Admin{}
	title := strings.ToLower(strings.TrimSpace(f.Title))
	for rows.Next() {
		a, err := scanAdmin(rows)
		if err != nil {
			return nil, fmt.Errorf("help articles: %w", err)
		}
		if title == "" || a.matches(title) {
			out = append(out, a)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	votes, err := s.votes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Votes = votes[out[i].Slug]
	}
	return out, nil
}

// matches tells whether a's title, draft title or slug contains the lower-case title. In Go
// rather than SQL: LIKE's case rules differ between SQLite and PostgreSQL, and the table is
// small (hundreds of rows).
func (a Admin) matches(title string) bool {
	in := a.Slug + "\n" + a.Title
	if a.Draft != nil {
		in += "\n" + a.Draft.Title
	}
	return strings.Contains(strings.ToLower(in), title)
}

// Get is one article as staff see it.
func (s *Service) Get(ctx context.Context, slug, locale string) (Admin, error) {
	a, err := scanAdmin(s.db.QueryRow(ctx, "SELECT "+adminCols+" FROM help_articles WHERE slug = ? AND locale = ?", slug, locale))
	if err != nil {
		return a, fmt.Errorf("help article %s/%s: %w", slug, locale, err)
	}
	votes, err := s.votes(ctx)
	if err != nil {
		return a, err
	}
	a.Votes = votes[slug]
	return a, nil
}

// NewArticle is a new article, created as an unpublished draft.
type NewArticle struct {
	Slug, Locale string
	Draft
	Reason string
}

func checkDraft(v *fault.Validation, d *Draft) {
	d.Tags = normTags(d.Tags)
	d.Title = strings.TrimSpace(d.Title)
	d.Body = strings.TrimSpace(d.Body)
	v.Check(slices.Contains(CategorySlugs(), d.Category), "category", fault.MsgOneOf, strings.Join(CategorySlugs(), ", "))
	v.Check(d.Title != "" && utf8.RuneCountInString(d.Title) <= maxTitle, "title", fault.MsgRequiredMax, maxTitle)
	v.Check(d.Body != "" && utf8.RuneCountInString(d.Body) <= maxBody, "body", fault.MsgRequiredMax, maxBody)
	ok := len(d.Tags) <= maxTags
	for _, t := range d.Tags {
		ok = ok && utf8.RuneCountInString(t) <= maxTag
	}
	v.Check(ok, "tags", fault.MsgArticleTags)
	v.Check(utf8.ValidString(d.Title+d.Body+strings.Join(d.Tags, "")), "body", fault.MsgValidUTF8)
}

func checkReason(v *fault.Validation, reason string) {
	v.Check(utf8.RuneCountInString(reason) <= maxReason, "reason", fault.MsgAtMostChars, maxReason)
}

// Create adds an article as an unpublished draft; a taken slug and locale → already_exists.
func (s *Service) Create(ctx context.Context, by Editor, in NewArticle) (Admin, error) {
	if err := by.canEdit(); err != nil {
		return Admin{}, err
	}
	var v fault.Validation
	v.Check(slugRE.MatchString(in.Slug), "slug", fault.MsgArticleSlug)
	v.Check(slices.Contains(Locales, in.Locale), "locale", fault.MsgOneOf, strings.Join(Locales, ", "))
	checkDraft(&v, &in.Draft)
	checkReason(&v, in.Reason)
	if err := v.Err(); err != nil {
		return Admin{}, err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		now := s.now()
		_, err := tx.Exec(ctx, `INSERT INTO help_articles (slug, locale, category, title, tags, topics, body, published,
			origin, edited, has_draft, draft_category, draft_title, draft_tags, draft_body, created_at, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, '[]', ?, 0, 'staff', 1, 1, ?, ?, ?, ?, ?, ?, ?)`,
			in.Slug, in.Locale, in.Category, in.Title, jsonList(in.Tags), in.Body,
			in.Category, in.Title, jsonList(in.Tags), in.Body, now.UnixMicro(), now.UnixMicro(), by.ID)
		if db.IsUniqueViolation(err) {
			return ErrExists
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "help.article_created", in.Slug, in.Locale, in.Reason, map[string]any{"title": in.Title})
	})
	if err != nil {
		return Admin{}, fmt.Errorf("create help article: %w", err)
	}
	return s.Get(ctx, in.Slug, in.Locale)
}

// SaveDraft replaces the draft of an article (readers keep seeing the published text).
func (s *Service) SaveDraft(ctx context.Context, by Editor, slug, locale string, d Draft, reason string) (Admin, error) {
	if err := by.canEdit(); err != nil {
		return Admin{}, err
	}
	var v fault.Validation
	checkDraft(&v, &d)
	checkReason(&v, reason)
	if err := v.Err(); err != nil {
		return Admin{}, err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE help_articles SET has_draft = 1, draft_category = ?, draft_title = ?, draft_tags = ?,
			draft_body = ?, updated_at = ?, updated_by = ? WHERE slug = ? AND locale = ?`,
			d.Category, d.Title, jsonList(d.Tags), d.Body, s.now().UnixMicro(), by.ID, slug, locale)
		if err := oneRow(res, err); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "help.draft_saved", slug, locale, reason, map[string]any{"title": d.Title})
	})
	if err != nil {
		return Admin{}, fmt.Errorf("save help draft %s/%s: %w", slug, locale, err)
	}
	return s.Get(ctx, slug, locale)
}

// DiscardDraft drops an article's draft; none → invalid_state.
func (s *Service) DiscardDraft(ctx context.Context, by Editor, slug, locale, reason string) (Admin, error) {
	return s.transition(ctx, by, slug, locale, reason, "help.draft_discarded", func(a Admin) (string, []any, error) {
		if a.Draft == nil {
			return "", nil, ErrInvalidState.Because("the article has no draft")
		}
		return "has_draft = 0, draft_category = '', draft_title = '', draft_tags = '[]', draft_body = ''", nil, nil
	})
}

// Publish makes the draft the published text (or publishes an unpublished article again
// as it was); nothing to publish → invalid_state.
func (s *Service) Publish(ctx context.Context, by Editor, slug, locale, reason string) (Admin, error) {
	return s.transition(ctx, by, slug, locale, reason, "help.article_published", func(a Admin) (string, []any, error) {
		if a.Draft == nil {
			if a.Status == StatusPublished {
				return "", nil, ErrInvalidState.Because("the article is published and has no draft")
			}
			return "published = 1", nil, nil
		}
		d := a.Draft
		return `published = 1, edited = 1, category = ?, title = ?, tags = ?, body = ?, has_draft = 0,
			draft_category = '', draft_title = '', draft_tags = '[]', draft_body = ''`,
			[]any{d.Category, d.Title, jsonList(d.Tags), d.Body}, nil
	})
}

// Unpublish hides a published article from readers (its text and draft are kept).
func (s *Service) Unpublish(ctx context.Context, by Editor, slug, locale, reason string) (Admin, error) {
	return s.transition(ctx, by, slug, locale, reason, "help.article_unpublished", func(a Admin) (string, []any, error) {
		if a.Status != StatusPublished {
			return "", nil, ErrInvalidState.Because("the article is not published")
		}
		return "published = 0", nil, nil
	})
}

// transition reads the article under lock, lets change decide the SET clause, writes it and
// the audit entry, and rebuilds the index.
func (s *Service) transition(ctx context.Context, by Editor, slug, locale, reason, action string,
	change func(Admin) (string, []any, error)) (Admin, error) {
	if err := by.canEdit(); err != nil {
		return Admin{}, err
	}
	var v fault.Validation
	checkReason(&v, reason)
	if err := v.Err(); err != nil {
		return Admin{}, err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, err := scanAdmin(tx.QueryRow(ctx, "SELECT "+adminCols+" FROM help_articles WHERE slug = ? AND locale = ?"+tx.ForUpdate(), slug, locale))
		if err != nil {
			return err
		}
		set, args, err := change(a)
		if err != nil {
			return err
		}
		args = append(args, s.now().UnixMicro(), by.ID, slug, locale)
		if _, err := tx.Exec(ctx, "UPDATE help_articles SET "+set+", updated_at = ?, updated_by = ? WHERE slug = ? AND locale = ?", args...); err != nil {
			return err
		}
		detail := map[string]any{"status_before": a.Status}
		if a.Draft != nil {
			detail["draft_title"] = a.Draft.Title
		}
		return s.audit(ctx, tx, by, action, slug, locale, reason, detail)
	})
	if err != nil {
		return Admin{}, fmt.Errorf("%s %s/%s: %w", action, slug, locale, err)
	}
	if err := s.rebuild(ctx); err != nil {
		return Admin{}, err
	}
	return s.Get(ctx, slug, locale)
}

func (s *Service) audit(ctx context.Context, tx *db.Tx, by Editor, action, slug, locale, reason string, detail map[string]any) error {
	return audit.Insert(ctx, tx, audit.Entry{At: s.now(), ActorType: audit.ActorStaff, ActorID: by.ID, IP: by.IP,
		Action: action, TargetType: "help_article", TargetID: slug + "/" + locale, Reason: reason, Detail: detail})
}

func oneRow(res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return db.ErrNotFound
	}
	return nil
}

package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/helpcenter"
)

// The help center (API.md "Help center and support"): anyone searches and reads the
// published articles and votes on them; staff read every article with its votes, and
// supervisors and admins edit (drafts, publish, unpublish), each change audited.

// helpLocale is the ?locale= of r, else the language of the answer.
func helpLocale(r *http.Request) (string, error) {
	l := r.URL.Query().Get("locale")
	if l == "" {
		return localeOf(r).String(), nil
	}
	if !slices.Contains(helpcenter.Locales, l) {
		return "", fault.Invalid("locale", fault.MsgOneOf, strings.Join(helpcenter.Locales, ", "))
	}
	return l, nil
}

type helpResults struct {
	Items []helpcenter.Result `json:"items"`
}

func (s *Server) helpSearch(w http.ResponseWriter, r *http.Request) error {
	loc, err := helpLocale(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	cat := q.Get("category")
	if cat != "" && !slices.Contains(helpcenter.CategorySlugs(), cat) {
		return fault.Invalid("category", fault.MsgOneOf, strings.Join(helpcenter.CategorySlugs(), ", "))
	}
	if len([]rune(q.Get("q"))) > 200 {
		return fault.Invalid("q", fault.MsgAtMostChars, 200)
	}
	var items []helpcenter.Result
	switch {
	case strings.TrimSpace(q.Get("q")) != "":
		items, err = s.help.Search(r.Context(), helpcenter.Query{Q: q.Get("q"), Locale: loc, Category: cat})
	default: // no query: the category's articles, or every article by category
		cats := []string{cat}
		if cat == "" {
			cats = helpcenter.CategorySlugs()
		}
		for _, c := range cats {
			in, err := s.help.InCategory(r.Context(), c, loc)
			if err != nil {
				return err
			}
			items = append(items, in...)
		}
	}
	if err != nil {
		return err
	}
	if items == nil {
		items = []helpcenter.Result{}
	}
	return writeJSON(w, http.StatusOK, helpResults{Items: items})
}

var helpLocaleParam = param{Name: "locale", Enum: helpcenter.Locales,
	Description: "the reader's language (default: the answer's language); articles in the other language still match, lower"}

var helpSearchDoc = operation{
	Summary: "Search the help center",
	Description: "Best first: words in the title count most, then tags, then the body. Chinese is matched by " +
		"characters and pairs of characters (锁定 finds 账户被锁定); English by word forms, partial words " +
		"(`withdr`) and one-letter typos (`pasword`). Each article appears once, in the reader's language when " +
		"it matches there. `snippet` is plain text around the first match. Without `q`: the articles of " +
		"`category` (or of every category), by category then title.",
	Tag: "help",
	Query: []param{{Name: "q", Description: "the search, up to 200 characters"}, helpLocaleParam,
		{Name: "category", Enum: helpcenter.CategorySlugs()}},
	Response: helpResults{},
}

type helpCategories struct {
	Items []helpcenter.Category `json:"items"`
}

func (s *Server) helpCategories(w http.ResponseWriter, r *http.Request) error {
	loc, err := helpLocale(r)
	if err != nil {
		return err
	}
	cats, err := s.help.Categories(r.Context(), loc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, helpCategories{Items: cats})
}

var helpCategoriesDoc = operation{Summary: "The help center's categories, named in the reader's language", Tag: "help",
	Query: []param{helpLocaleParam}, Response: helpCategories{}}

func (s *Server) helpArticle(w http.ResponseWriter, r *http.Request) error {
	loc, err := helpLocale(r)
	if err != nil {
		return err
	}
	a, err := s.help.Article(r.Context(), r.PathValue("slug"), loc)
	if err != nil {
		return err
	}
	s.help.Viewed(a.Slug, a.Locale) // for the pages' "Popular" list
	return writeJSON(w, http.StatusOK, a)
}

var helpArticleDoc = operation{
	Summary: "One published article",
	Description: "In the reader's language, or in the other one when it has no translation (`locale` says " +
		"which; `locales` lists both when both exist). The body comes as its Markdown source and as HTML in " +
		"which every character of the source is escaped: only headings, lists, bold, code and links to " +
		"https, mailto and Dompet's own pages become tags.",
	Tag: "help", Query: []param{helpLocaleParam}, Response: helpcenter.Article{}}

type helpVoteRequest struct {
	Helpful *bool `json:"helpful" doc:"did the article help?"`
}

func (s *Server) helpVote(w http.ResponseWriter, r *http.Request) error {
	var req helpVoteRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Helpful == nil {
		return fault.Invalid("helpful", fault.MsgRequired)
	}
	var voter helpcenter.Voter
	if tok, ok := bearer(r); ok && s.identity != nil {
		if p, err := s.identity.Authenticate(r.Context(), tok); err == nil {
			voter.UserID = p.User.ID
		}
	}
	if voter.UserID == "" {
		sum := sha256.Sum256([]byte("help-vote\x00" + clientIP(r)))
		voter.Visitor = hex.EncodeToString(sum[:12])
	}
	if err := s.help.Vote(r.Context(), r.PathValue("slug"), voter, *req.Helpful); err != nil {
		return err
	}
	return noContent(w)
}

var helpVoteDoc = operation{
	Summary: "Say whether an article helped",
	Description: "One vote per article (both languages together) and voter: a signed-in user (a valid " +
		"`Authorization: Bearer` user token), else the client's address. Voting again replaces the vote. " +
		"Counts are shown to staff only.",
	Tag: "help", Request: helpVoteRequest{}, Status: http.StatusNoContent}

// Staff side.

func helpEditor(r *http.Request) helpcenter.Editor {
	p, _ := staffOf(r)
	return helpcenter.Editor{ID: p.Staff.ID, Role: p.Staff.Role, IP: clientIP(r)}
}

const helpEditRules = "Supervisors and admins only (others get `403 forbidden`); audited (`help.*` actions, " +
	"target `help_article` `<slug>/<locale>`) with the optional `reason`."

func (s *Server) helpAdminList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v fault.Validation
	v.Check(q.Get("locale") == "" || slices.Contains(helpcenter.Locales, q.Get("locale")), "locale", fault.MsgOneOf, strings.Join(helpcenter.Locales, ", "))
	v.Check(q.Get("status") == "" || q.Get("status") == helpcenter.StatusPublished || q.Get("status") == helpcenter.StatusUnpublished,
		"status", fault.MsgOneOf, "published, unpublished")
	v.Check(q.Get("category") == "" || slices.Contains(helpcenter.CategorySlugs(), q.Get("category")), "category", fault.MsgOneOf, strings.Join(helpcenter.CategorySlugs(), ", "))
	if err := v.Err(); err != nil {
		return err
	}
	list, err := s.help.List(r.Context(), helpcenter.AdminFilter{Locale: q.Get("locale"), Status: q.Get("status"), Category: q.Get("category")})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(list, ""))
}

var helpAdminListDoc = operation{
	Summary: "Every help-center article, with drafts and votes (any staff member)",
	Description: "Published and unpublished, shipped and staff-written, by category, slug and locale, in one page " +
		"(`next_cursor` is null). `votes` are the did-this-help counts of the slug.",
	Tag: "agent",
	Query: []param{{Name: "locale", Enum: helpcenter.Locales}, {Name: "status", Enum: []string{"published", "unpublished"}},
		{Name: "category", Enum: helpcenter.CategorySlugs()}},
	Response: page[helpcenter.Admin]{}}

func (s *Server) helpAdminGet(w http.ResponseWriter, r *http.Request) error {
	a, err := s.help.Get(r.Context(), r.PathValue("slug"), r.PathValue("locale"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

var helpAdminGetDoc = operation{Summary: "One help-center article as staff see it (any staff member)", Tag: "agent",
	Response: helpcenter.Admin{}}

type helpDraftRequest struct {
	Category string   `json:"category"`
	Title    string   `json:"title" doc:"1 to 200 characters"`
	Tags     []string `json:"tags,omitempty" doc:"at most 20, each up to 40 characters"`
	Body     string   `json:"body" doc:"1 to 50,000 characters of the Markdown subset (see GET /api/v1/help/articles/{slug})"`
	Reason   string   `json:"reason,omitempty" doc:"why, up to 500 characters (audited)"`
}

func (d helpDraftRequest) draft() helpcenter.Draft {
	return helpcenter.Draft{Category: d.Category, Title: d.Title, Tags: d.Tags, Body: d.Body}
}

type helpCreateRequest struct {
	Slug   string `json:"slug" doc:"2 to 80 lower-case letters, digits and '-'; a translation uses the same slug"`
	Locale string `json:"locale"`
	helpDraftRequest
}

func (s *Server) helpAdminCreate(w http.ResponseWriter, r *http.Request) error {
	var req helpCreateRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a, err := s.help.Create(r.Context(), helpEditor(r), helpcenter.NewArticle{Slug: req.Slug, Locale: req.Locale,
		Draft: req.draft(), Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

var helpAdminCreateDoc = operation{
	Summary:     "Write a new article (or a translation) as a draft",
	Description: "The article starts unpublished with the text as its draft; publish it to show it. A taken slug and locale answer `409 already_exists`. " + helpEditRules,
	Tag:         "agent", Request: helpCreateRequest{}, Status: http.StatusCreated, Response: helpcenter.Admin{},
	Errors: []string{"forbidden", "already_exists"}}

func (s *Server) helpAdminDraft(w http.ResponseWriter, r *http.Request) error {
	var req helpDraftRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	a, err := s.help.SaveDraft(r.Context(), helpEditor(r), r.PathValue("slug"), r.PathValue("locale"), req.draft(), req.Reason)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

var helpAdminDraftDoc = operation{
	Summary:     "Save a draft of an article",
	Description: "Replaces the article's draft; readers keep seeing the published text until the draft is published. " + helpEditRules,
	Tag:         "agent", Request: helpDraftRequest{}, Response: helpcenter.Admin{}, Errors: []string{"forbidden"}}

type helpReasonRequest struct {
	Reason string `json:"reason,omitempty" doc:"why, up to 500 characters (audited)"`
}

// helpTransition serves publish and unpublish ({reason?} body) and discarding a draft (DELETE,
// no body).
func (s *Server) helpTransition(do func(h *helpcenter.Service, ctx context.Context, by helpcenter.Editor, slug, locale, reason string) (helpcenter.Admin, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req helpReasonRequest
		if r.Method != http.MethodDelete { // a DELETE has no body
			if err := decode(r, &req); err != nil {
				return err
			}
		}
		a, err := do(s.help, r.Context(), helpEditor(r), r.PathValue("slug"), r.PathValue("locale"), req.Reason)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, a)
	}
}

var helpAdminPublishDoc = operation{
	Summary: "Publish an article's draft (or an unpublished article as it was)",
	Description: "The draft becomes the published text at once, in every server process within seconds. Publishing " +
		"a shipped article marks it `edited`: later starts keep the staff's text instead of the shipped one. Nothing " +
		"to publish answers `409 invalid_state`. " + helpEditRules,
	Tag: "agent", Request: helpReasonRequest{}, Response: helpcenter.Admin{}, Errors: []string{"forbidden", "invalid_state"}}

var helpAdminUnpublishDoc = operation{
	Summary:     "Hide a published article from readers",
	Description: "Its text and draft are kept; publish brings it back. Not published answers `409 invalid_state`. " + helpEditRules,
	Tag:         "agent", Request: helpReasonRequest{}, Response: helpcenter.Admin{}, Errors: []string{"forbidden", "invalid_state"}}

var helpAdminDiscardDoc = operation{
	Summary:     "Discard an article's draft",
	Description: "No draft answers `409 invalid_state`. " + helpEditRules,
	Tag:         "agent", Response: helpcenter.Admin{}, Errors: []string{"forbidden", "invalid_state"}}

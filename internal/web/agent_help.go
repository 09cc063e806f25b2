package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/helpcenter"
)

// The help-article editor in the console (/agent/help…), through package helpcenter's
// editing methods (admin.go), which enforce who may write and audit every change. Every staff
// member reads the list and the editor; supervisors and admins write. A draft lives beside
// the published text, which readers keep seeing until the draft is published. The preview is
// the customer page's own rendering (helpcenter.RenderHTML and the "help_text" template).

func (s *Site) agentHelpRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /agent/help", Page: true, Handler: s.staffIn(s.agentHelpList)},
		{Pattern: "GET /agent/help/new", Page: true, Handler: s.staffIn(s.agentHelpNew)},
		{Pattern: "POST /agent/help/new", Page: true, Handler: s.staffIn(s.agentHelpCreate)},
		{Pattern: "POST /agent/help/new/preview", Page: true, Handler: s.staffIn(s.agentHelpNewPreview)},
		{Pattern: "GET /agent/help/{slug}/{locale}", Page: true, Handler: s.staffIn(s.agentHelpEdit)},
		{Pattern: "POST /agent/help/{slug}/{locale}/preview", Page: true, Handler: s.staffIn(s.agentHelpPreview)},
		{Pattern: "POST /agent/help/{slug}/{locale}/draft", Page: true, Handler: s.staffIn(s.agentHelpDraft)},
		{Pattern: "POST /agent/help/{slug}/{locale}/{action}", Page: true, Handler: s.staffIn(s.agentHelpTransition)},
	}
}

// helpListPage is /agent/help.
type helpListPage struct {
	*Desk
	Filter     helpcenter.AdminFilter
	Articles   []helpcenter.Admin
	Locales    []string
	Categories []helpcenter.Category
	CanWrite   bool
}

func (s *Site) agentHelpList(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	q := r.URL.Query()
	f := helpcenter.AdminFilter{Locale: q.Get("locale"), Category: q.Get("category"), Status: q.Get("status"), Title: strings.TrimSpace(q.Get("q"))}
	p := &helpListPage{Desk: d, Filter: f, Locales: helpcenter.Locales, CanWrite: helpcenter.CanEdit(d.Me.Role)}
	v.Data = p
	cats, err := s.o.Services.Help.Categories(r.Context(), v.Lang.String())
	if err != nil {
		s.fail(w, r, "agent_help", v, err)
		return
	}
	p.Categories = cats
	list, err := s.o.Services.Help.List(r.Context(), f)
	if err != nil {
		s.fail(w, r, "agent_help", v, err)
		return
	}
	p.Articles = list
	s.render(w, r, 0, "agent_help", v)
}

// helpForm is the editor's fields as typed (tags as one comma-separated line).
type helpForm struct {
	Slug, Locale, Category, Title, Tags, Body, Reason string
}

func (f helpForm) draft() helpcenter.Draft {
	return helpcenter.Draft{Category: f.Category, Title: f.Title, Tags: splitTags(f.Tags), Body: f.Body}
}

// splitTags reads the tags line: commas (ASCII or Chinese) separate tags; package helpcenter
// trims them and drops empty ones.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '\n' })
}

func helpFormOf(r *http.Request) helpForm {
	return helpForm{Slug: strings.TrimSpace(r.PostFormValue("slug")), Locale: r.PostFormValue("locale"),
		Category: r.PostFormValue("category"), Title: r.PostFormValue("title"), Tags: r.PostFormValue("tags"),
		Body: r.PostFormValue("body"), Reason: r.PostFormValue("reason")}
}

// helpEditPage is /agent/help/new and /agent/help/{slug}/{locale}.
type helpEditPage struct {
	*Desk
	New        bool
	Article    helpcenter.Admin // the stored article (zero for a new one)
	Form       helpForm
	Preview    *helpArticleData // the form's text as /help/{slug} shows it
	Published  *helpArticleData // the text readers see while a draft is pending
	ChangedBy  string           // the name of the staff member of the last change ("" for a shipped text)
	Locales    []string
	Categories []helpcenter.Category
	CanWrite   bool
}

func (s *Site) helpEditData(r *http.Request, v *View, d *Desk, a helpcenter.Admin, f helpForm) *helpEditPage {
	p := &helpEditPage{Desk: d, Article: a, Form: f, Locales: helpcenter.Locales,
		CanWrite: helpcenter.CanEdit(d.Me.Role), New: a.Slug == ""}
	// The names of the categories in the page's language (the in-memory snapshot: no failure
	// worth a page of its own; the select then shows the slugs).
	if cats, err := s.o.Services.Help.Categories(r.Context(), v.Lang.String()); err == nil {
		p.Categories = cats
	} else {
		for _, c := range helpcenter.CategorySlugs() {
			p.Categories = append(p.Categories, helpcenter.Category{Slug: c, Name: c})
		}
	}
	if f.Body != "" || f.Title != "" {
		locale := f.Locale
		if !slices.Contains(helpcenter.Locales, locale) {
			locale = helpcenter.LocaleEN
		}
		p.Preview = &helpArticleData{Article: helpcenter.Article{Slug: f.Slug, Locale: locale, Category: f.Category,
			Title: strings.TrimSpace(f.Title), Tags: splitTags(f.Tags)}, Body: template.HTML(helpcenter.RenderHTML(f.Body))}
	}
	if a.UpdatedBy != "" {
		p.ChangedBy = a.UpdatedBy // a member since removed keeps their id
		if m, err := s.o.Services.Staff.Member(r.Context(), a.UpdatedBy); err == nil {
			p.ChangedBy = m.Name
		}
	}
	if a.Draft != nil && a.Status == helpcenter.StatusPublished {
		p.Published = &helpArticleData{Article: helpcenter.Article{Slug: a.Slug, Locale: a.Locale, Title: a.Title},
			Body: template.HTML(helpcenter.RenderHTML(a.Body))}
	}
	return p
}

// formOf is the stored article as the editor starts: its draft, else its published text.
func formOf(a helpcenter.Admin) helpForm {
	f := helpForm{Slug: a.Slug, Locale: a.Locale, Category: a.Category, Title: a.Title, Tags: strings.Join(a.Tags, ", "), Body: a.Body}
	if dr := a.Draft; dr != nil {
		f.Category, f.Title, f.Tags, f.Body = dr.Category, dr.Title, strings.Join(dr.Tags, ", "), dr.Body
	}
	return f
}

// editorWith renders the editor with form f and err (nil: none) explained above it.
func (s *Site) editorWith(w http.ResponseWriter, r *http.Request, v *View, p *helpEditPage, err error) {
	v.Data = p
	if err != nil {
		s.fail(w, r, "agent_help_edit", v, err)
		return
	}
	helpNotice(v)
	s.render(w, r, 0, "agent_help_edit", v)
}

func (s *Site) agentHelpNew(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	s.editorWith(w, r, v, s.helpEditData(r, v, d, helpcenter.Admin{}, helpForm{Locale: v.Lang.String()}), nil)
}

// agentHelpNewPreview shows a new article's typed text as readers would see it.
func (s *Site) agentHelpNewPreview(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	s.editorWith(w, r, v, s.helpEditData(r, v, d, helpcenter.Admin{}, helpFormOf(r)), nil)
}

func (s *Site) agentHelpCreate(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	f := helpFormOf(r)
	a, err := s.o.Services.Help.Create(r.Context(), s.helpEditor(r, d), helpcenter.NewArticle{Slug: f.Slug, Locale: f.Locale,
		Draft: f.draft(), Reason: f.Reason})
	if err != nil {
		s.editorWith(w, r, v, s.helpEditData(r, v, d, helpcenter.Admin{}, f), err)
		return
	}
	http.Redirect(w, r, editorPath(a.Slug, a.Locale)+"?done=help_created", http.StatusSeeOther)
}

// article is the stored article the path names, or false after rendering why not.
func (s *Site) article(w http.ResponseWriter, r *http.Request, v *View, d *Desk) (helpcenter.Admin, bool) {
	a, err := s.o.Services.Help.Get(r.Context(), r.PathValue("slug"), r.PathValue("locale"))
	if err != nil {
		v.Data = &helpListPage{Desk: d}
		s.fail(w, r, "agent_help", v, err)
		return a, false
	}
	return a, true
}

func (s *Site) agentHelpEdit(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	a, ok := s.article(w, r, v, d)
	if !ok {
		return
	}
	s.editorWith(w, r, v, s.helpEditData(r, v, d, a, formOf(a)), nil)
}

// agentHelpPreview shows the typed text as readers would see it, saving nothing (any staff
// member may look).
func (s *Site) agentHelpPreview(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	a, ok := s.article(w, r, v, d)
	if !ok {
		return
	}
	f := helpFormOf(r)
	f.Slug, f.Locale = a.Slug, a.Locale
	s.editorWith(w, r, v, s.helpEditData(r, v, d, a, f), nil)
}

func (s *Site) agentHelpDraft(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	a, ok := s.article(w, r, v, d)
	if !ok {
		return
	}
	f := helpFormOf(r)
	f.Slug, f.Locale = a.Slug, a.Locale
	if _, err := s.o.Services.Help.SaveDraft(r.Context(), s.helpEditor(r, d), a.Slug, a.Locale, f.draft(), f.Reason); err != nil {
		s.editorWith(w, r, v, s.helpEditData(r, v, d, a, f), err) // the typed text stays in the form
		return
	}
	http.Redirect(w, r, editorPath(a.Slug, a.Locale)+"?done=help_draft", http.StatusSeeOther)
}

// agentHelpTransition discards the draft, publishes or unpublishes (the last path segment).
func (s *Site) agentHelpTransition(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	h := s.o.Services.Help
	do := map[string]func(context.Context, helpcenter.Editor, string, string, string) (helpcenter.Admin, error){
		"discard": h.DiscardDraft, "publish": h.Publish, "unpublish": h.Unpublish}[r.PathValue("action")]
	if do == nil {
		s.notFound(w, r, v, nil)
		return
	}
	a, ok := s.article(w, r, v, d)
	if !ok {
		return
	}
	if _, err := do(r.Context(), s.helpEditor(r, d), a.Slug, a.Locale, r.PostFormValue("reason")); err != nil {
		s.editorWith(w, r, v, s.helpEditData(r, v, d, a, formOf(a)), err)
		return
	}
	http.Redirect(w, r, editorPath(a.Slug, a.Locale)+"?done=help_"+r.PathValue("action"), http.StatusSeeOther)
}

func (s *Site) helpEditor(r *http.Request, d *Desk) helpcenter.Editor {
	return helpcenter.Editor{ID: d.Me.ID, Role: d.Me.Role, IP: front.ClientIP(r)}
}

func editorPath(slug, locale string) string {
	return "/agent/help/" + url.PathEscape(slug) + "/" + url.PathEscape(locale)
}

// helpNotices are the ?done= values the editor confirms.
var helpNotices = []string{"help_created", "help_draft", "help_discard", "help_publish", "help_unpublish"}

func helpNotice(v *View) {
	if d := v.Query.Get("done"); slices.Contains(helpNotices, d) {
		v.Notice = v.T("agent.done." + d)
	}
}

// CategoryName is category slug c in the page's language.
func (p *helpListPage) CategoryName(c string) string {
	for _, cat := range p.Categories {
		if cat.Slug == c {
			return cat.Name
		}
	}
	return c
}

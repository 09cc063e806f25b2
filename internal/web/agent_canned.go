package web

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// Canned replies in the console (/agent/canned): everyone on the desk reads the replies they
// may use; supervisors and admins add, change and delete them. Package support decides who
// may do what and what a reply must be, and audits every change (canned_reply.*): the page
// only turns its forms into support.CannedInput and shows the answer. A deletion takes two
// posts, without JS: the first (no confirm=yes) asks "delete this reply?", the second deletes.

func (s *Site) agentCannedRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /agent/canned", Page: true, Handler: s.staffIn(s.agentCanned)},
		{Pattern: "POST /agent/canned", Page: true, Handler: s.staffIn(s.agentCreateCanned)},
		{Pattern: "POST /agent/canned/{id}", Page: true, Handler: s.staffIn(s.agentUpdateCanned)},
		{Pattern: "POST /agent/canned/{id}/delete", Page: true, Handler: s.staffIn(s.agentDeleteCanned)},
	}
}

// cannedPage is /agent/canned.
type cannedPage struct {
	*Desk
	Filter  support.CannedFilter
	Replies []support.CannedReply
	// Draft is a refused form's values, shown again: ID "" the new reply's, else that reply's.
	Draft *cannedDraft
	// Confirm is the reply whose deletion the page asks to confirm (nil: none).
	Confirm *support.CannedReply
	Teams   []staff.Team
	Topics  []string
	Locales []string
}

// cannedDraft is what a canned-reply form posts.
type cannedDraft struct {
	ID, Team, Locale, Topic, Title, Body string
}

// cannedNotices are the ?done= values the page confirms.
var cannedNotices = []string{"created", "updated", "deleted"}

// TeamName is the name of the team slug, for the list ("" is every team, said by the page).
func (p *cannedPage) TeamName(slug string) string {
	for _, t := range p.Teams {
		if t.Slug == slug {
			return t.Name
		}
	}
	return slug
}

// cannedFormView is one form of the page: its values, the choices, and whether it was the
// refused one (its field errors are shown, an edit form starts open).
type cannedFormView struct {
	cannedDraft
	V       *View
	Page    *cannedPage
	Refused bool
}

// Form is reply id's form ("" the new reply's): the refused draft, else the reply as
// stored, else a blank reply in the filter's locale, team and topic.
func (p *cannedPage) Form(v *View, id string) cannedFormView {
	fv := cannedFormView{V: v, Page: p, Refused: p.Draft != nil && p.Draft.ID == id}
	switch {
	case fv.Refused:
		fv.cannedDraft = *p.Draft
	case id != "":
		for _, c := range p.Replies {
			if c.ID == id {
				fv.cannedDraft = cannedDraft{ID: c.ID, Team: c.Team, Locale: c.Locale, Topic: c.Topic, Title: c.Title, Body: c.Body}
			}
		}
	default:
		fv.cannedDraft = cannedDraft{Locale: p.Filter.Locale, Team: p.Filter.Team, Topic: p.Filter.Topic}
	}
	return fv
}

// Open tells whether reply id's edit form starts open (its change was refused).
func (p *cannedPage) Open(id string) bool { return p.Draft != nil && p.Draft.ID == id }

// Prefix makes the form's field ids unique on the page.
func (f cannedFormView) Prefix() string {
	if f.ID == "" {
		return "new"
	}
	return f.ID
}

func (s *Site) agentCanned(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	q := r.URL.Query()
	f := support.CannedFilter{Locale: q.Get("locale"), Team: q.Get("team"), Topic: q.Get("topic")}
	s.cannedPageWith(w, r, v, d, f, nil, nil, nil)
}

// cannedPageWith renders the page for filter f, with err (nil: none) explained above it and
// the refused form's draft shown again, and the reply whose deletion is to be confirmed (nil: none).
func (s *Site) cannedPageWith(w http.ResponseWriter, r *http.Request, v *View, d *Desk, f support.CannedFilter, draft *cannedDraft,
	confirm *support.CannedReply, err error) {
	p := &cannedPage{Desk: d, Filter: f, Draft: draft, Confirm: confirm, Topics: support.Topics, Locales: []string{"en", "zh-CN"}}
	v.Data = p
	teams, terr := s.o.Services.Staff.Teams(r.Context())
	if terr != nil {
		s.fail(w, r, "agent_canned", v, terr)
		return
	}
	p.Teams = teams
	list, lerr := s.o.Services.Support.CannedReplies(r.Context(), d.viewer, f)
	if lerr != nil {
		s.fail(w, r, "agent_canned", v, lerr)
		return
	}
	p.Replies = list
	if err != nil {
		s.fail(w, r, "agent_canned", v, err)
		return
	}
	if done := v.Query.Get("done"); slices.Contains(cannedNotices, done) {
		v.Notice = v.T("agent.canned.done." + done)
	}
	s.render(w, r, 0, "agent_canned", v)
}

// cannedForm reads a create or edit form; every field is sent, so an update writes them all
// (an empty team is every team, an empty topic any).
func cannedForm(r *http.Request, id string) (cannedDraft, support.CannedInput) {
	dr := cannedDraft{ID: id, Team: r.PostFormValue("team"), Locale: r.PostFormValue("locale"),
		Topic: r.PostFormValue("topic"), Title: r.PostFormValue("title"), Body: r.PostFormValue("body")}
	return dr, support.CannedInput{Team: &dr.Team, Locale: &dr.Locale, Topic: &dr.Topic, Title: &dr.Title, Body: &dr.Body}
}

func (s *Site) agentCreateCanned(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	dr, in := cannedForm(r, "")
	c, err := s.o.Services.Support.CreateCanned(r.Context(), d.viewer, in)
	if err != nil {
		s.cannedPageWith(w, r, v, d, support.CannedFilter{}, &dr, nil, err)
		return
	}
	http.Redirect(w, r, "/agent/canned?done=created#canned-"+url.PathEscape(c.ID), http.StatusSeeOther)
}

func (s *Site) agentUpdateCanned(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	dr, in := cannedForm(r, r.PathValue("id"))
	c, err := s.o.Services.Support.UpdateCanned(r.Context(), d.viewer, dr.ID, in)
	if err != nil {
		s.cannedPageWith(w, r, v, d, support.CannedFilter{}, &dr, nil, err)
		return
	}
	http.Redirect(w, r, "/agent/canned?done=updated#canned-"+url.PathEscape(c.ID), http.StatusSeeOther)
}

// agentDeleteCanned deletes a reply when the post confirms it (confirm=yes); else it shows the
// page with the question and the confirming form, and nothing is deleted.
func (s *Site) agentDeleteCanned(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	id := r.PathValue("id")
	if r.PostFormValue("confirm") != "yes" {
		c, err := s.o.Services.Support.DeletableCanned(r.Context(), d.viewer, id)
		if err != nil {
			s.cannedPageWith(w, r, v, d, support.CannedFilter{}, nil, nil, err)
			return
		}
		s.cannedPageWith(w, r, v, d, support.CannedFilter{}, nil, &c, nil)
		return
	}
	if err := s.o.Services.Support.DeleteCanned(r.Context(), d.viewer, id); err != nil {
		s.cannedPageWith(w, r, v, d, support.CannedFilter{}, nil, nil, err)
		return
	}
	http.Redirect(w, r, "/agent/canned?done=deleted", http.StatusSeeOther)
}

package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/front"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/support"
)

// Staff administration in the console, through package staff's own rules (which it also
// enforces): supervisors change teams (name, topics, business hours) and agents' team and
// capacity; admins every member's role, team, capacity and whether they are disabled. Every
// change names why, and package staff audits it with the before and after.

func (s *Site) agentAdminRoutes() []front.Route {
	return []front.Route{
		{Pattern: "GET /agent/admin", Page: true, Handler: s.staffIn(s.agentAdmin)},
		{Pattern: "POST /agent/admin/staff/{id}", Page: true, Handler: s.staffIn(s.agentUpdateStaff)},
		{Pattern: "POST /agent/admin/teams/{slug}", Page: true, Handler: s.staffIn(s.agentUpdateTeam)},
	}
}

// adminPage is /agent/admin.
type adminPage struct {
	*Desk
	Teams  []teamView
	Staff  []staff.Staff
	Roles  []string
	Topics []string
	Slugs  []string
}

// teamView is a team with its members and its hours as the form writes them.
type teamView struct {
	staff.Team
	Members []staff.Staff
	Hours   string
}

// Has tells whether the team takes topic.
func (t teamView) Has(topic string) bool { return slices.Contains(t.Topics, topic) }

// CanEdit tells whether the signed-in member may change m (admins anyone; supervisors agents).
func (p adminPage) CanEdit(m staff.Staff) bool {
	return p.Admin || (p.Lead && m.Role == staff.RoleAgent)
}

func (s *Site) adminData(r *http.Request, d *Desk) (*adminPage, error) {
	if err := d.principal.ActorOf(front.ClientIP(r)).CanListStaff(); err != nil {
		return nil, err
	}
	teams, err := s.o.Services.Staff.Teams(r.Context())
	if err != nil {
		return nil, err
	}
	members, err := s.o.Services.Staff.List(r.Context())
	if err != nil {
		return nil, err
	}
	p := &adminPage{Desk: d, Staff: members, Roles: staff.Roles, Topics: support.Topics}
	for _, t := range teams {
		tv := teamView{Team: t, Hours: hoursText(t.BusinessHours)}
		for _, m := range members {
			if m.Team == t.Slug {
				tv.Members = append(tv.Members, m)
			}
		}
		p.Teams = append(p.Teams, tv)
		p.Slugs = append(p.Slugs, t.Slug)
	}
	return p, nil
}

func (s *Site) agentAdmin(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	s.adminPageWith(w, r, v, d, nil)
}

// adminPageWith renders the page, with err (nil: none) explained above it.
func (s *Site) adminPageWith(w http.ResponseWriter, r *http.Request, v *View, d *Desk, err error) {
	p, derr := s.adminData(r, d)
	if derr != nil {
		v.Data = &adminPage{Desk: d}
		s.fail(w, r, "agent_admin", v, derr)
		return
	}
	v.Data = p
	if err != nil {
		s.fail(w, r, "agent_admin", v, err)
		return
	}
	agentNotice(v)
	s.render(w, r, 0, "agent_admin", v)
}

// agentUpdateStaff sends package staff only what the form changed.
func (s *Site) agentUpdateStaff(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	id := r.PathValue("id")
	cur, err := s.o.Services.Staff.Member(r.Context(), id)
	if err != nil {
		s.adminPageWith(w, r, v, d, err)
		return
	}
	c := staff.Change{Reason: r.PostFormValue("reason")}
	if role := r.PostFormValue("role"); role != "" && role != cur.Role {
		c.Role = &role
	}
	if team := r.PostFormValue("team"); team != "" && team != cur.Team {
		c.Team = &team
	}
	if capText := strings.TrimSpace(r.PostFormValue("capacity")); capText != "" {
		n, err := strconv.Atoi(capText)
		if err != nil {
			s.adminPageWith(w, r, v, d, fault.Invalid("capacity", fault.MsgCapacity, staff.MaxCapacity))
			return
		}
		if n != cur.Capacity {
			c.Capacity = &n
		}
	}
	if d.Admin {
		if dis := r.PostFormValue("disabled") == "on"; dis != cur.Disabled {
			c.Disabled = &dis
		}
	}
	if _, err := s.o.Services.Staff.Update(r.Context(), d.principal.ActorOf(front.ClientIP(r)), id, c); err != nil {
		s.adminPageWith(w, r, v, d, err)
		return
	}
	http.Redirect(w, r, "/agent/admin?done=staff#staff-"+url.PathEscape(id), http.StatusSeeOther)
}

func (s *Site) agentUpdateTeam(w http.ResponseWriter, r *http.Request, v *View, d *Desk) {
	slug := r.PathValue("slug")
	if err := r.ParseForm(); err != nil {
		s.adminPageWith(w, r, v, d, fault.Invalid("topics", fault.MsgOneOf, strings.Join(support.Topics, ", ")))
		return
	}
	name := r.PostFormValue("name")
	topics := r.PostForm["topics"]
	if topics == nil {
		topics = []string{}
	}
	hours := parseHours(r.PostFormValue("time_zone"), r.PostFormValue("hours"))
	c := staff.TeamChange{Name: &name, Topics: &topics, BusinessHours: &hours, Reason: r.PostFormValue("reason")}
	if _, err := s.o.Services.Staff.UpdateTeam(r.Context(), d.principal.ActorOf(front.ClientIP(r)), slug, c); err != nil {
		s.adminPageWith(w, r, v, d, err)
		return
	}
	http.Redirect(w, r, "/agent/admin?done=team#team-"+url.PathEscape(slug), http.StatusSeeOther)
}

// hoursText writes business hours as the form edits them: one line a day with its periods
// ("mon 08:00-12:00 13:00-17:00"), then one line per holiday ("holiday 2026-12-25").
func hoursText(h staff.BusinessHours) string {
	var b strings.Builder
	order := []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
	for _, day := range order {
		var ps []string
		for _, p := range h.Weekly {
			if p.Day == day {
				ps = append(ps, p.Start+"-"+p.End)
			}
		}
		if len(ps) > 0 {
			fmt.Fprintf(&b, "%s %s\n", day, strings.Join(ps, " "))
		}
	}
	for _, d := range h.Holidays {
		fmt.Fprintf(&b, "holiday %s\n", d)
	}
	return b.String()
}

// parseHours reads hoursText's format back. It is lenient on purpose: a line it cannot place
// becomes a period that package staff refuses with its own words (an unknown day, a time that
// is not HH:MM), so the form and the API explain one mistake alike.
func parseHours(tz, text string) staff.BusinessHours {
	h := staff.BusinessHours{TimeZone: strings.TrimSpace(tz), Weekly: []staff.Period{}, Holidays: []string{}}
	for line := range strings.SplitSeq(text, "\n") {
		f := strings.Fields(strings.ToLower(line))
		switch {
		case len(f) == 0:
		case f[0] == "holiday":
			h.Holidays = append(h.Holidays, f[1:]...)
		case len(f) == 1:
			h.Weekly = append(h.Weekly, staff.Period{Day: f[0]})
		default:
			for _, p := range f[1:] {
				start, end, _ := strings.Cut(p, "-")
				h.Weekly = append(h.Weekly, staff.Period{Day: f[0], Start: start, End: end})
			}
		}
	}
	return h
}

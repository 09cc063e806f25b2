package httpapi

import (
	"net/http"
	"time"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/staff"
)

// Staff administration (API.md): staff, teams and the audit log. Who may do what is decided
// by package staff (admin.go), the same rules for the API and `dompet agent update`.

// adminRules is the part of every description that says who may call.
const adminRules = "Admins change any member's role, team, capacity and `disabled` (never their own role or " +
	"flag); supervisors change only the team and capacity of agents; others get `403 forbidden`. " +
	"Every change needs a `reason` and is written to the audit log with who, what (before and after) and why."

func staffActor(r *http.Request) staff.Actor {
	p, _ := staffOf(r)
	return p.ActorOf(clientIP(r))
}

func (s *Server) listStaff(w http.ResponseWriter, r *http.Request) error {
	if err := staffActor(r).CanListStaff(); err != nil {
		return err
	}
	list, err := s.staff.List(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(list, ""))
}

var listStaffDoc = operation{
	Summary:     "Every staff member (supervisors and admins)",
	Description: "All members in one page, by team then name (`next_cursor` is null).",
	Tag:         "agent",
	Response:    page[staff.Staff]{},
	Errors:      []string{"forbidden"},
}

type updateStaffRequest struct {
	Role     *string `json:"role,omitempty"`
	Team     *string `json:"team,omitempty" doc:"a team's slug"`
	Capacity *int    `json:"capacity,omitempty" doc:"chats at once, 0 to 50"`
	Disabled *bool   `json:"disabled,omitempty" doc:"true ends every session of the member at once; their login then answers like an unknown email"`
	Reason   string  `json:"reason" doc:"why, 1 to 500 characters (audited)"`
}

func (s *Server) updateStaff(w http.ResponseWriter, r *http.Request) error {
	var req updateStaffRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	st, err := s.staff.Update(r.Context(), staffActor(r), r.PathValue("id"), staff.Change{
		Role: req.Role, Team: req.Team, Capacity: req.Capacity, Disabled: req.Disabled, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, st)
}

var updateStaffDoc = operation{
	Summary: "Change a staff member's role, team, capacity or disabled flag",
	Description: adminRules + " Disabling revokes the member's sessions in the same transaction, and " +
		"staff tokens are checked against the store on every call, so their next request answers " +
		"`401 unauthenticated`, in every server process.",
	Tag:      "agent",
	Request:  updateStaffRequest{},
	Response: staff.Staff{},
	Errors:   []string{"forbidden"},
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request) error {
	teams, err := s.staff.Teams(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(teams, ""))
}

// businessHoursDoc describes the shape of business_hours for the team routes.
const businessHoursDoc = "`business_hours` is `{time_zone, weekly, holidays}`: an IANA `time_zone` " +
	"(e.g. `Asia/Jakarta`); `weekly`, the open periods `{day: mon…sun, start: \"HH:MM\", end: \"HH:MM\"}` " +
	"in that zone (several a day allowed, not overlapping; `end` after `start`, up to `24:00`; a day " +
	"without periods is closed); `holidays`, dates `YYYY-MM-DD` closed all day. Periods come back in " +
	"week and time order, holidays sorted. Example: `{\"time_zone\":\"Asia/Jakarta\",\"weekly\":" +
	"[{\"day\":\"mon\",\"start\":\"08:00\",\"end\":\"12:00\"},{\"day\":\"mon\",\"start\":\"13:00\"," +
	"\"end\":\"17:00\"}],\"holidays\":[\"2027-01-01\"]}`."

var listTeamsDoc = operation{
	Summary:     "The teams, their topics and business hours (any staff member)",
	Description: "All teams in one page, by slug. " + businessHoursDoc,
	Tag:         "agent",
	Response:    page[staff.Team]{},
}

type createTeamRequest struct {
	Slug          string               `json:"slug" doc:"2 to 32 lower-case letters, digits and '-', starting with a letter"`
	Name          string               `json:"name"`
	Topics        []string             `json:"topics,omitempty" doc:"topics routed to the team; a topic belongs to one team at most"`
	BusinessHours *staff.BusinessHours `json:"business_hours,omitempty" doc:"default: Monday to Friday 08:00-20:00, Saturday 09:00-17:00, Asia/Jakarta"`
	Reason        string               `json:"reason" doc:"why, 1 to 500 characters (audited)"`
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request) error {
	var req createTeamRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	t, err := s.staff.CreateTeam(r.Context(), staffActor(r), staff.NewTeam{
		Slug: req.Slug, Name: req.Name, Topics: req.Topics, BusinessHours: req.BusinessHours, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

var createTeamDoc = operation{
	Summary: "Add a team (supervisors and admins)",
	Description: "A taken slug, or a topic another team has, answers `409 already_exists`. " +
		"Audited with the `reason`. " + businessHoursDoc,
	Tag:      "agent",
	Request:  createTeamRequest{},
	Status:   http.StatusCreated,
	Response: staff.Team{},
	Errors:   []string{"forbidden", "already_exists"},
}

type updateTeamRequest struct {
	Name          *string              `json:"name,omitempty"`
	Topics        *[]string            `json:"topics,omitempty" doc:"replaces the team's topics"`
	BusinessHours *staff.BusinessHours `json:"business_hours,omitempty" doc:"replaces the team's hours"`
	Reason        string               `json:"reason" doc:"why, 1 to 500 characters (audited)"`
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request) error {
	var req updateTeamRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	t, err := s.staff.UpdateTeam(r.Context(), staffActor(r), r.PathValue("slug"), staff.TeamChange{
		Name: req.Name, Topics: req.Topics, BusinessHours: req.BusinessHours, Reason: req.Reason})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

var updateTeamDoc = operation{
	Summary:     "Change a team's name, topics or business hours (supervisors and admins)",
	Description: "A topic another team has answers `409 already_exists`. Audited with the `reason`. " + businessHoursDoc,
	Tag:         "agent",
	Request:     updateTeamRequest{},
	Response:    staff.Team{},
	Errors:      []string{"forbidden", "already_exists"},
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	if err := staffActor(r).CanReadAudit(); err != nil {
		return err
	}
	limit, cursor, err := pageParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq := audit.Query{Actor: q.Get("actor"), Subject: q.Get("subject"), Cursor: cursor, Limit: limit}
	for _, t := range []struct {
		name string
		to   *time.Time
	}{{"from", &aq.From}, {"to", &aq.To}} {
		if v := q.Get(t.name); v != "" {
			if *t.to, err = time.Parse(time.RFC3339, v); err != nil {
				return fault.Invalid(t.name, fault.MsgRFC3339)
			}
		}
	}
	items, next, err := s.audit.List(r.Context(), aq)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, newPage(items, next))
}

var auditLogDoc = operation{
	Summary: "The audit log, newest first (admins)",
	Description: "Who did what to whom, when, from where and why: security events of users, staff " +
		"logins and every administrative change. The log is append-only; the database refuses to " +
		"change or delete its rows.",
	Tag: "agent",
	Query: append([]param{
		{Name: "actor", Description: "the id of who acted (a user or staff id)"},
		{Name: "subject", Description: "the id of what was acted on (a user id, staff id or team slug)"},
		{Name: "from", Description: "entries at this time (RFC 3339) or later"},
		{Name: "to", Description: "entries before this time (RFC 3339)"}}, listQuery...),
	Response: page[audit.Entry]{},
	Errors:   []string{"forbidden"},
}

package staff

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // business hours name IANA zones; the binary must not depend on the host's

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Team is a group of staff and the topics of conversations routed to it, with the hours it
// answers (the support desk computes SLAs from them). Every Dompet starts with the three
// teams of API.md (migration 00010); supervisors and admins add and change teams.
type Team struct {
	Slug          string        `json:"slug" doc:"stable name: lower-case letters, digits and '-', 2 to 32 characters"`
	Name          string        `json:"name"`
	Topics        []string      `json:"topics" doc:"conversation topics routed to this team; a topic belongs to one team at most"`
	BusinessHours BusinessHours `json:"business_hours"`
}

// BusinessHours are when a team answers: weekly periods in a time zone (several a day
// allowed, e.g. a lunch break), and whole-day holidays.
type BusinessHours struct {
	TimeZone string   `json:"time_zone" doc:"IANA time zone, e.g. Asia/Jakarta"`
	Weekly   []Period `json:"weekly" doc:"open periods; none on a day means closed that day"`
	Holidays []string `json:"holidays" doc:"dates (YYYY-MM-DD, in time_zone) closed all day"`
}

// Period is one open period of a weekday, local time of the team.
type Period struct {
	Day   string `json:"day" enum:"mon,tue,wed,thu,fri,sat,sun"`
	Start string `json:"start" doc:"HH:MM, from 00:00"`
	End   string `json:"end" doc:"HH:MM, after start, up to 24:00; periods of a day do not overlap"`
}

// days in week order.
var days = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// DefaultBusinessHours are the hours of the seeded teams and of a team created without any:
// Monday to Friday 08:00 to 20:00, Saturday 09:00 to 17:00, Jakarta time.
func DefaultBusinessHours() BusinessHours {
	h := BusinessHours{TimeZone: "Asia/Jakarta", Holidays: []string{}}
	for _, d := range days[:5] {
		h.Weekly = append(h.Weekly, Period{Day: d, Start: "08:00", End: "20:00"})
	}
	h.Weekly = append(h.Weekly, Period{Day: "sat", Start: "09:00", End: "17:00"})
	return h
}

// Bounds of team data.
const (
	maxTopics   = 50
	maxPeriods  = 7 * 8
	maxHolidays = 400
)

var (
	slugRe  = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)
	topicRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
)

// minuteOf parses "HH:MM" (00:00 to 24:00) into minutes of the day.
func minuteOf(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	var h, m int
	for i, c := range []byte(s) {
		if i == 2 {
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h = int(s[0]-'0')*10 + int(s[1]-'0')
	m = int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// check validates h into v (fields under prefix) and returns it normalized: periods in week
// and time order, holidays sorted.
func (h BusinessHours) check(v *fault.Validation, prefix string) BusinessHours {
	if _, err := time.LoadLocation(h.TimeZone); err != nil || h.TimeZone == "" || h.TimeZone == "Local" {
		v.Add(prefix+".time_zone", fault.MsgTimeZone)
	}
	if len(h.Weekly) > maxPeriods {
		v.Add(prefix+".weekly", fault.MsgMaxPeriods, maxPeriods)
		return h
	}
	type span struct{ day, start, end int }
	spans := make([]span, 0, len(h.Weekly))
	for i, p := range h.Weekly {
		f := fmt.Sprintf("%s.weekly[%d]", prefix, i)
		d := slices.Index(days, p.Day)
		start, okS := minuteOf(p.Start)
		end, okE := minuteOf(p.End)
		switch {
		case d < 0:
			v.Add(f+".day", fault.MsgDay)
		case !okS || start >= 24*60:
			v.Add(f+".start", fault.MsgStart)
		case !okE:
			v.Add(f+".end", fault.MsgEnd)
		case end <= start:
			v.Add(f+".end", fault.MsgEndAfterStart)
		default:
			spans = append(spans, span{d, start, end})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return (a.day*1440 + a.start) - (b.day*1440 + b.start) })
	out := BusinessHours{TimeZone: h.TimeZone, Weekly: make([]Period, 0, len(spans)), Holidays: []string{}}
	for i, s := range spans {
		if i > 0 && spans[i-1].day == s.day && spans[i-1].end > s.start {
			v.Add(prefix+".weekly", fault.MsgPeriodsOverlap, days[s.day])
		}
		out.Weekly = append(out.Weekly, Period{Day: days[s.day], Start: hhmm(s.start), End: hhmm(s.end)})
	}
	if len(h.Holidays) > maxHolidays {
		v.Add(prefix+".holidays", fault.MsgMaxHolidays, maxHolidays)
		return out
	}
	for i, d := range h.Holidays {
		if t, err := time.Parse(time.DateOnly, d); err != nil || t.Format(time.DateOnly) != d {
			v.Add(fmt.Sprintf("%s.holidays[%d]", prefix, i), fault.MsgDate)
			continue
		}
		if !slices.Contains(out.Holidays, d) {
			out.Holidays = append(out.Holidays, d)
		}
	}
	slices.Sort(out.Holidays)
	return out
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// checkTopics validates topics into v and returns them without repeats.
func checkTopics(v *fault.Validation, topics []string) []string {
	if len(topics) > maxTopics {
		v.Add("topics", fault.MsgMaxTopics, maxTopics)
		return nil
	}
	out := []string{}
	for i, t := range topics {
		if !topicRe.MatchString(t) {
			v.Add(fmt.Sprintf("topics[%d]", i), fault.MsgTopic)
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// Teams returns every team, by slug.
func (s *Service) Teams(ctx context.Context) ([]Team, error) {
	rows, err := s.db.Query(ctx, "SELECT slug, name, topics, business_hours FROM teams ORDER BY slug")
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	defer rows.Close()
	out := []Team{}
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	return out, nil
}

func scanTeam(sc interface{ Scan(...any) error }) (Team, error) {
	var t Team
	var topics, hours string
	if err := sc.Scan(&t.Slug, &t.Name, &topics, &hours); err != nil {
		return Team{}, err
	}
	if err := json.Unmarshal([]byte(topics), &t.Topics); err != nil {
		return Team{}, fmt.Errorf("team %s topics: %w", t.Slug, err)
	}
	if err := json.Unmarshal([]byte(hours), &t.BusinessHours); err != nil {
		return Team{}, fmt.Errorf("team %s business hours: %w", t.Slug, err)
	}
	if t.Topics == nil {
		t.Topics = []string{}
	}
	if t.BusinessHours.Weekly == nil {
		t.BusinessHours.Weekly = []Period{}
	}
	if t.BusinessHours.Holidays == nil {
		t.BusinessHours.Holidays = []string{}
	}
	return t, nil
}

// NewTeam is what creating a team takes; nil BusinessHours are DefaultBusinessHours.
type NewTeam struct {
	Slug          string
	Name          string
	Topics        []string
	BusinessHours *BusinessHours
	Reason        string
}

// CreateTeam adds a team (supervisors and admins). A taken slug, or a topic another team has,
// gives already_exists.
func (s *Service) CreateTeam(ctx context.Context, by Actor, in NewTeam) (Team, error) {
	if r := by.role(); r != RoleAdmin && r != RoleSupervisor {
		return Team{}, errNotLead
	}
	var v fault.Validation
	t := Team{Slug: strings.TrimSpace(in.Slug), Name: strings.TrimSpace(in.Name)}
	v.Check(slugRe.MatchString(t.Slug), "slug", fault.MsgSlug)
	v.Check(validName(t.Name), "name", fault.MsgTextLength, 1, 80)
	t.Topics = checkTopics(&v, in.Topics)
	hours := DefaultBusinessHours()
	if in.BusinessHours != nil {
		hours = *in.BusinessHours
	}
	t.BusinessHours = hours.check(&v, "business_hours")
	checkReason(&v, in.Reason)
	if err := v.Err(); err != nil {
		return Team{}, err
	}
	now := s.now().UTC()
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := topicsFree(ctx, tx, t.Slug, t.Topics); err != nil {
			return err
		}
		topics, hours, err := teamJSON(t)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO teams (slug, name, topics, business_hours, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, t.Slug, t.Name, topics, hours, now.UnixMicro(), now.UnixMicro()); err != nil {
			return err
		}
		actx := audit.WithActor(ctx, by.audit(strings.TrimSpace(in.Reason)))
		return audit.Insert(ctx, tx, s.entry(actx, now, "team.created", "team", t.Slug,
			map[string]any{"name": t.Name, "topics": t.Topics, "business_hours": t.BusinessHours}))
	})
	if db.IsUniqueViolation(err) {
		return Team{}, explained(ErrAlreadyExists, "A team with this slug already exists.", "该团队标识已被使用。").With("field", "slug")
	}
	if err != nil {
		if _, ok := fault.As(err); ok {
			return Team{}, err
		}
		return Team{}, fmt.Errorf("create team %s: %w", t.Slug, err)
	}
	return t, nil
}

// TeamChange is a PATCH of a team: nil fields stay as they are.
type TeamChange struct {
	Name          *string
	Topics        *[]string
	BusinessHours *BusinessHours
	Reason        string
}

// UpdateTeam changes a team (supervisors and admins) and returns it.
func (s *Service) UpdateTeam(ctx context.Context, by Actor, slug string, c TeamChange) (Team, error) {
	if r := by.role(); r != RoleAdmin && r != RoleSupervisor {
		return Team{}, errNotLead
	}
	var v fault.Validation
	v.Check(c.Name != nil || c.Topics != nil || c.BusinessHours != nil, "name", fault.MsgNothingToChangeTeam)
	var name string
	var topics []string
	var hours BusinessHours
	if c.Name != nil {
		name = strings.TrimSpace(*c.Name)
		v.Check(validName(name), "name", fault.MsgTextLength, 1, 80)
	}
	if c.Topics != nil {
		topics = checkTopics(&v, *c.Topics)
	}
	if c.BusinessHours != nil {
		hours = c.BusinessHours.check(&v, "business_hours")
	}
	checkReason(&v, c.Reason)
	if err := v.Err(); err != nil {
		return Team{}, err
	}
	now := s.now().UTC()
	var out Team
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		cur, err := scanTeam(tx.QueryRow(ctx, "SELECT slug, name, topics, business_hours FROM teams WHERE slug = ?"+tx.ForUpdate(), slug))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		next := cur
		changes := map[string]any{}
		if c.Name != nil && name != cur.Name {
			next.Name, changes["name"] = name, fromTo(cur.Name, name)
		}
		if c.Topics != nil && !slices.Equal(topics, cur.Topics) {
			if err := topicsFree(ctx, tx, slug, topics); err != nil {
				return err
			}
			next.Topics, changes["topics"] = topics, fromTo(cur.Topics, topics)
		}
		if c.BusinessHours != nil {
			a, _ := json.Marshal(cur.BusinessHours)
			b, _ := json.Marshal(hours)
			if string(a) != string(b) {
				next.BusinessHours, changes["business_hours"] = hours, fromTo(cur.BusinessHours, hours)
			}
		}
		out = next
		if len(changes) == 0 {
			return nil
		}
		tj, hj, err := teamJSON(next)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE teams SET name = ?, topics = ?, business_hours = ?, updated_at = ? WHERE slug = ?",
			next.Name, tj, hj, now.UnixMicro(), slug); err != nil {
			return err
		}
		actx := audit.WithActor(ctx, by.audit(strings.TrimSpace(c.Reason)))
		return audit.Insert(ctx, tx, s.entry(actx, now, "team.updated", "team", slug, changes))
	})
	if err != nil {
		if _, ok := fault.As(err); ok {
			return Team{}, err
		}
		return Team{}, fmt.Errorf("update team %s: %w", slug, err)
	}
	return out, nil
}

// topicsFree is nil when no team but slug has any of topics.
func topicsFree(ctx context.Context, tx *db.Tx, slug string, topics []string) error {
	rows, err := tx.Query(ctx, "SELECT slug, name, topics, business_hours FROM teams WHERE slug <> ?", slug)
	if err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTeam(rows)
		if err != nil {
			return err
		}
		for _, topic := range topics {
			if slices.Contains(t.Topics, topic) {
				return explained(ErrAlreadyExists, fmt.Sprintf("Topic %q belongs to team %q.", topic, t.Slug),
					fmt.Sprintf("话题 %q 已属于团队 %q。", topic, t.Slug)).With("field", "topics")
			}
		}
	}
	return rows.Err()
}

func teamJSON(t Team) (topics, hours string, err error) {
	tj, err := json.Marshal(t.Topics)
	if err != nil {
		return "", "", err
	}
	hj, err := json.Marshal(t.BusinessHours)
	if err != nil {
		return "", "", err
	}
	return string(tj), string(hj), nil
}

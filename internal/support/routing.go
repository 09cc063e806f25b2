package support

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/staff"
)

// Routing. Each agent has a row in support_agents with their presence, capacity and load
// (active: open and pending conversations assigned to them). Assigning is one transaction of
// two conditional updates, the agent's load below capacity and the conversation still queued;
// if either changes no row the transaction rolls back and the router tries the next. So two
// processes routing at once never assign a conversation twice nor exceed a capacity, with no
// lock held between statements and no in-memory state that could disagree.
//
// route runs when something may let a waiting conversation through: a conversation opened or
// returning, an agent coming online, capacity freed by a resolve, a close or a reassignment.

var (
	errAgentFull = errors.New("agent has no free capacity")
	errTaken     = errors.New("conversation no longer waits")
)

// defaultHandling is the handling time assumed before a team has resolved anything.
const defaultHandling = 5 * time.Minute

// handlingSample is how many recent resolutions the estimate averages.
const handlingSample = 20

// Presence sets an agent's presence. The agent's name, role, team and capacity are read from
// package staff at each change, so an administrator's change applies at the next one. Coming
// online routes the agent's team's queue at once.
func (s *Service) Presence(ctx context.Context, staffID, presence string) error {
	if !slices.Contains([]string{Online, Away, Offline}, presence) {
		return fault.Invalid("status", fault.MsgOneOf, "online, away, offline")
	}
	m, err := s.staff.Member(ctx, staffID)
	if err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	now := micros(s.now())
	if _, err := s.db.Exec(ctx, `INSERT INTO support_agents (staff_id, name, role, team, presence, capacity, active, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?)
		ON CONFLICT (staff_id) DO UPDATE SET name = excluded.name, role = excluded.role, team = excluded.team,
			presence = excluded.presence, capacity = excluded.capacity, updated_at = excluded.updated_at`,
		m.ID, m.Name, m.Role, m.Team, presence, m.Capacity, now); err != nil {
		return fmt.Errorf("presence: %w", err)
	}
	if presence == Online {
		s.route(ctx, m.Team)
	}
	return nil
}

// AgentState is an agent's presence and load as routing sees them.
type AgentState struct {
	StaffID  string `json:"staff_id"`
	Name     string `json:"name"`
	Team     string `json:"team"`
	Presence string `json:"status" enum:"online,away,offline"`
	Capacity int    `json:"capacity"`
	Active   int    `json:"active" doc:"open and pending conversations assigned"`
}

// Agent returns an agent's routing state (offline with no load when never set).
func (s *Service) Agent(ctx context.Context, staffID string) (AgentState, error) {
	a := AgentState{StaffID: staffID, Presence: Offline}
	err := s.db.QueryRow(ctx, `SELECT name, team, presence, capacity, active FROM support_agents WHERE staff_id = ?`,
		staffID).Scan(&a.Name, &a.Team, &a.Presence, &a.Capacity, &a.Active)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("agent %s: %w", staffID, err)
	}
	if errors.Is(err, sql.ErrNoRows) {
		m, err := s.staff.Member(ctx, staffID)
		if err != nil {
			return a, fmt.Errorf("agent %s: %w", staffID, err)
		}
		a.Name, a.Team, a.Capacity = m.Name, m.Team, m.Capacity
	}
	return a, nil
}

// teamFor is the team a topic is routed to: the team that has the topic, or general when no
// team has it or that team has no agents at all.
func (s *Service) teamFor(ctx context.Context, topic string) (string, error) {
	teams, err := s.staff.Teams(ctx)
	if err != nil {
		return "", fmt.Errorf("teams: %w", err)
	}
	team := staff.DefaultTeam
	for _, t := range teams {
		if slices.Contains(t.Topics, topic) {
			team = t.Slug
			break
		}
	}
	if team == staff.DefaultTeam {
		return team, nil
	}
	members, err := s.staff.List(ctx)
	if err != nil {
		return "", fmt.Errorf("staff: %w", err)
	}
	for _, m := range members {
		if m.Team == team && m.Role == staff.RoleAgent && !m.Disabled {
			return team, nil
		}
	}
	return staff.DefaultTeam, nil
}

// route assigns the team's waiting conversations, oldest first, to its least-loaded online
// agents with free capacity, until either runs out; then tells the ones still waiting where
// they stand.
func (s *Service) route(ctx context.Context, team string) {
	for range 10000 { // bounded: each pass assigns one conversation or stops
		convID, ok, err := s.firstQueued(ctx, team)
		if err != nil || !ok {
			if err != nil {
				s.log.ErrorContext(ctx, "support: route", "team", team, "err", err)
			}
			break
		}
		agents, err := s.candidates(ctx, team)
		if err != nil {
			s.log.ErrorContext(ctx, "support: route", "team", team, "err", err)
			break
		}
		assigned, raced := false, false
		for _, a := range agents {
			if s.beforeAssign != nil {
				s.beforeAssign(convID, a.StaffID)
			}
			err := s.tryAssign(ctx, convID, a)
			if err == nil {
				assigned = true
				break
			}
			if errors.Is(err, errTaken) {
				raced = true // another router took it: look at the queue again
				break
			}
			if !errors.Is(err, errAgentFull) {
				s.log.ErrorContext(ctx, "support: assign", "conversation", convID, "agent", a.StaffID, "err", err)
			}
		}
		if !assigned && !raced {
			break // nobody free
		}
	}
	s.publishQueue(ctx, team)
}

func (s *Service) firstQueued(ctx context.Context, team string) (string, bool, error) {
	var convID string
	err := s.db.QueryRow(ctx, `SELECT id FROM support_conversations WHERE team = ? AND queued_at IS NOT NULL
		ORDER BY queued_at, id LIMIT 1`, team).Scan(&convID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("first queued: %w", err)
	}
	return convID, true, nil
}

// candidates are the team's online agents with free capacity, least loaded first.
func (s *Service) candidates(ctx context.Context, team string) ([]AgentState, error) {
	rows, err := s.db.Query(ctx, `SELECT staff_id, name, team, presence, capacity, active FROM support_agents
		WHERE team = ? AND role = ? AND presence = 'online' AND active < capacity
		ORDER BY active, capacity DESC, updated_at, staff_id`, team, staff.RoleAgent)
	if err != nil {
		return nil, fmt.Errorf("candidates: %w", err)
	}
	defer rows.Close()
	var out []AgentState
	for rows.Next() {
		var a AgentState
		if err := rows.Scan(&a.StaffID, &a.Name, &a.Team, &a.Presence, &a.Capacity, &a.Active); err != nil {
			return nil, fmt.Errorf("candidates: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// tryAssign gives a queued conversation to an agent if both still allow it.
func (s *Service) tryAssign(ctx context.Context, convID string, a AgentState) error {
	now := micros(s.now())
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE support_agents SET active = active + 1 WHERE staff_id = ?
			AND presence = 'online' AND active < capacity`, a.StaffID)
		if err != nil {
			return fmt.Errorf("take capacity: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errAgentFull
		}
		res, err = tx.Exec(ctx, `UPDATE support_conversations SET assignee = ?, assigned_at = ?, queued_at = NULL,
			updated_at = ? WHERE id = ? AND queued_at IS NOT NULL AND assignee IS NULL`, a.StaffID, now, now, convID)
		if err != nil {
			return fmt.Errorf("assign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errTaken
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.publishAssigned(ctx, convID, a.Team, AgentRef{ID: a.StaffID, Name: a.Name})
	return nil
}

func (s *Service) publishAssigned(ctx context.Context, convID, team string, a AgentRef) {
	e := Event{Type: "assigned", ConversationID: convID, Agent: &a}
	s.publish(ctx, SubjectConversation(convID), e)
	s.publish(ctx, SubjectAgent(a.ID), e)
	s.publish(ctx, SubjectTeam(team), e)
}

// release gives back the capacity a conversation held, within tx.
func release(ctx context.Context, tx *db.Tx, staffID string) error {
	if _, err := tx.Exec(ctx, `UPDATE support_agents SET active = active - 1 WHERE staff_id = ? AND active > 0`, staffID); err != nil {
		return fmt.Errorf("release capacity: %w", err)
	}
	return nil
}

// publishQueue tells every conversation still waiting in team its place and wait.
func (s *Service) publishQueue(ctx context.Context, team string) {
	rows, err := s.db.Query(ctx, `SELECT id FROM support_conversations WHERE team = ? AND queued_at IS NOT NULL
		ORDER BY queued_at, id LIMIT 1000`, team)
	if err != nil {
		s.log.ErrorContext(ctx, "support: queue", "team", team, "err", err)
		return
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if len(ids) == 0 {
		return
	}
	est, err := s.estimator(ctx, team)
	if err != nil {
		s.log.ErrorContext(ctx, "support: queue", "team", team, "err", err)
		return
	}
	for i, convID := range ids {
		pos, wait := i+1, est(i+1)
		s.publish(ctx, SubjectConversation(convID), Event{Type: "queue", ConversationID: convID, Position: &pos, EstimatedWaitSeconds: &wait})
	}
	n := len(ids)
	s.publish(ctx, SubjectTeam(team), Event{Type: "queue", Position: &n})
}

// fillQueue sets c.Queue when c waits for an agent.
func (s *Service) fillQueue(ctx context.Context, c *Conversation) error {
	if c.queuedAt == nil {
		return nil
	}
	var ahead int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM support_conversations WHERE team = ? AND queued_at IS NOT NULL
		AND (queued_at < ? OR (queued_at = ? AND id < ?))`, c.Team, *c.queuedAt, *c.queuedAt, c.ID).Scan(&ahead); err != nil {
		return fmt.Errorf("queue position: %w", err)
	}
	est, err := s.estimator(ctx, c.Team)
	if err != nil {
		return err
	}
	c.Queue = &Queue{Position: ahead + 1, EstimatedWaitSeconds: est(ahead + 1)}
	return nil
}

// estimator returns the wait estimate of the team's queue positions. Outside business hours
// it is the time until the next opening. Otherwise a place frees about every H/C, where H is
// the mean handling time of the team's recent resolutions (assignment to resolution) and C
// the capacity of its online agents (1 when none is on), so position p waits about p·H/C.
func (s *Service) estimator(ctx context.Context, team string) (func(position int) int64, error) {
	now := s.now()
	teams, err := s.staff.Teams(ctx)
	if err != nil {
		return nil, fmt.Errorf("teams: %w", err)
	}
	for _, t := range teams {
		if t.Slug != team {
			continue
		}
		if open, next := s.opening(t.BusinessHours, now); !open && !next.IsZero() {
			wait := int64(math.Ceil(next.Sub(now).Seconds()))
			return func(int) int64 { return wait }, nil
		}
	}
	var capacity sql.NullInt64
	if err := s.db.QueryRow(ctx, `SELECT SUM(capacity) FROM support_agents WHERE team = ? AND role = ? AND presence = 'online'`,
		team, staff.RoleAgent).Scan(&capacity); err != nil {
		return nil, fmt.Errorf("team capacity: %w", err)
	}
	c := max(capacity.Int64, 1)
	h, err := s.handling(ctx, team)
	if err != nil {
		return nil, err
	}
	return func(p int) int64 { return int64(math.Ceil(float64(p) * h.Seconds() / float64(c))) }, nil
}

// handling is the mean handling time of the team's latest resolutions.
func (s *Service) handling(ctx context.Context, team string) (time.Duration, error) {
	rows, err := s.db.Query(ctx, `SELECT resolved_at - assigned_at FROM support_conversations WHERE team = ?
		AND resolved_at IS NOT NULL AND assigned_at IS NOT NULL ORDER BY resolved_at DESC LIMIT ?`, team, handlingSample)
	if err != nil {
		return 0, fmt.Errorf("handling times: %w", err)
	}
	defer rows.Close()
	var sum, n int64
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return 0, fmt.Errorf("handling times: %w", err)
		}
		sum += max(d, 0)
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if n == 0 {
		return defaultHandling, nil
	}
	return time.Duration(sum/n) * time.Microsecond, nil
}

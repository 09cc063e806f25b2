package support

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/staff"
)

// Canned replies: texts agents insert in a reply, in zh-CN and en, for every team or one.
// Supervisors and admins write them; every change is in the audit log. A body may hold
// placeholders ({{customer_name}}, …) which FillCanned fills for one conversation; those it
// cannot fill are left for the agent to write.

// Locales of canned replies.
var cannedLocales = []string{"en", "zh-CN"}

// Limits of a canned reply.
const (
	maxCannedTitle = 120
	maxCannedBody  = 4000
)

// CannedReply is a reply text ready to use.
type CannedReply struct {
	ID        string    `json:"id"`
	Team      string    `json:"team" doc:"the team it is for; empty for every team"`
	Locale    string    `json:"locale" enum:"en,zh-CN"`
	Topic     string    `json:"topic" doc:"the topic it answers; empty for any"`
	Title     string    `json:"title"`
	Body      string    `json:"body" doc:"may hold placeholders such as {{customer_name}}"`
	Filled    string    `json:"filled,omitempty" doc:"the body with the conversation's placeholders filled, when listed for a conversation"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CannedFilter narrows the list.
type CannedFilter struct {
	Locale         string // en or zh-CN; "" both
	Team           string // "" the caller's (agents) or all (leads)
	Topic          string // "" any
	ConversationID string // fill the placeholders for this conversation
}

// CannedInput creates or changes a canned reply; nil fields are left alone by an update.
type CannedInput struct {
	Team   *string
	Locale *string
	Topic  *string
	Title  *string
	Body   *string
}

var errNotLead = explained(ErrForbidden, "Only supervisors and admins manage canned replies.", "只有主管和管理员可以管理快捷回复。")

const cannedCols = `id, team, locale, topic, title, body, created_at, updated_at`

func scanCanned(sc interface{ Scan(...any) error }) (CannedReply, error) {
	var c CannedReply
	var created, updated int64
	if err := sc.Scan(&c.ID, &c.Team, &c.Locale, &c.Topic, &c.Title, &c.Body, &created, &updated); err != nil {
		return CannedReply{}, db.NotFound(err)
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return c, nil
}

// CannedReplies lists the canned replies v may use: an agent those of every team and of
// their own, a lead any; by title.
func (s *Service) CannedReplies(ctx context.Context, v Viewer, f CannedFilter) ([]CannedReply, error) {
	if err := v.desk(); err != nil {
		return nil, err
	}
	var val fault.Validation
	val.Check(f.Locale == "" || slices.Contains(cannedLocales, f.Locale), "locale", fault.MsgLocale)
	val.Check(f.Topic == "" || slices.Contains(Topics, f.Topic), "topic", fault.MsgOneOf, strings.Join(Topics, ", "))
	if err := val.Err(); err != nil {
		return nil, err
	}
	var conv *Conversation
	if f.ConversationID != "" {
		c, err := s.AgentConversation(ctx, v, f.ConversationID)
		if err != nil {
			return nil, err
		}
		conv = &c
	}
	where, args := []string{"1 = 1"}, []any{}
	team := f.Team
	if !v.Lead() && (team == "" || team != v.Team) {
		team = v.Team // an agent sees the shared replies and their team's
	}
	if team != "" {
		where, args = append(where, "(team = '' OR team = ?)"), append(args, team)
	}
	if f.Locale != "" {
		where, args = append(where, "locale = ?"), append(args, f.Locale)
	}
	if f.Topic != "" {
		where, args = append(where, "(topic = '' OR topic = ?)"), append(args, f.Topic)
	}
	rows, err := s.db.Query(ctx, `SELECT `+cannedCols+` FROM support_canned_replies WHERE `+strings.Join(where, " AND ")+
		` ORDER BY locale, title, id LIMIT 500`, args...)
	if err != nil {
		return nil, fmt.Errorf("canned replies: %w", err)
	}
	defer rows.Close()
	out := []CannedReply{}
	for rows.Next() {
		c, err := scanCanned(rows)
		if err != nil {
			return nil, fmt.Errorf("canned replies: %w", err)
		}
		if conv != nil {
			c.Filled = FillCanned(c.Body, *conv, v)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// FillCanned replaces the placeholders it knows of body for conversation c answered by v:
// {{customer_name}}, {{agent_name}}, {{ref}} and {{topic}}. Others stay for the agent.
func FillCanned(body string, c Conversation, v Viewer) string {
	name := c.Customer.Name
	if name == "" {
		name = "-"
	}
	return strings.NewReplacer("{{customer_name}}", name, "{{agent_name}}", v.Name, "{{ref}}", c.Ref,
		"{{topic}}", c.Topic).Replace(body)
}

// CannedReply returns one canned reply (any desk member may read it).
func (s *Service) CannedReply(ctx context.Context, replyID string) (CannedReply, error) {
	c, err := scanCanned(s.db.QueryRow(ctx, `SELECT `+cannedCols+` FROM support_canned_replies WHERE id = ?`, replyID))
	if errors.Is(err, db.ErrNotFound) {
		return CannedReply{}, ErrNotFound
	}
	return c, err
}

func (s *Service) checkCanned(ctx context.Context, c CannedReply) error {
	var v fault.Validation
	title, body := strings.TrimSpace(c.Title), strings.TrimSpace(c.Body)
	v.Check(title != "" && utf8.ValidString(title) && utf8.RuneCountInString(title) <= maxCannedTitle, "title", fault.MsgRequiredMax, maxCannedTitle)
	v.Check(body != "" && utf8.ValidString(body) && utf8.RuneCountInString(body) <= maxCannedBody, "body", fault.MsgRequiredMax, maxCannedBody)
	v.Check(slices.Contains(cannedLocales, c.Locale), "locale", fault.MsgLocale)
	v.Check(c.Topic == "" || slices.Contains(Topics, c.Topic), "topic", fault.MsgOneOf, strings.Join(Topics, ", "))
	if c.Team != "" {
		teams, err := s.staff.Teams(ctx)
		if err != nil {
			return fmt.Errorf("teams: %w", err)
		}
		v.Check(slices.ContainsFunc(teams, func(t staff.Team) bool { return t.Slug == c.Team }), "team", fault.MsgNotATeam)
	}
	return v.Err()
}

// CreateCanned adds a canned reply (leads only), audited as canned_reply.created.
func (s *Service) CreateCanned(ctx context.Context, v Viewer, in CannedInput) (CannedReply, error) {
	if !v.Lead() {
		return CannedReply{}, errNotLead
	}
	now := fromMicros(micros(s.now()))
	c := CannedReply{ID: id.New("cnr"), Locale: deref(in.Locale), Team: deref(in.Team), Topic: deref(in.Topic),
		Title: strings.TrimSpace(deref(in.Title)), Body: strings.TrimSpace(deref(in.Body)), CreatedAt: now, UpdatedAt: now}
	if err := s.checkCanned(ctx, c); err != nil {
		return CannedReply{}, err
	}
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO support_canned_replies (id, team, locale, topic, title, body, created_by,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Team, c.Locale, c.Topic, c.Title, c.Body,
			v.StaffID, micros(now), micros(now)); err != nil {
			return fmt.Errorf("create canned reply: %w", err)
		}
		return s.auditTx(ctx, v, "canned_reply.created", "canned_reply", c.ID, "", map[string]any{"title": c.Title, "locale": c.Locale, "team": c.Team})
	})
	if err != nil {
		return CannedReply{}, err
	}
	return c, nil
}

// UpdateCanned changes the fields in of a canned reply (leads only), audited.
func (s *Service) UpdateCanned(ctx context.Context, v Viewer, replyID string, in CannedInput) (CannedReply, error) {
	if !v.Lead() {
		return CannedReply{}, errNotLead
	}
	if in.Team == nil && in.Locale == nil && in.Topic == nil && in.Title == nil && in.Body == nil {
		return CannedReply{}, fault.Invalid("", fault.MsgNothingToChangeReply)
	}
	c, err := s.CannedReply(ctx, replyID)
	if err != nil {
		return CannedReply{}, err
	}
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&c.Team, in.Team)
	set(&c.Locale, in.Locale)
	set(&c.Topic, in.Topic)
	set(&c.Title, in.Title)
	set(&c.Body, in.Body)
	if err := s.checkCanned(ctx, c); err != nil {
		return CannedReply{}, err
	}
	c.UpdatedAt = fromMicros(micros(s.now()))
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE support_canned_replies SET team = ?, locale = ?, topic = ?, title = ?, body = ?,
			updated_at = ? WHERE id = ?`, c.Team, c.Locale, c.Topic, c.Title, c.Body, micros(c.UpdatedAt), c.ID)
		if err != nil {
			return fmt.Errorf("update canned reply: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.auditTx(ctx, v, "canned_reply.updated", "canned_reply", c.ID, "", map[string]any{"title": c.Title, "locale": c.Locale, "team": c.Team})
	})
	if err != nil {
		return CannedReply{}, err
	}
	return c, nil
}

// DeletableCanned returns canned reply replyID if v may delete it (leads only), refused as
// DeleteCanned would refuse it: the console asks for a confirmation before it deletes.
func (s *Service) DeletableCanned(ctx context.Context, v Viewer, replyID string) (CannedReply, error) {
	if !v.Lead() {
		return CannedReply{}, errNotLead
	}
	return s.CannedReply(ctx, replyID)
}

// DeleteCanned removes a canned reply (leads only), audited.
func (s *Service) DeleteCanned(ctx context.Context, v Viewer, replyID string) error {
	c, err := s.DeletableCanned(ctx, v, replyID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `DELETE FROM support_canned_replies WHERE id = ?`, replyID)
		if err != nil {
			return fmt.Errorf("delete canned reply: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.auditTx(ctx, v, "canned_reply.deleted", "canned_reply", c.ID, "", map[string]any{"title": c.Title, "locale": c.Locale})
	})
}

// auditTx writes an entry for v's action in the transaction of ctx (audit.Log.Write joins
// it), so the action and its record commit together. No log (tests): nothing.
func (s *Service) auditTx(ctx context.Context, v Viewer, action, targetType, targetID, reason string, detail map[string]any) error {
	if s.audit == nil {
		return nil
	}
	if err := s.audit.Write(ctx, audit.Entry{ActorType: audit.ActorStaff, ActorID: v.StaffID, Action: action,
		TargetType: targetType, TargetID: targetID, IP: v.IP, Reason: reason, Detail: detail}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

package support

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/staff"
	"github.com/dompet/dompet/internal/wallet"
)

// Viewer is the staff member a desk call acts for. Agents see and act on their team's
// conversations; supervisors and admins on all; reviewers on none.
type Viewer struct {
	StaffID string
	Name    string
	Role    string
	Team    string
	IP      string
}

// ViewerOf is the viewer of a staff member calling from ip.
func ViewerOf(m staff.Staff, ip string) Viewer {
	return Viewer{StaffID: m.ID, Name: m.Name, Role: m.Role, Team: m.Team, IP: ip}
}

// Lead reports whether v supervises the whole desk.
func (v Viewer) Lead() bool { return v.Role == staff.RoleSupervisor || v.Role == staff.RoleAdmin }

var errNotDesk = explained(ErrForbidden, "Only agents, supervisors and admins work conversations.",
	"只有客服、主管和管理员可以处理会话。")

func (v Viewer) desk() error {
	if v.Lead() || v.Role == staff.RoleAgent {
		return nil
	}
	return errNotDesk
}

// sees reports whether v may see c: a lead sees all; an agent their team's and their own.
func (v Viewer) sees(c Conversation) bool {
	return v.Lead() || (v.Role == staff.RoleAgent && (c.Team == v.Team || (c.AssigneeID != nil && *c.AssigneeID == v.StaffID)))
}

// AgentConversations lists conversations for v: view mine (assigned to v), unassigned, or all
// (default), narrowed by status, channel and topic; agents only within their team.
func (s *Service) AgentConversations(ctx context.Context, v Viewer, f Filter) ([]Conversation, string, error) {
	if err := v.desk(); err != nil {
		return nil, "", err
	}
	if err := validFilter(f); err != nil {
		return nil, "", err
	}
	var where []string
	var args []any
	switch f.View {
	case "mine":
		where, args = append(where, "assignee = ?"), append(args, v.StaffID)
	case "unassigned":
		where = append(where, "assignee IS NULL")
	}
	if !v.Lead() {
		where, args = append(where, "(team = ? OR assignee = ?)"), append(args, v.Team, v.StaffID)
	}
	return s.list(ctx, where, args, f)
}

// AgentConversation returns a conversation v may see, else not_found.
func (s *Service) AgentConversation(ctx context.Context, v Viewer, convID string) (Conversation, error) {
	if err := v.desk(); err != nil {
		return Conversation{}, err
	}
	c, err := s.conversation(ctx, convID)
	if err != nil {
		return Conversation{}, err
	}
	if !v.sees(c) {
		return Conversation{}, ErrNotFound
	}
	return c, nil
}

// AgentMessages lists a conversation's messages, internal notes included, after a message id.
func (s *Service) AgentMessages(ctx context.Context, v Viewer, convID, after string) ([]Message, error) {
	if _, err := s.AgentConversation(ctx, v, convID); err != nil {
		return nil, err
	}
	return s.Messages(ctx, convID, after, true, 0)
}

// AgentPost adds v's reply or internal note to a conversation v may see.
func (s *Service) AgentPost(ctx context.Context, v Viewer, convID, body string, internal bool) (Message, error) {
	if _, err := s.AgentConversation(ctx, v, convID); err != nil {
		return Message{}, err
	}
	return s.Append(ctx, convID, NewMessage{Author: Author{Type: AuthorAgent, ID: v.StaffID, Name: v.Name},
		Body: body, Internal: internal})
}

var errNotYours = explained(ErrForbidden, "Agents take only unassigned conversations of their team, for themselves; supervisors reassign.",
	"客服只能为自己领取本团队未分配的会话；重新分配由主管进行。")

// Assign gives a conversation to an agent. Supervisors and admins assign any conversation to
// any agent, over capacity if they choose; an agent takes an unassigned one of their team for
// themselves, within capacity. The previous assignee's capacity is freed and their team's
// queue routed.
func (s *Service) Assign(ctx context.Context, v Viewer, convID, agentID string) (Conversation, error) {
	c, err := s.AgentConversation(ctx, v, convID)
	if err != nil {
		return Conversation{}, err
	}
	if !v.Lead() && (agentID != v.StaffID || c.AssigneeID != nil || c.Team != v.Team) {
		return Conversation{}, errNotYours
	}
	if c.Status == StatusResolved || c.Status == StatusClosed {
		return Conversation{}, explained(ErrState, "A resolved or closed conversation is not assigned.", "已解决或已关闭的会话不能分配。")
	}
	target, err := s.staff.Member(ctx, agentID)
	if err != nil || target.Disabled || (target.Role != staff.RoleAgent && !slices.Contains([]string{staff.RoleSupervisor, staff.RoleAdmin}, target.Role)) {
		return Conversation{}, fault.Invalid("agent_id", fault.MsgActiveAgent)
	}
	if c.AssigneeID != nil && *c.AssigneeID == agentID {
		return c, nil
	}
	now := micros(s.now())
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		// The agent's row exists even if they never set a presence.
		if _, err := tx.Exec(ctx, `INSERT INTO support_agents (staff_id, name, role, team, presence, capacity, active, updated_at)
			VALUES (?, ?, ?, ?, 'offline', ?, 0, ?) ON CONFLICT (staff_id) DO NOTHING`,
			target.ID, target.Name, target.Role, target.Team, target.Capacity, now); err != nil {
			return fmt.Errorf("agent row: %w", err)
		}
		take := `UPDATE support_agents SET active = active + 1 WHERE staff_id = ?`
		if !v.Lead() {
			take += ` AND active < capacity`
		}
		res, err := tx.Exec(ctx, take, agentID)
		if err != nil {
			return fmt.Errorf("take capacity: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return explained(ErrState, "You have no free capacity.", "您的接待量已满。")
		}
		q := `UPDATE support_conversations SET assignee = ?, assigned_at = ?, queued_at = NULL, updated_at = ?
			WHERE id = ? AND status IN ('open', 'pending') AND `
		args := []any{agentID, now, now, convID}
		if c.AssigneeID == nil {
			q += `assignee IS NULL`
		} else {
			q += `assignee = ?`
			args = append(args, *c.AssigneeID)
		}
		res, err = tx.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("assign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return explained(ErrState, "The conversation changed meanwhile; look again.", "会话已被更改，请刷新后重试。")
		}
		if c.AssigneeID != nil {
			return release(ctx, tx, *c.AssigneeID)
		}
		return nil
	})
	if err != nil {
		return Conversation{}, err
	}
	s.publishAssigned(ctx, convID, c.Team, AgentRef{ID: target.ID, Name: target.Name})
	if c.AssigneeID != nil {
		if prev, err := s.Agent(ctx, *c.AssigneeID); err == nil && prev.Team != "" {
			s.route(ctx, prev.Team)
		}
	} else {
		s.publishQueue(ctx, c.Team)
	}
	return s.conversation(ctx, convID)
}

// SetStatus changes a conversation's status: open, pending or resolved (and closed, for
// channels and tools). Resolving or closing frees the assignee's capacity and routes their
// team's queue at once; reopening a resolved one puts it back in the queue.
func (s *Service) SetStatus(ctx context.Context, v Viewer, convID, status string) (Conversation, error) {
	if !slices.Contains(Statuses, status) {
		return Conversation{}, fault.Invalid("status", fault.MsgOneOf, "open, pending, resolved")
	}
	c, err := s.AgentConversation(ctx, v, convID)
	if err != nil {
		return Conversation{}, err
	}
	if c.Status == status {
		return c, nil
	}
	if c.Status == StatusClosed {
		return Conversation{}, explained(ErrState, "The conversation is closed.", "此会话已关闭。")
	}
	now := micros(s.now())
	wasActive := c.Status == StatusOpen || c.Status == StatusPending
	active := status == StatusOpen || status == StatusPending
	var freed *string
	requeue := false
	err = s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var q string
		args := []any{status, now}
		switch {
		case wasActive && !active:
			q = `UPDATE support_conversations SET status = ?, updated_at = ?, resolved_at = ?, queued_at = NULL`
			args = append(args, now)
		case !wasActive && active: // reopened by staff: routed again
			q = `UPDATE support_conversations SET status = ?, updated_at = ?, resolved_at = NULL, assignee = NULL,
				assigned_at = NULL, queued_at = ?`
			args = append(args, now)
			requeue = true
		default:
			q = `UPDATE support_conversations SET status = ?, updated_at = ?`
		}
		q += ` WHERE id = ? AND status = ?`
		args = append(args, convID, c.Status)
		if c.AssigneeID == nil {
			q += ` AND assignee IS NULL`
		} else {
			q += ` AND assignee = ?`
			args = append(args, *c.AssigneeID)
		}
		res, err := tx.Exec(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("set status: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return explained(ErrState, "The conversation changed meanwhile; look again.", "会话已被更改，请刷新后重试。")
		}
		if status == StatusPending {
			if err := pauseTx(ctx, tx, convID, fromMicros(now)); err != nil {
				return err
			}
		} else if err := s.resumeTx(ctx, tx, convID, fromMicros(now), status == StatusOpen); err != nil {
			return err
		}
		if wasActive && !active && c.AssigneeID != nil {
			freed = c.AssigneeID
			return release(ctx, tx, *c.AssigneeID)
		}
		return nil
	})
	if err != nil {
		return Conversation{}, err
	}
	s.publish(ctx, SubjectConversation(convID), Event{Type: "status", ConversationID: convID, Status: status})
	s.publish(ctx, SubjectTeam(c.Team), Event{Type: "status", ConversationID: convID, Status: status})
	if freed != nil {
		team := c.Team
		if a, err := s.Agent(ctx, *freed); err == nil && a.Team != "" {
			team = a.Team
		}
		s.route(ctx, team)
	}
	if requeue {
		s.route(ctx, c.Team)
	}
	return s.conversation(ctx, convID)
}

// AgentAttachment returns a file of one of conversation convID's messages, with its bytes, to
// v who may see the conversation (an agent of its team or its assignee, a supervisor, an
// admin), and writes the look to the audit log (attachment.viewed) before handing the bytes
// over. A file that is not in the conversation answers not_found, whoever owns it, so that a
// conversation id does not open other customers' files.
func (s *Service) AgentAttachment(ctx context.Context, v Viewer, convID, attachmentID string) (wallet.Attachment, []byte, error) {
	c, err := s.AgentConversation(ctx, v, convID)
	if err != nil {
		return wallet.Attachment{}, nil, err
	}
	found, err := s.hasAttachment(ctx, c.ID, attachmentID)
	if err != nil {
		return wallet.Attachment{}, nil, err
	}
	if !found {
		return wallet.Attachment{}, nil, ErrNotFound
	}
	a, content, err := wallet.AttachmentByID(ctx, s.db, attachmentID)
	if err != nil {
		return wallet.Attachment{}, nil, err
	}
	if s.audit != nil {
		if err := s.audit.Write(ctx, audit.Entry{At: s.now(), ActorType: audit.ActorStaff, ActorID: v.StaffID,
			Action: "attachment.viewed", TargetType: "attachment", TargetID: a.ID, IP: v.IP,
			Detail: map[string]any{"conversation_id": c.ID, "customer_id": c.Customer.UserID}}); err != nil {
			return wallet.Attachment{}, nil, fmt.Errorf("audit attachment view: %w", err)
		}
	}
	return a, content, nil
}

// hasAttachment reports whether a message of convID lists attachmentID. The LIKE only narrows
// the rows (an id's "_" matches any character); the JSON decides.
func (s *Service) hasAttachment(ctx context.Context, convID, attachmentID string) (bool, error) {
	rows, err := s.db.Query(ctx, `SELECT `+msgCols+` FROM support_messages WHERE conversation_id = ? AND attachments LIKE ?`,
		convID, "%"+attachmentID+"%")
	if err != nil {
		return false, fmt.Errorf("attachment of conversation: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return false, fmt.Errorf("attachment of conversation: %w", err)
		}
		for _, a := range m.Attachments {
			if a.ID == attachmentID {
				return true, nil
			}
		}
	}
	return false, rows.Err()
}

// Placement returns a conversation's team and whether it is assigned, for the desk stream's
// choice of what to forward (cheaper than Conversation: no queue place).
func (s *Service) Placement(ctx context.Context, convID string) (team string, assigned bool, err error) {
	var assignee sql.NullString
	err = s.db.QueryRow(ctx, `SELECT team, assignee FROM support_conversations WHERE id = ?`, convID).Scan(&team, &assignee)
	if err != nil {
		return "", false, fmt.Errorf("placement of %s: %w", convID, db.NotFound(err))
	}
	return team, assignee.Valid, nil
}

package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/audit"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
)

// Who may administer what (API.md "Staff administration"):
//   - admins change any member's role, team, capacity and disabled flag, but never their own
//     role or flag (so that no admin locks themselves out by mistake);
//   - supervisors change the team and capacity of agents, nothing else;
//   - supervisors and admins create and change teams;
//   - admins and supervisors list staff; every member lists teams; admins read the audit log;
//   - the operator at the command line (Operator) may do everything an admin may.
// Every change names why (Reason) and is audited with who, what (before and after) and why,
// in the transaction that makes it.

// Actor is who makes an administrative change.
type Actor struct {
	staff    *Staff
	ip       string
	operator bool
}

// ActorOf is p acting from ip.
func (p Principal) ActorOf(ip string) Actor { st := p.Staff; return Actor{staff: &st, ip: ip} }

// Operator is the operator at the command line (`dompet agent update`): a person with the
// server's configuration in hand, who may do what an admin may.
func Operator() Actor { return Actor{operator: true} }

// role is the actor's role; "" for nobody (the zero Actor, which may do nothing).
func (a Actor) role() string {
	switch {
	case a.operator:
		return RoleAdmin
	case a.staff != nil:
		return a.staff.Role
	}
	return ""
}

// audit is the audit actor of a.
func (a Actor) audit(reason string) audit.Actor {
	if a.staff != nil {
		return audit.Actor{Type: audit.ActorStaff, ID: a.staff.ID, IP: a.ip, Reason: reason}
	}
	return audit.Actor{Type: audit.ActorSystem, Reason: reason}
}

func forbidden(en, zh string) error { return explained(ErrForbidden, en, zh) }

var (
	errNotAdmin = forbidden("Only admins may do this.", "只有管理员可以执行此操作。")
	errNotLead  = forbidden("Only supervisors and admins may do this.", "只有主管和管理员可以执行此操作。")
	errNotStaff = forbidden("Only staff may do this.", "只有工作人员可以执行此操作。")
)

// CanListStaff tells whether a may list staff.
func (a Actor) CanListStaff() error {
	if r := a.role(); r == RoleAdmin || r == RoleSupervisor {
		return nil
	}
	return errNotLead
}

// CanReadAudit tells whether a may read the audit log.
func (a Actor) CanReadAudit() error {
	if a.role() == RoleAdmin {
		return nil
	}
	return errNotAdmin
}

// Change is a PATCH of a staff member: nil fields stay as they are. Reason says why.
type Change struct {
	Role     *string
	Team     *string
	Capacity *int
	Disabled *bool
	Reason   string
}

func checkReason(v *fault.Validation, reason string) {
	n := utf8.RuneCountInString(strings.TrimSpace(reason))
	v.Check(utf8.ValidString(reason) && n >= 1 && n <= maxReasonRunes, "reason", fault.MsgReasonWhy)
}

// Update changes the staff member staffID as by allows (see the rules above) and returns it.
// Disabling a member revokes every session they have in the same transaction, and their
// login answers like an unknown email from then on; enabling lets them log in again.
func (s *Service) Update(ctx context.Context, by Actor, staffID string, c Change) (Staff, error) {
	var v fault.Validation
	v.Check(c.Role != nil || c.Team != nil || c.Capacity != nil || c.Disabled != nil, "role", fault.MsgNothingToChangeAgent)
	if c.Role != nil {
		v.Check(slices.Contains(Roles, *c.Role), "role", fault.MsgRole)
	}
	if c.Capacity != nil {
		v.Check(*c.Capacity >= 0 && *c.Capacity <= MaxCapacity, "capacity", fault.MsgCapacity, MaxCapacity)
	}
	if c.Team != nil {
		team := strings.TrimSpace(*c.Team) // a copy: the caller's value stays as it was
		c.Team = &team
	}
	checkReason(&v, c.Reason)
	switch by.role() {
	case RoleAdmin:
	case RoleSupervisor:
		if c.Role != nil || c.Disabled != nil {
			return Staff{}, forbidden("Supervisors may change only the team and capacity of agents.", "主管只能修改客服的团队和接待上限。")
		}
	case "":
		return Staff{}, errNotStaff
	default:
		return Staff{}, errNotLead
	}
	if by.staff != nil && by.staff.ID == staffID && (c.Role != nil || c.Disabled != nil) {
		return Staff{}, forbidden("You cannot change your own role or disable yourself.", "您不能修改自己的角色或停用自己的账号。")
	}
	if err := v.Err(); err != nil {
		return Staff{}, err
	}
	now := s.now().UTC()
	var out Staff
	err := s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		cur, err := scanStaff(tx.QueryRow(ctx, "SELECT "+staffCols+" FROM staff WHERE id = ?"+tx.ForUpdate(), staffID))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if by.role() == RoleSupervisor && cur.Role != RoleAgent {
			return forbidden("Supervisors may change only the team and capacity of agents.", "主管只能修改客服的团队和接待上限。")
		}
		next := cur
		changes := map[string]any{}
		if c.Role != nil && *c.Role != cur.Role {
			next.Role, changes["role"] = *c.Role, fromTo(cur.Role, *c.Role)
		}
		if c.Team != nil && *c.Team != cur.Team {
			if err := teamExists(ctx, tx, *c.Team); err != nil {
				return err
			}
			next.Team, changes["team"] = *c.Team, fromTo(cur.Team, *c.Team)
		}
		if c.Capacity != nil && *c.Capacity != cur.Capacity {
			next.Capacity, changes["capacity"] = *c.Capacity, fromTo(cur.Capacity, *c.Capacity)
		}
		if c.Disabled != nil && *c.Disabled != cur.Disabled {
			next.Disabled, changes["disabled"] = *c.Disabled, fromTo(cur.Disabled, *c.Disabled)
		}
		out = next.asOf(now)
		if len(changes) == 0 {
			return nil // nothing changes: nothing to audit
		}
		disabled := 0
		if next.Disabled {
			disabled = 1
		}
		if _, err := tx.Exec(ctx, `UPDATE staff SET role = ?, team = ?, capacity = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			next.Role, next.Team, next.Capacity, disabled, now.UnixMicro(), staffID); err != nil {
			return err
		}
		actx := audit.WithActor(ctx, by.audit(strings.TrimSpace(c.Reason)))
		if next.Disabled && !cur.Disabled {
			res, err := tx.Exec(ctx, "UPDATE staff_sessions SET revoked_at = ? WHERE staff_id = ? AND revoked_at IS NULL",
				now.UnixMicro(), staffID)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			changes["sessions_revoked"] = n
		}
		action := "staff.updated"
		switch {
		case next.Disabled && !cur.Disabled:
			action = "staff.disabled"
		case !next.Disabled && cur.Disabled:
			action = "staff.enabled"
		}
		return audit.Insert(ctx, tx, s.entry(actx, now, action, "staff", staffID, changes))
	})
	if err != nil {
		if _, ok := fault.As(err); ok {
			return Staff{}, err
		}
		return Staff{}, fmt.Errorf("update staff %s: %w", staffID, err)
	}
	return out, nil
}

// fromTo is how a changed value is audited.
func fromTo(from, to any) map[string]any { return map[string]any{"from": from, "to": to} }

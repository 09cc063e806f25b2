package identity

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

// The audit log answers "who did what to whom, when, from where, and why" for security events
// and for every staff action. It is append-only: this file inserts and reads, and no code
// anywhere updates or deletes its rows (a test greps the source for that).
//
// Every security event of a user is also written here, in the same transaction (recordEvent
// calls appendAudit). Who the actor is comes from the context: a staff member acting on a
// customer's account runs the domain call under WithActor, so that the lock, unlock or reset it
// causes is attributed to them rather than to the customer.

// Kinds of actor.
const (
	ActorUser   = "user"
	ActorStaff  = "staff"
	ActorSystem = "system"
)

// Actor is who acts: a user, a staff member, or Dompet itself (ID "").
type Actor struct {
	Type string
	ID   string
	IP   string
	// Reason is why a staff member acts on a customer's account (e.g. how identity was
	// checked before an unlock).
	Reason string
}

type actorKey struct{}

// WithActor returns ctx carrying who the calls made with it act for; audit entries written
// under it name that actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

func actorOf(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	ID         string         `json:"id"`
	At         time.Time      `json:"at"`
	ActorType  string         `json:"actor_type" enum:"user,staff,system"`
	ActorID    string         `json:"actor_id"`
	Action     string         `json:"action" doc:"e.g. user.login, user.account_locked, staff.login, staff.customer_unlocked"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	IP         string         `json:"ip"`
	Reason     string         `json:"reason"`
	Detail     map[string]any `json:"detail"`
}

// systemEvents are security events Dompet causes itself (the lockouts of lockout.go and
// pin.go), not the account's owner.
var systemEvents = map[string]bool{"account_locked": true, "pin_locked": true}

// Audit appends e to the audit log (joining the transaction in ctx, if any). ID and At are
// set here; an actor in ctx (WithActor) fills what e leaves empty.
func (s *Service) Audit(ctx context.Context, e AuditEntry) error {
	e.At = s.now().UTC()
	if a, ok := actorOf(ctx); ok {
		if e.ActorType == "" {
			e.ActorType, e.ActorID = a.Type, a.ID
		}
		if e.IP == "" {
			e.IP = a.IP
		}
		if e.Reason == "" {
			e.Reason = a.Reason
		}
	}
	switch e.ActorType {
	case ActorUser, ActorStaff, ActorSystem:
	default:
		return fault.Invalid("actor_type", `must be "user", "staff" or "system"`)
	}
	if strings.TrimSpace(e.Action) == "" {
		return fault.Invalid("action", "is required")
	}
	return s.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return appendAudit(ctx, tx, e) })
}

// appendAudit inserts e within tx; e.At must be set.
func appendAudit(ctx context.Context, tx *db.Tx, e AuditEntry) error {
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return fmt.Errorf("audit %s: %w", e.Action, err)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log (id, at, actor_type, actor_id, action, target_type, target_id, ip, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id.New("aud"), micros(e.At), e.ActorType, e.ActorID, e.Action,
		e.TargetType, e.TargetID, clip(e.IP), e.Reason, string(detail))
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// auditEvent writes a user's security event to the audit log: action "user.<kind>", the user
// as target, and as actor whoever ctx names, else Dompet for automatic events, else the user.
func auditEvent(ctx context.Context, tx *db.Tx, at time.Time, e event) error {
	a := AuditEntry{At: at, ActorType: ActorUser, ActorID: e.userID, Action: "user." + e.kind,
		TargetType: "user", TargetID: e.userID, IP: e.ip, Detail: e.detail}
	if systemEvents[e.kind] {
		a.ActorType, a.ActorID = ActorSystem, ""
	}
	if actor, ok := actorOf(ctx); ok {
		a.ActorType, a.ActorID, a.Reason = actor.Type, actor.ID, actor.Reason
		if a.IP == "" {
			a.IP = actor.IP
		}
	}
	if e.deviceID != "" {
		d := make(map[string]any, len(e.detail)+1)
		for k, v := range e.detail {
			d[k] = v
		}
		d["device_id"] = e.deviceID
		a.Detail = d
	}
	return appendAudit(ctx, tx, a)
}

// AuditQuery selects audit entries; empty fields match anything.
type AuditQuery struct {
	ActorType, ActorID   string
	TargetType, TargetID string
	Action               string
	Before               string // an entry id: only older entries (the next page)
	Limit                int    // 1…200; 0 means 50
}

// AuditLog returns the entries q selects, newest first, and the cursor of the next page ("" at
// the end).
func (s *Service) AuditLog(ctx context.Context, q AuditQuery) ([]AuditEntry, string, error) {
	switch {
	case q.Limit <= 0:
		q.Limit = 50
	case q.Limit > 200:
		q.Limit = 200
	}
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"actor_type", q.ActorType}, {"actor_id", q.ActorID},
		{"target_type", q.TargetType}, {"target_id", q.TargetID}, {"action", q.Action}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if q.Before != "" {
		where = append(where, "id < ?")
		args = append(args, q.Before)
	}
	sqlq := `SELECT id, at, actor_type, actor_id, action, target_type, target_id, ip, reason, detail FROM audit_log`
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.Query(ctx, sqlq+" ORDER BY id DESC LIMIT ?", append(args, q.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	out := []AuditEntry{}
	for rows.Next() {
		var e AuditEntry
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.ActorType, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID,
			&e.IP, &e.Reason, &detail); err != nil {
			return nil, "", fmt.Errorf("audit log: %w", err)
		}
		e.At = fromMicros(at)
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, "", fmt.Errorf("audit log %s detail: %w", e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("audit log: %w", err)
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

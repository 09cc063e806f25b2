// Package audit is Dompet's audit log: who did what to whom, when, from where, and why, for
// security events and for every staff action. It is append-only, and the database enforces
// it: triggers refuse UPDATE and DELETE of audit_log rows (migration 00010), so that not even
// plain SQL rewrites history.
//
// Writers insert inside their own transaction (Row or Insert) so that an entry commits with
// the change it records, or on its own (Log.Write). Who the actor is may come from the
// context: a staff member acting on a customer's account runs the domain call under
// WithActor, so that the lock, unlock or reset it causes is attributed to them.
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
)

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
	// Reason is why a staff member acts (e.g. how a customer's identity was checked before
	// an unlock, or why an admin disabled a colleague).
	Reason string
}

type actorKey struct{}

// WithActor returns ctx carrying who the calls made with it act for; entries written under
// it name that actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf returns the actor WithActor put in ctx.
func ActorOf(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// Entry is one line of the audit log.
type Entry struct {
	ID         string         `json:"id"`
	At         time.Time      `json:"at"`
	ActorType  string         `json:"actor_type" enum:"user,staff,system"`
	ActorID    string         `json:"actor_id"`
	Action     string         `json:"action" doc:"e.g. user.login, user.account_locked, staff.login, staff.updated, team.created"`
	TargetType string         `json:"target_type" doc:"what the action was done to: user, staff, team"`
	TargetID   string         `json:"target_id"`
	IP         string         `json:"ip"`
	Reason     string         `json:"reason"`
	Detail     map[string]any `json:"detail"`
}

// FromContext fills what e leaves empty from the actor in ctx (WithActor): actor, IP and
// reason.
func FromContext(ctx context.Context, e Entry) Entry {
	a, ok := ActorOf(ctx)
	if !ok {
		return e
	}
	if e.ActorType == "" {
		e.ActorType, e.ActorID = a.Type, a.ID
	}
	if e.IP == "" {
		e.IP = a.IP
	}
	if e.Reason == "" {
		e.Reason = a.Reason
	}
	return e
}

// maxIP bounds the stored client address (it comes from the request).
const maxIP = 512

// cols are audit_log's columns in the order Row gives their values.
var cols = []string{"id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "ip", "reason", "detail"}

var errNoTime = errors.New("audit: entry without a time")

// Row is e as a row to insert within the caller's transaction (db.Tx.InsertRows), so that the
// entry commits with the change it records. An empty ID gets a fresh, time-ordered one; At
// must be set.
func Row(e Entry) (db.Row, error) {
	if e.At.IsZero() {
		return db.Row{}, fmt.Errorf("%w: %s", errNoTime, e.Action)
	}
	if e.ID == "" {
		e.ID = id.New("aud")
	}
	detail := []byte("{}")
	if len(e.Detail) > 0 {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return db.Row{}, fmt.Errorf("audit %s: %w", e.Action, err)
		}
	}
	ip := strings.ToValidUTF8(strings.TrimSpace(e.IP), "")
	if len(ip) > maxIP {
		ip = ip[:maxIP]
	}
	return db.Row{Table: "audit_log", Cols: cols, Vals: []any{e.ID, e.At.UnixMicro(), e.ActorType, e.ActorID,
		e.Action, e.TargetType, e.TargetID, ip, e.Reason, string(detail)}}, nil
}

// Insert writes e within tx (see Row).
func Insert(ctx context.Context, tx *db.Tx, e Entry) error {
	row, err := Row(e)
	if err != nil {
		return err
	}
	if err := tx.InsertRows(ctx, []db.Row{row}); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// Log writes and reads the audit log of one store.
type Log struct {
	db  *db.DB
	now func() time.Time
}

// New returns the audit log of d; now is the clock (nil: time.Now).
func New(d *db.DB, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{db: d, now: now}
}

// Write appends e to the log, joining the transaction in ctx if any. ID and At are set here;
// the actor in ctx (WithActor) fills what e leaves empty.
func (l *Log) Write(ctx context.Context, e Entry) error {
	e = FromContext(ctx, e)
	e.ID, e.At = "", l.now().UTC()
	switch e.ActorType {
	case ActorUser, ActorStaff, ActorSystem:
	default:
		return fault.Invalid("actor_type", fault.MsgActorType)
	}
	if strings.TrimSpace(e.Action) == "" {
		return fault.Invalid("action", fault.MsgRequired)
	}
	return l.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return Insert(ctx, tx, e) })
}

// Query selects entries; empty fields match anything.
type Query struct {
	ActorType string
	Actor     string // the actor's id
	Subject   string // the target's id
	Action    string
	From, To  time.Time // entries at From or later, and before To
	Cursor    string    // next_cursor of the previous page
	Limit     int       // 1…200; 0 means 50
}

// List returns the entries q selects, newest first, and the cursor of the next page ("" at
// the end).
func (l *Log) List(ctx context.Context, q Query) ([]Entry, string, error) {
	switch {
	case q.Limit <= 0:
		q.Limit = 50
	case q.Limit > 200:
		q.Limit = 200
	}
	if q.Cursor != "" && !strings.HasPrefix(q.Cursor, "aud_") {
		return nil, "", fault.Invalid("cursor", fault.MsgCursor)
	}
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"actor_type", q.ActorType}, {"actor_id", q.Actor},
		{"target_id", q.Subject}, {"action", q.Action}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !q.From.IsZero() {
		where = append(where, "at >= ?")
		args = append(args, q.From.UnixMicro())
	}
	if !q.To.IsZero() {
		where = append(where, "at < ?")
		args = append(args, q.To.UnixMicro())
	}
	if q.Cursor != "" {
		where = append(where, "id < ?")
		args = append(args, q.Cursor)
	}
	sqlq := "SELECT " + strings.Join(cols, ", ") + " FROM audit_log"
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := l.db.Query(ctx, sqlq+" ORDER BY id DESC LIMIT ?", append(args, q.Limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("audit log: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at int64
		var detail string
		if err := rows.Scan(&e.ID, &at, &e.ActorType, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID,
			&e.IP, &e.Reason, &detail); err != nil {
			return nil, "", fmt.Errorf("audit log: %w", err)
		}
		e.At = time.UnixMicro(at).UTC()
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

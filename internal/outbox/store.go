package outbox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
)

// stored is a message as the dispatcher reads it.
type stored struct {
	ID, Topic, Payload string
	Attempts           int   // attempts made before this one
	NextAttemptAt      int64 // as read, to claim the row only if nobody else changed it
	CreatedAt          int64
}

// due lists pending messages of topics whose time has come, oldest due first.
func (o *Outbox) due(ctx context.Context, topics []any, now int64, limit int) ([]stored, error) {
	in := strings.TrimSuffix(strings.Repeat("?,", len(topics)), ",")
	args := append([]any{now}, topics...)
	rows, err := o.db.Query(ctx, `SELECT id, topic, payload, attempts, next_attempt_at, created_at
		FROM outbox_messages
		WHERE status = 'pending' AND next_attempt_at <= ? AND topic IN (`+in+`)
		ORDER BY next_attempt_at, created_at
		LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("due outbox messages: %w", err)
	}
	defer rows.Close()
	var out []stored
	for rows.Next() {
		var m stored
		if err := rows.Scan(&m.ID, &m.Topic, &m.Payload, &m.Attempts, &m.NextAttemptAt, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("due outbox messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due outbox messages: %w", err)
	}
	return out, nil
}

// claim takes m for one attempt: it counts the attempt and pushes next_attempt_at to the end of
// the lease, on condition that the row is still as read. Of several dispatchers (in one process
// or several sharing PostgreSQL) that read the same row, exactly one updates it; the others see
// changed values and get false. The new attempts value identifies the claim afterwards.
func (o *Outbox) claim(ctx context.Context, m stored, leaseUntil int64) (bool, error) {
	res, err := o.db.Exec(ctx, `UPDATE outbox_messages
		SET attempts = attempts + 1, next_attempt_at = ?
		WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at = ?`,
		leaseUntil, m.ID, m.Attempts, m.NextAttemptAt)
	if err != nil {
		return false, fmt.Errorf("claim outbox message %s: %w", m.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim outbox message %s: %w", m.ID, err)
	}
	return n == 1, nil
}

// outcome is how one attempt ended.
type outcome struct {
	Status        string
	NextAttemptAt int64
	Error         string
	DoneAt        int64
}

// finish records the outcome of the attempt numbered attempt, unless the claim was lost (the
// lease ran out and another dispatcher took the message).
func (o *Outbox) finish(ctx context.Context, id string, attempt int, r outcome) error {
	_, err := o.db.Exec(ctx, `UPDATE outbox_messages
		SET status = ?, next_attempt_at = ?, last_error = ?, done_at = ?
		WHERE id = ? AND status = 'pending' AND attempts = ?`,
		r.Status, r.NextAttemptAt, r.Error, r.DoneAt, id, attempt)
	if err != nil {
		return fmt.Errorf("record outbox message %s: %w", id, err)
	}
	return nil
}

// release gives back a claim whose attempt was cut short by shutdown: it does not count, and
// the message is due again at once (for another process, or this one after a restart).
func (o *Outbox) release(ctx context.Context, id string, attempt int, now int64) error {
	_, err := o.db.Exec(ctx, `UPDATE outbox_messages
		SET attempts = attempts - 1, next_attempt_at = ?
		WHERE id = ? AND status = 'pending' AND attempts = ?`, now, id, attempt)
	if err != nil {
		return fmt.Errorf("release outbox message %s: %w", id, err)
	}
	return nil
}

// prune deletes up to limit messages delivered before the time in µs, oldest first. A
// delivered row's next_attempt_at is its delivery time (finish), so the due index
// (status, next_attempt_at) finds them; done_at is checked as well.
func (o *Outbox) prune(ctx context.Context, before int64, limit int) (int, error) {
	res, err := o.db.Exec(ctx, `DELETE FROM outbox_messages WHERE id IN (
		SELECT id FROM outbox_messages
		WHERE status = 'delivered' AND next_attempt_at < ? AND done_at < ?
		ORDER BY next_attempt_at
		LIMIT ?)`, before, before, limit)
	if err != nil {
		return 0, fmt.Errorf("prune outbox messages: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune outbox messages: %w", err)
	}
	return int(n), nil
}

// State is what the store says about one message.
type State struct {
	ID, Topic, Status string
	Attempts          int
	LastError         string
	NextAttemptAt     time.Time // while pending: when it is due (or its lease ends)
	CreatedAt, DoneAt time.Time // DoneAt is zero while pending
}

// Lookup returns the state of message id, or db.ErrNotFound.
func Lookup(ctx context.Context, d *db.DB, id string) (State, error) {
	var s State
	var next, created, done int64
	err := d.QueryRow(ctx, `SELECT id, topic, status, attempts, last_error, next_attempt_at, created_at, done_at
		FROM outbox_messages WHERE id = ?`, id).
		Scan(&s.ID, &s.Topic, &s.Status, &s.Attempts, &s.LastError, &next, &created, &done)
	if err != nil {
		return State{}, fmt.Errorf("outbox message %s: %w", id, db.NotFound(err))
	}
	s.NextAttemptAt, s.CreatedAt = time.UnixMicro(next).UTC(), time.UnixMicro(created).UTC()
	if done != 0 {
		s.DoneAt = time.UnixMicro(done).UTC()
	}
	return s, nil
}

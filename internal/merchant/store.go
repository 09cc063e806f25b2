package merchant

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
)

func insertMerchant(ctx context.Context, tx *db.Tx, id, name, keyHash, keyPrefix, webhookURL, secret string, now int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO merchants
		(id, name, api_key_hash, api_key_prefix, webhook_url, webhook_secret, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, name, keyHash, keyPrefix, webhookURL, secret, StatusActive, now)
	return err
}

const merchantCols = `id, name, webhook_url, status, created_at`

func scanMerchant(row *sql.Row) (Merchant, string, error) {
	var m Merchant
	var created int64
	if err := row.Scan(&m.ID, &m.Name, &m.WebhookURL, &m.Status, &created); err != nil {
		return Merchant{}, "", db.NotFound(err)
	}
	m.CreatedAt = time.UnixMicro(created).UTC()
	return m, m.WebhookURL, nil
}

func (s *Service) merchantByKeyHash(ctx context.Context, hash string) (Merchant, string, error) {
	return scanMerchant(s.db.QueryRow(ctx, `SELECT `+merchantCols+` FROM merchants WHERE api_key_hash = ?`, hash))
}

func (s *Service) merchantByID(ctx context.Context, id string) (Merchant, string, error) {
	return scanMerchant(s.db.QueryRow(ctx, `SELECT `+merchantCols+` FROM merchants WHERE id = ?`, id))
}

// delivery is an outbox row the dispatcher is working on, with where and how to send it.
type delivery struct {
	ID, EventType, Payload string
	Attempts               int   // attempts made before this one
	NextAttemptAt          int64 // as read, to claim the row only if nobody else changed it
	URL, Secret            string
}

// dueDeliveries lists pending deliveries whose time has come, oldest due first.
func (s *Service) dueDeliveries(ctx context.Context, now int64, limit int) ([]delivery, error) {
	rows, err := s.db.Query(ctx, `SELECT d.id, d.event_type, d.payload, d.attempts, d.next_attempt_at,
			m.webhook_url, m.webhook_secret
		FROM webhook_deliveries d JOIN merchants m ON m.id = d.merchant_id
		WHERE d.status = 'pending' AND d.next_attempt_at <= ?
		ORDER BY d.next_attempt_at
		LIMIT ?`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due webhook deliveries: %w", err)
	}
	defer rows.Close()
	var out []delivery
	for rows.Next() {
		var d delivery
		if err := rows.Scan(&d.ID, &d.EventType, &d.Payload, &d.Attempts, &d.NextAttemptAt, &d.URL, &d.Secret); err != nil {
			return nil, fmt.Errorf("due webhook deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("due webhook deliveries: %w", err)
	}
	return out, nil
}

// claim takes d for one attempt: it counts the attempt and pushes next_attempt_at past the
// lease, on condition that the row is still as read. Of several dispatchers (in one process or
// several sharing PostgreSQL) that read the same row, exactly one updates it; the others see
// changed values and get false. The new attempts value identifies the claim afterwards.
func (s *Service) claim(ctx context.Context, d delivery, leaseUntil int64) (bool, error) {
	res, err := s.db.Exec(ctx, `UPDATE webhook_deliveries
		SET attempts = attempts + 1, next_attempt_at = ?
		WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at = ?`,
		leaseUntil, d.ID, d.Attempts, d.NextAttemptAt)
	if err != nil {
		return false, fmt.Errorf("claim webhook delivery %s: %w", d.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("claim webhook delivery %s: %w", d.ID, err)
	}
	return n == 1, nil
}

// outcome is how one attempt ended.
type outcome struct {
	Status        string // delivered | pending (retry) | failed
	NextAttemptAt int64
	StatusCode    int
	Error         string
	DeliveredAt   int64
}

// finish records the outcome of the attempt numbered attempt, unless the claim was lost
// (the lease ran out and another dispatcher took the row).
func (s *Service) finish(ctx context.Context, id string, attempt int, o outcome) error {
	_, err := s.db.Exec(ctx, `UPDATE webhook_deliveries
		SET status = ?, next_attempt_at = ?, last_status_code = ?, last_error = ?, delivered_at = ?
		WHERE id = ? AND status = 'pending' AND attempts = ?`,
		o.Status, o.NextAttemptAt, o.StatusCode, o.Error, o.DeliveredAt, id, attempt)
	if err != nil {
		return fmt.Errorf("record webhook delivery %s: %w", id, err)
	}
	return nil
}

// release gives back a claim whose attempt was cut short by shutdown: it does not count, and
// the row is due again at once (for another process, or this one after restart).
func (s *Service) release(ctx context.Context, id string, attempt int, now int64) error {
	_, err := s.db.Exec(ctx, `UPDATE webhook_deliveries
		SET attempts = attempts - 1, next_attempt_at = ?
		WHERE id = ? AND status = 'pending' AND attempts = ?`, now, id, attempt)
	if err != nil {
		return fmt.Errorf("release webhook delivery %s: %w", id, err)
	}
	return nil
}

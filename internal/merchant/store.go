package merchant

import (
	"context"
	"database/sql"
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

// webhookTarget reads where and how to send merchantID's webhooks now (not cached: a changed
// URL or secret applies to the next attempt).
func (s *Service) webhookTarget(ctx context.Context, merchantID string) (url, secret string, err error) {
	err = s.db.QueryRow(ctx, `SELECT webhook_url, webhook_secret FROM merchants WHERE id = ?`, merchantID).Scan(&url, &secret)
	if err != nil {
		return "", "", db.NotFound(err)
	}
	return url, secret, nil
}

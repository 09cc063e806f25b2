package checkout

import (
	"context"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/wallet"
)

// insert stores c unless the merchant already used its idempotency key (then the first
// checkout stands, and Create reads it back).
func (s *Service) insert(ctx context.Context, c Checkout) error {
	_, err := s.db.Exec(ctx, `INSERT INTO checkouts
		(id, merchant_id, amount, currency, order_ref, return_url, status, expires_at, created_at, updated_at,
		 idempotency_key, request_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (merchant_id, idempotency_key) DO NOTHING`,
		c.ID, c.Merchant.ID, c.Amount, c.Currency, c.OrderRef, c.ReturnURL, c.Status,
		c.ExpiresAt.UnixMicro(), c.CreatedAt.UnixMicro(), c.UpdatedAt.UnixMicro(), c.key, c.hash)
	return err
}

const cols = `id, merchant_id, amount, currency, order_ref, return_url, status, expires_at, created_at, updated_at,
	payment_id, payer_id, attempts, last_failure_code, last_failure_tx, last_failure_user, idempotency_key, request_hash`

func scan(row interface{ Scan(...any) error }) (Checkout, error) {
	var c Checkout
	var exp, created, updated int64
	err := row.Scan(&c.ID, &c.Merchant.ID, &c.Amount, &c.Currency, &c.OrderRef, &c.ReturnURL, &c.Status,
		&exp, &created, &updated, &c.PaymentID, &c.payerID, &c.FailedAttempts, &c.failureCode, &c.failureTx,
		&c.failureUser, &c.key, &c.hash)
	if err != nil {
		return Checkout{}, db.NotFound(err)
	}
	c.ExpiresAt, c.CreatedAt, c.UpdatedAt = time.UnixMicro(exp).UTC(), time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	return c, nil
}

func (s *Service) byID(ctx context.Context, id string) (Checkout, error) {
	return scan(s.db.QueryRow(ctx, `SELECT `+cols+` FROM checkouts WHERE id = ?`, id))
}

func (s *Service) byKey(ctx context.Context, merchantID, key string) (Checkout, error) {
	return scan(s.db.QueryRow(ctx, `SELECT `+cols+` FROM checkouts WHERE merchant_id = ? AND idempotency_key = ?`, merchantID, key))
}

// refused counts attempt as refused with tx, once however many calls shared it; the
// MaxAttempts-th refusal fails the checkout.
func (s *Service) refused(ctx context.Context, id string, attempt int, tx wallet.Transaction, userID string) error {
	status := StatusOpen
	if attempt+1 >= s.o.MaxAttempts {
		status = StatusFailed
	}
	now := s.now().UTC().UnixMicro()
	_, err := s.db.Exec(ctx, `UPDATE checkouts SET attempts = attempts + 1, status = ?, last_failure_code = ?,
		last_failure_tx = ?, last_failure_user = ?, updated_at = ?
		WHERE id = ? AND status = 'open' AND attempts = ?`,
		status, tx.FailureCode, tx.ID, userID, now, id, attempt)
	if err != nil {
		return fmt.Errorf("checkout %s: count refused payment: %w", id, err)
	}
	return nil
}

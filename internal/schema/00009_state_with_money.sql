-- Owned by internal/wallet: state that commits with the money (issue 6). A refund request
-- keeps the Idempotency-Key (and request fingerprint) of the decision that decided it, and an
-- FX quote the transaction that used it; both are set by the conditional update that the
-- ledger transfer carries, so neither can disagree with the money.
--
-- Before, the state followed the money in a second step and a crash between the two left
-- work for a repair path, now removed. The last statements finish what such a crash left.
-- +goose Up
ALTER TABLE wallet_refund_requests ADD COLUMN decision_key TEXT NOT NULL DEFAULT '';
ALTER TABLE wallet_refund_requests ADD COLUMN decision_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE wallet_fx_quotes ADD COLUMN used_by TEXT NOT NULL DEFAULT '';

-- A request approved whose refund was made is refunded; one whose refund never came is
-- back in the merchant's queue.
UPDATE wallet_refund_requests SET status = 'refunded', refund_id = (SELECT MIN(t.id) FROM wallet_transactions t
        WHERE t.owner = 'merchant:' || wallet_refund_requests.merchant_id AND t.kind = 'refund' AND t.status = 'succeeded'
        AND (t.idem_key = 'request:' || wallet_refund_requests.id OR t.idem_key LIKE 'request:' || wallet_refund_requests.id || ':%'))
    WHERE status = 'approved' AND EXISTS (SELECT 1 FROM wallet_transactions t
        WHERE t.owner = 'merchant:' || wallet_refund_requests.merchant_id AND t.kind = 'refund' AND t.status = 'succeeded'
        AND (t.idem_key = 'request:' || wallet_refund_requests.id OR t.idem_key LIKE 'request:' || wallet_refund_requests.id || ':%'));
UPDATE wallet_refund_requests SET status = 'submitted', decision_reason = '', decided_at = 0 WHERE status = 'approved';

-- A payout whose hold was posted or voided is succeeded or failed.
UPDATE wallet_transactions SET status = 'succeeded'
    WHERE status = 'pending' AND EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = wallet_transactions.id AND r.phase = 'post');
UPDATE wallet_transactions SET status = 'failed', failure_params = '{"currency":"' || currency || '"}',
        failure_code = CASE WHEN EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = wallet_transactions.id AND r.code = 'expire')
            THEN 'expired' ELSE 'bank_rejected' END
    WHERE status = 'pending' AND EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = wallet_transactions.id AND r.phase = 'void');

-- +goose Down
ALTER TABLE wallet_fx_quotes DROP COLUMN used_by;
ALTER TABLE wallet_refund_requests DROP COLUMN decision_hash;
ALTER TABLE wallet_refund_requests DROP COLUMN decision_key;

package wallet

import (
	"context"
	"errors"
	"fmt"

	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/money"
)

// tx is the transaction a record becomes once written.
func (r record) tx() Transaction {
	t := Transaction{
		ID: r.id, Kind: r.kind, Status: r.status, Amount: r.amount, Currency: r.currency,
		Fee: money.New(r.fee, r.currency), Counterparty: r.counterparty,
		CreatedAt: r.at.UTC().Truncate(time.Microsecond), UpdatedAt: r.at.UTC().Truncate(time.Microsecond),
		FailureCode: r.failureCode, FailureParams: r.failureParams, Refunds: []Refund{},
		RelatedID: r.relatedID, Details: r.details, owner: r.owner, requestHash: r.hash,
	}
	return t
}

// movement is one money movement: the acting owner's record, the ledger transfer, and what
// else is written with it.
type movement struct {
	rec      record   // the acting owner's view
	others   []record // the other side's views (written only on success)
	transfer ledger.Transfer
	extra    []db.Row  // outbox events and the like (written only on success)
	receipts []Receipt // the users' receipts (written only on success)
	self     string    // the acting owner's ledger account, to word limit failures
	selfID   string
	amount   money.Amount // what failure reasons quote as required
}

// move submits m to the ledger under the caller's idempotency key. A rejection is written
// as a failed transaction in the same database transaction and returned as the wallet failure.
func (w *Wallet) move(ctx context.Context, m movement) (Transaction, error) {
	t := m.transfer
	t.ID = m.rec.id
	t.Key = "w:" + m.rec.owner + ":" + m.rec.id
	if m.rec.key != "" {
		t.Key = "w:" + m.rec.owner + ":k:" + m.rec.key
	}
	t.Rows = append(t.Rows, m.rec.row())
	for _, o := range m.others {
		t.Rows = append(t.Rows, o.row())
	}
	t.Rows = append(t.Rows, m.extra...)
	receipts, err := w.receiptRows(m.receipts...)
	if err != nil {
		return Transaction{}, fmt.Errorf("%s %s: receipts: %w", m.rec.kind, m.rec.id, err)
	}
	t.Rows = append(t.Rows, receipts...)
	t.Rejected = func(r *fault.Error) []db.Row {
		return []db.Row{m.rec.failed(translate(r, m.self, m.selfID, m.amount)).row()}
	}
	res, err := w.l.Submit(ctx, t)
	if res.Duplicate { // decided earlier, perhaps by another process: answer as then
		tx, rerr := w.byKey(ctx, m.rec.owner, m.rec.key)
		if rerr != nil {
			return Transaction{}, fmt.Errorf("replay %s: %w", m.rec.key, rerr)
		}
		if tx.requestHash != m.rec.hash {
			return Transaction{}, ErrIdempotencyConflict
		}
		return tx, tx.failure()
	}
	if err != nil {
		if f, ok := fault.As(err); ok {
			reason := translate(f, m.self, m.selfID, m.amount)
			return m.rec.failed(reason).tx(), explain(reason)
		}
		return Transaction{}, fmt.Errorf("%s %s: %w", m.rec.kind, m.rec.id, err)
	}
	if len(receipts) > 0 {
		w.receiptsSent()
	}
	return m.rec.tx(), nil
}

// fail records a refused attempt that never reached the ledger and returns it with reason. With
// keep false the record does not hold the idempotency key, so that a retry under the same
// key runs again (a provider outage is worth retrying; a decline is final).
func (w *Wallet) fail(ctx context.Context, rec record, reason *fault.Error, keep bool) (Transaction, error) {
	if !keep {
		rec.key = ""
	}
	row := rec.failed(reason).row()
	row.IgnoreConflict = true
	err := w.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error { return tx.InsertRows(ctx, []db.Row{row}) })
	if err != nil {
		return Transaction{}, fmt.Errorf("record failed %s: %w", rec.kind, err)
	}
	if keep && rec.key != "" {
		// Another process may have stored an outcome for this key first: that one stands.
		if tx, err := w.byKey(ctx, rec.owner, rec.key); err == nil && tx.ID != rec.id {
			if tx.requestHash != rec.hash {
				return Transaction{}, ErrIdempotencyConflict
			}
			return tx, tx.failure()
		}
	}
	return rec.failed(reason).tx(), explain(reason)
}

// providerFailure maps a provider error to the failure shown, and whether to keep the key.
func providerFailure(err error) (*fault.Error, bool) {
	switch {
	case errors.Is(err, errDeclined):
		return ErrProviderDeclined, true
	case errors.Is(err, errUnavailable):
		return ErrProviderUnavailable.With("retry_after", 30), false
	}
	return nil, false
}

// withFee adds to postings the fee the payer account pays to Dompet's fee account, if any.
func (w *Wallet) withFee(ctx context.Context, postings []ledger.Posting, payer string, fee int64, currency string) ([]ledger.Posting, error) {
	if fee <= 0 {
		return postings, nil
	}
	feeAcct, err := w.system(ctx, ledger.KindFeeRevenue, currency)
	if err != nil {
		return nil, err
	}
	return append(postings, ledger.Posting{Debit: payer, Credit: feeAcct, Amount: fee, Currency: currency}), nil
}

// system returns the system account of kind in currency.
func (w *Wallet) system(ctx context.Context, kind, currency string) (string, error) {
	return w.l.System(ctx, kind, currency)
}

package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/money"
)

// RunSettler settles pending withdrawals and remittances with the bank until ctx ends, and
// voids expired holds.
func (w *Wallet) RunSettler(ctx context.Context) {
	every := min(max(w.o.SettleAfter/4, 100*time.Millisecond), time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := w.Settle(ctx); err != nil && ctx.Err() == nil {
			w.o.Log.Error("settle payouts", "err", err)
		}
		if _, err := w.ExpireHolds(ctx); err != nil && ctx.Err() == nil {
			w.o.Log.Error("expire holds", "err", err)
		}
	}
}

// errSettled refuses a post or void whose transaction is no longer pending: another run (in
// this process or another) settled it, with its money. It never reaches a client.
var errSettled = fault.New("settled", "the payout is no longer pending")

type due struct {
	owner, id, kind, currency string
	amount, fee               int64
	details                   Details
}

// Settle asks the bank about every payout whose time has come and posts or voids its hold.
// The hold's post or void carries the transaction's new status, so the two commit together
// and a crash at any point leaves nothing to repair: a payout still pending is asked again.
// It returns how many payouts it settled and what went wrong with the others.
func (w *Wallet) Settle(ctx context.Context) (int, error) {
	now := w.now()
	rows, err := w.db.Query(ctx, `SELECT owner, id, kind, currency, amount, fee, details FROM wallet_transactions
		WHERE status = 'pending' AND settle_after > 0 AND settle_after <= ? ORDER BY settle_after LIMIT 200`, now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("find due payouts: %w", err)
	}
	var list []due
	var errs []error
	for rows.Next() {
		var d due
		var det string
		if err := rows.Scan(&d.owner, &d.id, &d.kind, &d.currency, &d.amount, &d.fee, &det); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find due payouts: %w", err)
		}
		// Without its bank account a payout cannot be made: never pay out to a guess.
		if err := json.Unmarshal([]byte(det), &d.details); err != nil {
			errs = append(errs, fmt.Errorf("payout %s: corrupt details: %w", d.id, err))
			continue
		}
		list = append(list, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find due payouts: %w", err)
	}
	n := 0
	for _, d := range list {
		if err := w.settleOne(ctx, d); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

func (w *Wallet) settleOne(ctx context.Context, d due) error {
	st, err := w.l.Transfer(ctx, d.id)
	if err != nil {
		return fmt.Errorf("settle %s: %w", d.id, err)
	}
	if st.Resolution != "" { // cannot happen: the hold and the status change together
		return fmt.Errorf("settle %s: the hold was resolved (%s) but the transaction is pending", d.id, st.Resolution)
	}
	// Pay out only a hold that will still be there to post: past its timeout the ledger
	// refuses the post and the sweeper voids the hold, and the user would have the money
	// twice. A minute of margin covers the bank's answer.
	if !st.TimeoutAt.IsZero() && !w.now().Add(time.Minute).Before(st.TimeoutAt) {
		return w.release(ctx, d, FailExpired)
	}
	if d.details.BankAccount == nil {
		return fmt.Errorf("payout %s: no bank account in its details", d.id)
	}
	p := Payout{ID: d.id, Amount: money.New(d.amount, d.currency), BankAccount: *d.details.BankAccount}
	if d.details.FX != nil {
		p.Amount = d.details.FX.Receive
	}
	err = w.o.Bank.Payout(ctx, p)
	switch {
	case err == nil:
		rows, err := w.payoutReceipt(d, "", nil)
		if err != nil {
			return fmt.Errorf("post %s: %w", d.id, err)
		}
		_, err = w.l.Submit(ctx, ledger.Transfer{Key: "settle:" + d.id, Code: d.kind + "_settled", Post: d.id,
			Updates: []ledger.Update{w.statusUpdate(d, StatusSucceeded, "", nil)}, Rows: rows})
		switch {
		case err == nil:
			if len(rows) > 0 {
				w.receiptsSent()
			}
			return nil
		case errors.Is(err, errSettled):
			return nil
		case errors.Is(err, ledger.ErrPendingExpired):
			return w.release(ctx, d, FailExpired)
		}
		return fmt.Errorf("post %s: %w", d.id, err)
	case errors.Is(err, errRejected):
		return w.release(ctx, d, FailBankRejected)
	case errors.Is(err, errUnavailable):
		// Ask again later; the hold stays.
		_, err := w.db.Exec(ctx, "UPDATE wallet_transactions SET settle_after = ? WHERE owner = ? AND id = ? AND status = 'pending'",
			w.now().Add(max(w.o.SettleAfter, 5*time.Second)).UnixMicro(), d.owner, d.id)
		return err
	default:
		return fmt.Errorf("payout %s: %w", d.id, err)
	}
}

// release voids a payout's hold, giving back the amount and the fee (and, through the
// ledger, what the hold added to the user's spending counters), and marks it failed with
// code in the same database transaction.
func (w *Wallet) release(ctx context.Context, d due, code string) error {
	params := map[string]any{"currency": d.currency}
	rows, err := w.payoutReceipt(d, code, params)
	if err != nil {
		return fmt.Errorf("void %s: %w", d.id, err)
	}
	_, err = w.l.Submit(ctx, ledger.Transfer{Key: "release:" + d.id, Code: d.kind + "_failed", Void: d.id,
		Updates: []ledger.Update{w.statusUpdate(d, StatusFailed, code, params)}, Rows: rows})
	if err != nil && !errors.Is(err, errSettled) {
		return fmt.Errorf("void %s: %w", d.id, err)
	}
	if err == nil && len(rows) > 0 {
		w.receiptsSent()
	}
	return nil
}

// payoutReceipt is the receipt rows a withdrawal's or remittance's post (code empty) or void
// (code says why) carries, written only if that transfer commits.
func (w *Wallet) payoutReceipt(d due, code string, params map[string]any) ([]db.Row, error) {
	if !strings.HasPrefix(d.owner, "user:") {
		return nil, nil
	}
	var kind string
	switch {
	case d.kind == KindWithdrawal && code == "":
		kind = ReceiptWithdrawalSettled
	case d.kind == KindWithdrawal:
		kind = ReceiptWithdrawalFailed
	case d.kind == KindRemittance && code == "":
		kind = ReceiptRemittanceSettled
	case d.kind == KindRemittance:
		kind = ReceiptRemittanceFailed
	default:
		return nil, nil
	}
	r := record{owner: d.owner, id: d.id, kind: d.kind, amount: d.amount, currency: d.currency, fee: d.fee,
		failureCode: code, failureParams: params, at: w.now()}
	if d.details.BankAccount != nil {
		r.counterparty.Name = d.details.BankAccount.HolderName
	}
	r.details.FX = d.details.FX
	return w.receiptRows(receiptOf(kind, r))
}

// statusUpdate moves a pending payout to its final status, or refuses the post or void that
// carries it with errSettled.
func (w *Wallet) statusUpdate(d due, status, failureCode string, params map[string]any) ledger.Update {
	u := pendingDone(d.owner, d.id, status, failureCode, params, w.now())
	u.Reject = errSettled
	return u
}

// pendingDone is the update that moves a pending transaction of owner to its final status.
func pendingDone(owner, id, status, failureCode string, params map[string]any, now time.Time) ledger.Update {
	fp := "{}"
	if len(params) > 0 {
		b, _ := json.Marshal(params)
		fp = string(b)
	}
	return ledger.Update{SQL: `UPDATE wallet_transactions SET status = ?, failure_code = ?, failure_params = ?, updated_at = ?
		WHERE owner = ? AND id = ? AND status = 'pending'`, Args: []any{status, failureCode, fp, now.UnixMicro(), owner, id}}
}

// ExpireHolds voids the holds whose timeout has passed; a payout's hold is voided together
// with its transaction becoming failed (expired).
func (w *Wallet) ExpireHolds(ctx context.Context) (int, error) {
	n, err := w.l.ExpirePending(ctx, w.expiryUpdates)
	if n > 0 {
		w.receiptsSent()
	}
	return n, err
}

func (w *Wallet) expiryUpdates(ctx context.Context, ids []string) (map[string][]ledger.Update, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := w.db.Query(ctx, `SELECT owner, id, kind, currency, amount, fee, details FROM wallet_transactions WHERE status = 'pending' AND id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("expired payouts: %w", err)
	}
	defer rows.Close()
	now := w.now()
	out := map[string][]ledger.Update{}
	for rows.Next() {
		var d due
		var det string
		if err := rows.Scan(&d.owner, &d.id, &d.kind, &d.currency, &d.amount, &d.fee, &det); err != nil {
			return nil, fmt.Errorf("expired payouts: %w", err)
		}
		_ = json.Unmarshal([]byte(det), &d.details) // only the receipt's counterparty name comes from it
		params := map[string]any{"currency": d.currency}
		u := pendingDone(d.owner, d.id, StatusFailed, FailExpired, params, now)
		u.Reject = ledger.ErrAlreadyResolved // settled meanwhile: nothing to expire
		out[d.id] = append(out[d.id], u)
		// ExpirePending takes no rows: the receipt is inserted by updates of the same void,
		// after the status change, so it commits (or rolls back) with it.
		receipt, err := w.payoutReceipt(d, FailExpired, params)
		if err != nil {
			return nil, fmt.Errorf("expired payout %s: %w", d.id, err)
		}
		for _, r := range receipt {
			out[d.id] = append(out[d.id], insertUpdate(r))
		}
	}
	return out, rows.Err()
}

// insertUpdate is the update that inserts r.
func insertUpdate(r db.Row) ledger.Update {
	return ledger.Update{SQL: "INSERT INTO " + r.Table + " (" + strings.Join(r.Cols, ", ") + ") VALUES (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(r.Cols)), ", ") + ")", Args: r.Vals, Reject: ledger.ErrAlreadyResolved}
}

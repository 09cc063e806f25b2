package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
		if _, err := w.l.ExpirePending(ctx, nil); err != nil && ctx.Err() == nil {
			w.o.Log.Error("expire holds", "err", err)
		}
	}
}

type due struct {
	owner, id, kind, currency string
	amount                    int64
	details                   Details
}

// Settle asks the bank about every payout whose time has come and posts or voids its hold.
// Each step is idempotent (the ledger keys are "settle:<id>"), so a crash between steps is
// repaired by the next run, in this process or another.
func (w *Wallet) Settle(ctx context.Context) (int, error) {
	now := w.now()
	rows, err := w.db.Query(ctx, `SELECT owner, id, kind, currency, amount, details FROM wallet_transactions
		WHERE status = 'pending' AND settle_after > 0 AND settle_after <= ? ORDER BY settle_after LIMIT 200`, now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("find due payouts: %w", err)
	}
	var list []due
	for rows.Next() {
		var d due
		var det string
		if err := rows.Scan(&d.owner, &d.id, &d.kind, &d.currency, &d.amount, &det); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find due payouts: %w", err)
		}
		_ = json.Unmarshal([]byte(det), &d.details)
		list = append(list, d)
	}
	rows.Close()
	n := 0
	for _, d := range list {
		if err := w.settleOne(ctx, d); err != nil {
			w.o.Log.Error("settle payout", "tx", d.id, "err", err)
			continue
		}
		n++
	}
	return n, nil
}

func (w *Wallet) settleOne(ctx context.Context, d due) error {
	// A hold already resolved (expired, or settled by a run that crashed before updating the
	// transaction) must not be paid out again.
	st, err := w.l.Transfer(ctx, d.id)
	if err != nil {
		return fmt.Errorf("settle %s: %w", d.id, err)
	}
	switch st.Resolution {
	case ledger.PhasePost:
		return w.setStatus(ctx, d.id, StatusSucceeded, "", nil)
	case ledger.PhaseVoid:
		return w.release(ctx, d, FailExpired)
	}
	// Pay out only a hold that will still be there to post: past its timeout the ledger
	// refuses the post and the sweeper voids the hold, and the user would have the money
	// twice. A minute of margin covers the bank's answer.
	if !st.TimeoutAt.IsZero() && !w.now().Add(time.Minute).Before(st.TimeoutAt) {
		return w.release(ctx, d, FailExpired)
	}
	p := Payout{ID: d.id, Amount: money.New(d.amount, d.currency)}
	if d.details.BankAccount != nil {
		p.BankAccount = *d.details.BankAccount
	}
	if d.details.FX != nil {
		p.Amount = d.details.FX.Receive
	}
	err = w.o.Bank.Payout(ctx, p)
	switch {
	case err == nil:
		_, err := w.l.Submit(ctx, ledger.Transfer{Key: "settle:" + d.id, Code: d.kind + "_settled", Post: d.id})
		if errors.Is(err, ledger.ErrPendingExpired) {
			return w.release(ctx, d, FailExpired)
		}
		if err != nil {
			return fmt.Errorf("post %s: %w", d.id, err)
		}
		return w.setStatus(ctx, d.id, StatusSucceeded, "", nil)
	case errors.Is(err, errRejected):
		return w.release(ctx, d, FailBankRejected)
	case errors.Is(err, errUnavailable):
		// Ask again later; the hold stays.
		_, err := w.db.Exec(ctx, "UPDATE wallet_transactions SET settle_after = ? WHERE id = ? AND status = 'pending'",
			w.now().Add(max(w.o.SettleAfter, 5*time.Second)).UnixMicro(), d.id)
		return err
	default:
		return fmt.Errorf("payout %s: %w", d.id, err)
	}
}

// release voids a payout's hold, giving back the amount and the fee (and, through the
// ledger, what the hold added to the user's spending counters), and marks it failed with code.
func (w *Wallet) release(ctx context.Context, d due, code string) error {
	_, err := w.l.Submit(ctx, ledger.Transfer{Key: "settle:" + d.id, Code: d.kind + "_failed", Void: d.id})
	if err != nil && !errors.Is(err, ledger.ErrAlreadyResolved) {
		return fmt.Errorf("void %s: %w", d.id, err)
	}
	if errors.Is(err, ledger.ErrAlreadyResolved) {
		// Voided by expiry or by an earlier run: the money is back either way.
		st, terr := w.l.Transfer(ctx, d.id)
		if terr != nil {
			return terr
		}
		if st.Resolution == ledger.PhasePost {
			return w.setStatus(ctx, d.id, StatusSucceeded, "", nil)
		}
	}
	return w.setStatus(ctx, d.id, StatusFailed, code, map[string]any{"currency": d.currency})
}

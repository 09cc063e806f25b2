package ledger

import (
	"context"
	"database/sql"
	"fmt"
	"sort"

	"github.com/dompet/dompet/internal/db"
)

// Report is what Verify found.
type Report struct {
	Accounts   int                `json:"accounts"`
	Transfers  int                `json:"transfers"`
	Postings   int                `json:"postings"`
	Currencies map[string]int64   `json:"currencies"` // sum of balances per currency: must be 0
	Problems   []string           `json:"problems"`
	Balances   map[string]Account `json:"-"`
}

// OK reports whether the ledger is consistent.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Verify recomputes every balance and hold from the journal and compares them with the stored
// balances; it also checks that each currency sums to zero and that no account that may not
// go negative is below zero. It reads a consistent snapshot inside one transaction.
func (l *Ledger) Verify(ctx context.Context) (Report, error) {
	rep := Report{Currencies: map[string]int64{}, Balances: map[string]Account{}}
	var opts *sql.TxOptions
	if l.db.Dialect == db.Postgres { // one snapshot for every query below
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := l.db.R.BeginTx(ctx, opts)
	if err != nil {
		return rep, fmt.Errorf("verify: %w", err)
	}
	defer tx.Rollback()
	q := func(s string) string { return l.db.Rebind(s) }

	rows, err := tx.QueryContext(ctx, q("SELECT "+accountCols+" FROM ledger_accounts"))
	if err != nil {
		return rep, fmt.Errorf("verify accounts: %w", err)
	}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			return rep, fmt.Errorf("verify accounts: %w", err)
		}
		rep.Balances[a.ID] = a
		rep.Currencies[a.Currency] += a.Balance
	}
	rows.Close()
	rep.Accounts = len(rep.Balances)

	type sums struct{ bal, pd, pc int64 }
	got := map[string]*sums{}
	at := func(id string) *sums {
		if got[id] == nil {
			got[id] = &sums{}
		}
		return got[id]
	}
	rows, err = tx.QueryContext(ctx, `SELECT p.debit_id, p.credit_id, p.amount, p.currency, t.phase,
		EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
		FROM ledger_postings p JOIN ledger_transfers t ON t.id = p.transfer_id`)
	if err != nil {
		return rep, fmt.Errorf("verify postings: %w", err)
	}
	for rows.Next() {
		var d, c, cur, phase string
		var amt int64
		var resolved bool
		if err := rows.Scan(&d, &c, &amt, &cur, &phase, &resolved); err != nil {
			rows.Close()
			return rep, fmt.Errorf("verify postings: %w", err)
		}
		rep.Postings++
		if rep.Balances[d].Currency != cur || rep.Balances[c].Currency != cur {
			rep.Problems = append(rep.Problems, fmt.Sprintf("posting %s→%s in %s does not match its accounts' currencies", d, c, cur))
		}
		switch phase {
		case PhasePosted, PhasePost:
			at(d).bal -= amt
			at(c).bal += amt
		case PhasePending:
			if !resolved {
				at(d).pd += amt
				at(c).pc += amt
			}
		default:
			rep.Problems = append(rep.Problems, fmt.Sprintf("posting %s→%s belongs to a %s transfer", d, c, phase))
		}
	}
	rows.Close()
	if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM ledger_transfers").Scan(&rep.Transfers); err != nil {
		return rep, fmt.Errorf("verify transfers: %w", err)
	}

	ids := make([]string, 0, len(rep.Balances))
	for id := range rep.Balances {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := rep.Balances[id]
		s := at(id)
		if s.bal != a.Balance || s.pd != a.PendingDebits || s.pc != a.PendingCredits {
			rep.Problems = append(rep.Problems, fmt.Sprintf("account %s (%s %s %s): stored balance %d, pending %d/%d; journal says %d, pending %d/%d",
				id, a.Owner, a.Kind, a.Currency, a.Balance, a.PendingDebits, a.PendingCredits, s.bal, s.pd, s.pc))
		}
		if a.NoOverdraft && a.Balance-a.PendingDebits < 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("account %s may not go negative but has %d available", id, a.Available()))
		}
	}
	for id := range got {
		if _, ok := rep.Balances[id]; !ok {
			rep.Problems = append(rep.Problems, fmt.Sprintf("postings name unknown account %s", id))
		}
	}
	for cur, sum := range rep.Currencies {
		if sum != 0 {
			rep.Problems = append(rep.Problems, fmt.Sprintf("currency %s sums to %d, not 0", cur, sum))
		}
	}
	return rep, nil
}

package ledger

import (
	"context"
	"fmt"
	"strings"

	"github.com/dompet/dompet/internal/db"
)

// in returns "(?,?,…)" for n values.
func in(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?,", n), ",") + ")"
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

const transferCols = "id, phase, error, created_at"

func loadByKeys(ctx context.Context, tx *db.Tx, keys []string) (map[string]stored, error) {
	out := map[string]stored{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, "SELECT key, "+transferCols+" FROM ledger_transfers WHERE key IN "+in(len(keys)), anys(keys)...)
	if err != nil {
		return nil, fmt.Errorf("load transfers by key: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var s stored
		if err := rows.Scan(&k, &s.id, &s.phase, &s.errText, &s.created); err != nil {
			return nil, fmt.Errorf("load transfers by key: %w", err)
		}
		out[k] = s
	}
	return out, rows.Err()
}

// loadPendings reads the pending transfers that requests want to post or void, with their
// postings and whether a post or void already exists for them.
func loadPendings(ctx context.Context, tx *db.Tx, ids []string, into map[string]*pendingTransfer) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT t.id, t.timeout_at,
		EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id)
		FROM ledger_transfers t WHERE t.phase = 'pending' AND t.id IN `+in(len(ids))+tx.ForUpdate(), anys(ids)...)
	if err != nil {
		return fmt.Errorf("load pending transfers: %w", err)
	}
	for rows.Next() {
		p := &pendingTransfer{}
		if err := rows.Scan(&p.id, &p.timeout, &p.resolved); err != nil {
			rows.Close()
			return fmt.Errorf("load pending transfers: %w", err)
		}
		into[p.id] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load pending transfers: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT transfer_id, debit_id, credit_id, amount, currency FROM ledger_postings
		WHERE transfer_id IN `+in(len(ids))+` ORDER BY transfer_id, n`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("load pending postings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tid string
		var p Posting
		if err := rows.Scan(&tid, &p.Debit, &p.Credit, &p.Amount, &p.Currency); err != nil {
			return fmt.Errorf("load pending postings: %w", err)
		}
		if pt := into[tid]; pt != nil {
			pt.postings = append(pt.postings, p)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load pending postings: %w", err)
	}
	rows.Close()
	rows, err = tx.Query(ctx, `SELECT transfer_id, key, amount FROM ledger_hold_usage WHERE transfer_id IN `+in(len(ids))+` ORDER BY transfer_id, key`, anys(ids)...)
	if err != nil {
		return fmt.Errorf("load hold usage: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tid string
		var u Usage
		if err := rows.Scan(&tid, &u.Key, &u.Amount); err != nil {
			return fmt.Errorf("load hold usage: %w", err)
		}
		if pt := into[tid]; pt != nil {
			pt.usage = append(pt.usage, u)
		}
	}
	return rows.Err()
}

const accountCols = "id, owner, kind, currency, no_overdraft, max_balance, balance, pending_debits, pending_credits, created_at"

func scanAccount(sc interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var created int64
	err := sc.Scan(&a.ID, &a.Owner, &a.Kind, &a.Currency, &a.NoOverdraft, &a.MaxBalance, &a.Balance, &a.PendingDebits, &a.PendingCredits, &created)
	a.CreatedAt = microTime(created)
	return a, err
}

func lockAccounts(ctx context.Context, tx *db.Tx, ids []string, into map[string]*Account) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, "SELECT "+accountCols+" FROM ledger_accounts WHERE id IN "+in(len(ids))+" ORDER BY id"+tx.ForUpdate(), anys(ids)...)
	if err != nil {
		return fmt.Errorf("lock accounts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return fmt.Errorf("lock accounts: %w", err)
		}
		into[a.ID] = &a
	}
	return rows.Err()
}

func lockUsage(ctx context.Context, tx *db.Tx, keys []string, into map[string]int64) error {
	if len(keys) == 0 {
		return nil
	}
	// Counters that do not exist yet are created first so that they can be locked: two
	// processes creating the same counter then queue on it instead of both counting from zero.
	rows := make([]db.Row, len(keys))
	for i, k := range keys {
		rows[i] = db.Row{Table: "ledger_usage", Cols: []string{"key", "value"}, Vals: []any{k, 0}, IgnoreConflict: true}
	}
	if err := tx.InsertRows(ctx, rows); err != nil {
		return fmt.Errorf("create usage counters: %w", err)
	}
	rs, err := tx.Query(ctx, "SELECT key, value FROM ledger_usage WHERE key IN "+in(len(keys))+" ORDER BY key"+tx.ForUpdate(), anys(keys)...)
	if err != nil {
		return fmt.Errorf("lock usage counters: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var k string
		var v int64
		if err := rs.Scan(&k, &v); err != nil {
			return fmt.Errorf("lock usage counters: %w", err)
		}
		into[k] = v
	}
	return rs.Err()
}

// saveAccounts writes the new balances of changed accounts. The rows are locked by this
// transaction, so absolute values are safe. SQLite runs in process, where one prepared
// UPDATE per account beats one large UPDATE … FROM (VALUES …) (about a third more transfers
// per second); PostgreSQL is a round trip away, so it gets one statement per 1000 accounts.
func (g *group) saveAccounts(ctx context.Context, tx *db.Tx) error {
	ids := sortedKeys(g.dirty)
	if tx.Dialect() == db.SQLite {
		return eachPrepared(ctx, tx, "UPDATE ledger_accounts SET balance = ?, pending_debits = ?, pending_credits = ? WHERE id = ?", len(ids),
			func(i int) []any {
				a := g.accounts[ids[i]]
				return []any{a.Balance, a.PendingDebits, a.PendingCredits, a.ID}
			})
	}
	for start := 0; start < len(ids); start += 1000 {
		chunk := ids[start:min(start+1000, len(ids))]
		var b strings.Builder
		args := make([]any, 0, 4*len(chunk))
		b.WriteString("UPDATE ledger_accounts SET balance = v.column2, pending_debits = v.column3, pending_credits = v.column4 FROM (VALUES ")
		for i, id := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))")
			a := g.accounts[id]
			args = append(args, id, a.Balance, a.PendingDebits, a.PendingCredits)
		}
		b.WriteString(") AS v WHERE ledger_accounts.id = v.column1")
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("save balances: %w", err)
		}
	}
	return nil
}

func (g *group) saveUsage(ctx context.Context, tx *db.Tx) error {
	keys := sortedKeys(g.usageSet)
	if tx.Dialect() == db.SQLite {
		return eachPrepared(ctx, tx, "UPDATE ledger_usage SET value = ? WHERE key = ?", len(keys),
			func(i int) []any { return []any{g.usage[keys[i]], keys[i]} })
	}
	for start := 0; start < len(keys); start += 1000 {
		chunk := keys[start:min(start+1000, len(keys))]
		var b strings.Builder
		args := make([]any, 0, 2*len(chunk))
		b.WriteString("UPDATE ledger_usage SET value = v.column2 FROM (VALUES ")
		for i, k := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(CAST(? AS TEXT), CAST(? AS BIGINT))")
			args = append(args, k, g.usage[k])
		}
		b.WriteString(") AS v WHERE ledger_usage.key = v.column1")
		if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("save usage counters: %w", err)
		}
	}
	return nil
}

// eachPrepared runs the statement q n times with the arguments args(i).
func eachPrepared(ctx context.Context, tx *db.Tx, q string, n int, args func(i int) []any) error {
	if n == 0 {
		return nil
	}
	st, err := tx.Prepare(ctx, q)
	if err != nil {
		return fmt.Errorf("prepare %q: %w", q, err)
	}
	defer st.Close()
	for i := range n {
		if _, err := st.ExecContext(ctx, args(i)...); err != nil {
			return fmt.Errorf("%q: %w", q, err)
		}
	}
	return nil
}

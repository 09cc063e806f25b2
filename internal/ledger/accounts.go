package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/id"
)

// Kinds of account. User wallets and merchants may not go below zero; system accounts may
// (funding clearing is negative by what users have topped up).
const (
	KindWallet             = "wallet"
	KindMerchant           = "merchant"
	KindFundingClearing    = "funding_clearing"
	KindWithdrawalClearing = "withdrawal_clearing"
	KindFeeRevenue         = "fee_revenue"
	KindFXPosition         = "fx_position"
	KindRemittanceClearing = "remittance_clearing"
)

// SystemOwner owns the system accounts.
const SystemOwner = "system"

// Account is a balance of one currency held by one owner.
type Account struct {
	ID             string    `json:"id"`
	Owner          string    `json:"owner"`
	Kind           string    `json:"kind"`
	Currency       string    `json:"currency"`
	NoOverdraft    bool      `json:"no_overdraft"`
	MaxBalance     int64     `json:"max_balance"`
	Balance        int64     `json:"balance"`         // posted: credits − debits
	PendingDebits  int64     `json:"pending_debits"`  // held for pending transfers out
	PendingCredits int64     `json:"pending_credits"` // awaited from pending transfers in
	CreatedAt      time.Time `json:"created_at"`
}

// Available is what the owner can spend now: the balance less what pending transfers hold.
func (a Account) Available() int64 { return a.Balance - a.PendingDebits }

// Spec names an account; rules apply when it is first created.
type Spec struct {
	Owner, Kind, Currency string
	NoOverdraft           bool
	MaxBalance            int64
}

// Ensure returns the account named by s, creating it if needed. Account ids are cached:
// accounts are never deleted.
func (l *Ledger) Ensure(ctx context.Context, s Spec) (string, error) {
	k := s.Owner + "|" + s.Kind + "|" + s.Currency
	if v, ok := l.accounts.Load(k); ok {
		return v.(string), nil
	}
	var aid string
	err := l.db.QueryRow(ctx, "SELECT id FROM ledger_accounts WHERE owner = ? AND kind = ? AND currency = ?", s.Owner, s.Kind, s.Currency).Scan(&aid)
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
		_, err = l.db.Exec(ctx, `INSERT INTO ledger_accounts (id, owner, kind, currency, no_overdraft, max_balance, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner, kind, currency) DO NOTHING`,
			id.New("acc"), s.Owner, s.Kind, s.Currency, boolInt(s.NoOverdraft), s.MaxBalance, time.Now().UnixMicro())
		if err != nil {
			return "", fmt.Errorf("create account %s: %w", k, err)
		}
		// Read back through the writer: the row is certainly visible there.
		err = l.db.W.QueryRowContext(ctx, l.db.Rebind("SELECT id FROM ledger_accounts WHERE owner = ? AND kind = ? AND currency = ?"), s.Owner, s.Kind, s.Currency).Scan(&aid)
	}
	if err != nil {
		return "", fmt.Errorf("ensure account %s: %w", k, err)
	}
	l.accounts.Store(k, aid)
	return aid, nil
}

// System returns the system account of kind in currency.
func (l *Ledger) System(ctx context.Context, kind, currency string) (string, error) {
	return l.Ensure(ctx, Spec{Owner: SystemOwner, Kind: kind, Currency: currency})
}

// Account reads one account.
func (l *Ledger) Account(ctx context.Context, accountID string) (Account, error) {
	a, err := scanAccount(l.db.QueryRow(ctx, "SELECT "+accountCols+" FROM ledger_accounts WHERE id = ?", accountID))
	if err != nil {
		return Account{}, fmt.Errorf("account %s: %w", accountID, db.NotFound(err))
	}
	return a, nil
}

// Accounts lists the accounts of owner, ordered by kind and currency.
func (l *Ledger) Accounts(ctx context.Context, owner string) ([]Account, error) {
	rows, err := l.db.Query(ctx, "SELECT "+accountCols+" FROM ledger_accounts WHERE owner = ? ORDER BY kind, currency", owner)
	if err != nil {
		return nil, fmt.Errorf("accounts of %s: %w", owner, err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("accounts of %s: %w", owner, err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetMaxBalance changes an account's balance ceiling (0 = none), e.g. when a user's tier changes.
func (l *Ledger) SetMaxBalance(ctx context.Context, accountID string, max int64) error {
	if _, err := l.db.Exec(ctx, "UPDATE ledger_accounts SET max_balance = ? WHERE id = ?", max, accountID); err != nil {
		return fmt.Errorf("set max balance of %s: %w", accountID, err)
	}
	return nil
}

// Usage reads a counter (0 when it was never used).
func (l *Ledger) Usage(ctx context.Context, key string) (int64, error) {
	var v int64
	err := l.db.QueryRow(ctx, "SELECT value FROM ledger_usage WHERE key = ?", key).Scan(&v)
	if err = db.NotFound(err); err != nil && !errors.Is(err, db.ErrNotFound) {
		return 0, fmt.Errorf("usage %s: %w", key, err)
	}
	return v, nil
}

// Stored is a transfer as the journal holds it.
type Stored struct {
	ID        string    `json:"id"`
	Key       string    `json:"key"`
	Code      string    `json:"code"`
	Phase     string    `json:"phase"`
	PendingID string    `json:"pending_id,omitempty"`
	TimeoutAt time.Time `json:"timeout_at,omitzero"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Postings  []Posting `json:"postings"`
	// Resolution is the phase of the post or void of a pending transfer, "" while it waits.
	Resolution string `json:"resolution,omitempty"`
}

// Transfer reads a transfer with its postings.
func (l *Ledger) Transfer(ctx context.Context, transferID string) (Stored, error) {
	var s Stored
	var pid *string
	var timeout, created int64
	err := l.db.QueryRow(ctx, `SELECT id, key, code, phase, pending_id, timeout_at, error, created_at,
		COALESCE((SELECT r.phase FROM ledger_transfers r WHERE r.pending_id = t.id), '')
		FROM ledger_transfers t WHERE id = ?`, transferID).
		Scan(&s.ID, &s.Key, &s.Code, &s.Phase, &pid, &timeout, &s.Error, &created, &s.Resolution)
	if err != nil {
		return Stored{}, fmt.Errorf("transfer %s: %w", transferID, db.NotFound(err))
	}
	if pid != nil {
		s.PendingID = *pid
	}
	if timeout != 0 {
		s.TimeoutAt = microTime(timeout)
	}
	s.CreatedAt = microTime(created)
	rows, err := l.db.Query(ctx, "SELECT debit_id, credit_id, amount, currency FROM ledger_postings WHERE transfer_id = ? ORDER BY n", transferID)
	if err != nil {
		return Stored{}, fmt.Errorf("transfer %s postings: %w", transferID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p Posting
		if err := rows.Scan(&p.Debit, &p.Credit, &p.Amount, &p.Currency); err != nil {
			return Stored{}, fmt.Errorf("transfer %s postings: %w", transferID, err)
		}
		s.Postings = append(s.Postings, p)
	}
	return s, rows.Err()
}

// ExpiryUpdates gives, for pending transfers about to be voided by expiry, the updates each
// void carries (see Transfer.Updates): the owner's record of a hold marked failed in the
// same database transaction as the money's return. Holds left out of the map are voided alone.
type ExpiryUpdates func(ctx context.Context, pendingIDs []string) (map[string][]Update, error)

// ExpirePending voids pending transfers whose timeout has passed and returns how many it
// voided. Each void has the key "expire:<id>", so concurrent sweepers cannot void twice.
// with, when not nil, gives the updates the voids carry; a void whose update finds its
// record in another state (an update's Reject, ErrAlreadyResolved, say) is skipped.
func (l *Ledger) ExpirePending(ctx context.Context, with ExpiryUpdates) (int, error) {
	now := l.opts.Now().UnixMicro()
	rows, err := l.db.Query(ctx, `SELECT t.id FROM ledger_transfers t WHERE t.phase = 'pending' AND t.timeout_at > 0
		AND t.timeout_at <= ? AND NOT EXISTS (SELECT 1 FROM ledger_transfers r WHERE r.pending_id = t.id) LIMIT 500`, now)
	if err != nil {
		return 0, fmt.Errorf("find expired transfers: %w", err)
	}
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find expired transfers: %w", err)
		}
		ids = append(ids, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find expired transfers: %w", err)
	}
	var updates map[string][]Update
	if with != nil && len(ids) > 0 {
		if updates, err = with(ctx, ids); err != nil {
			return 0, fmt.Errorf("expire: updates: %w", err)
		}
	}
	n := 0
	for _, pid := range ids {
		_, err := l.Submit(ctx, Transfer{Key: "expire:" + pid, Code: "expire", Void: pid, Updates: updates[pid]})
		if err == nil {
			n++
		} else if !errors.Is(err, ErrAlreadyResolved) {
			return n, fmt.Errorf("expire %s: %w", pid, err)
		}
	}
	return n, nil
}

func microTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

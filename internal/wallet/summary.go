package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/ledger"
)

// Balance is what an owner holds in one currency.
type Balance struct {
	Currency  string `json:"currency"`
	Available int64  `json:"available"` // spendable now
	Pending   int64  `json:"pending"`   // held by pending withdrawals and remittances
}

// LimitUse is a tier limit with what was used of it in the current period.
type LimitUse struct {
	Limit
	Used struct {
		DailyOutgoing   int64 `json:"daily_outgoing"`
		MonthlyOutgoing int64 `json:"monthly_outgoing"`
		MonthlyIncoming int64 `json:"monthly_incoming"`
	} `json:"used"`
}

// Summary is GET /api/v1/wallet.
type Summary struct {
	Balances []Balance           `json:"balances"`
	Tier     string              `json:"tier"`
	Limits   map[string]LimitUse `json:"limits"`
}

func balances(accts []ledger.Account, kind string) []Balance {
	out := []Balance{}
	for _, a := range accts {
		if a.Kind == kind {
			out = append(out, Balance{Currency: a.Currency, Available: a.Available(), Pending: a.PendingDebits})
		}
	}
	return out
}

// Summary returns the user's balances (the default currency always listed), tier and
// limits with their use in the current day and month.
func (w *Wallet) Summary(ctx context.Context, u Party) (Summary, error) {
	accts, err := w.l.Accounts(ctx, userOwner(u.ID))
	if err != nil {
		return Summary{}, fmt.Errorf("wallet of %s: %w", u.ID, err)
	}
	def := w.o.Currencies.Default().Code
	s := Summary{Balances: []Balance{}, Tier: u.Tier, Limits: map[string]LimitUse{}}
	for _, b := range balances(accts, ledger.KindWallet) {
		if b.Currency != def && b.Available == 0 && b.Pending == 0 {
			// A movement that failed may have opened an account in a currency the user never
			// held (the ledger creates accounts before it decides): not a balance to show.
			used, err := w.heldCurrency(ctx, u.ID, b.Currency)
			if err != nil {
				return Summary{}, err
			}
			if !used {
				continue
			}
		}
		s.Balances = append(s.Balances, b)
	}
	hasDef := false
	for _, b := range s.Balances {
		hasDef = hasDef || b.Currency == def
	}
	if !hasDef {
		s.Balances = append([]Balance{{Currency: def}}, s.Balances...)
	}
	now := w.now()
	for _, b := range s.Balances {
		lu := LimitUse{Limit: w.o.Limits.For(u.Tier, b.Currency)}
		lu.Used.DailyOutgoing, _ = w.l.Usage(ctx, w.dayKey(u.ID, b.Currency, now))
		lu.Used.MonthlyOutgoing, _ = w.l.Usage(ctx, w.monthOutKey(u.ID, b.Currency, now))
		lu.Used.MonthlyIncoming, _ = w.l.Usage(ctx, w.monthInKey(u.ID, b.Currency, now))
		s.Limits[b.Currency] = lu
	}
	return s, nil
}

// heldCurrency reports whether the user ever had money move in currency: a transaction in it
// that did not fail.
func (w *Wallet) heldCurrency(ctx context.Context, userID, currency string) (bool, error) {
	var one int
	err := w.db.QueryRow(ctx, "SELECT 1 FROM wallet_transactions WHERE owner = ? AND currency = ? AND status <> 'failed' LIMIT 1",
		userOwner(userID), currency).Scan(&one)
	if err = db.NotFound(err); errors.Is(err, db.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("currencies of %s: %w", userID, err)
	}
	return true, nil
}

// MerchantBalances returns a merchant's balances.
func (w *Wallet) MerchantBalances(ctx context.Context, merchantID string) ([]Balance, error) {
	accts, err := w.l.Accounts(ctx, merchantOwner(merchantID))
	if err != nil {
		return nil, fmt.Errorf("balance of merchant %s: %w", merchantID, err)
	}
	return balances(accts, ledger.KindMerchant), nil
}

// MerchantPayments lists the payments a merchant received, with what was refunded of each.
func (w *Wallet) MerchantPayments(ctx context.Context, merchantID string, f Filter) (Page[Transaction], error) {
	f.Kind = KindPayment
	return w.list(ctx, merchantOwner(merchantID), f)
}

// MerchantTransaction returns one transaction of a merchant.
func (w *Wallet) MerchantTransaction(ctx context.Context, merchantID, id string) (Transaction, error) {
	return w.transaction(ctx, merchantOwner(merchantID), id)
}

// SetTier applies a user's new tier to the balance ceilings of their wallets.
func (w *Wallet) SetTier(ctx context.Context, u Party) error {
	accts, err := w.l.Accounts(ctx, userOwner(u.ID))
	if err != nil {
		return err
	}
	for _, a := range accts {
		if a.Kind == ledger.KindWallet {
			if err := w.l.SetMaxBalance(ctx, a.ID, w.o.Limits.For(u.Tier, a.Currency).MaxBalance); err != nil {
				return err
			}
		}
	}
	return nil
}

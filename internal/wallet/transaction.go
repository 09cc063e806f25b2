package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/money"
)

// Kinds and statuses of transactions.
const (
	KindTopup        = "topup"
	KindPayment      = "payment"
	KindTransferIn   = "transfer_in"
	KindTransferOut  = "transfer_out"
	KindWithdrawal   = "withdrawal"
	KindRefund       = "refund"
	KindFXConversion = "fx_conversion"
	KindRemittance   = "remittance"

	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusReversed  = "reversed"
)

// The closed sets of the API, as the server checks them; the OpenAPI document lists them
// as enums from here, so the two cannot drift.
var (
	Kinds       = []string{KindTopup, KindPayment, KindTransferIn, KindTransferOut, KindWithdrawal, KindRefund, KindFXConversion, KindRemittance}
	Statuses    = []string{StatusPending, StatusSucceeded, StatusFailed, StatusReversed}
	SourceTypes = []string{"bank_transfer", "card"} // a top-up's source.type
)

// Counterparty is the other side of a transaction.
type Counterparty struct {
	Type string `json:"type"` // user | merchant | bank | card | fx | recipient
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
}

// BankAccount is where a withdrawal or remittance is paid.
type BankAccount struct {
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
	HolderName    string `json:"holder_name"`
	Country       string `json:"country,omitempty"`
}

// Details are the kind-specific facts of a transaction.
type Details struct {
	OrderRef    string        `json:"order_ref,omitempty"`
	Note        string        `json:"note,omitempty"`
	Source      *Source       `json:"source,omitempty"`
	BankAccount *BankAccount  `json:"bank_account,omitempty"`
	FX          *FXDetails    `json:"fx,omitempty"`
	Reason      string        `json:"reason,omitempty"` // of a refund
	Gross       *money.Amount `json:"gross,omitempty"`  // merchant side of a payment: what the payer paid
}

// FXDetails records the rate a conversion or remittance used.
type FXDetails struct {
	QuoteID string       `json:"quote_id"`
	Rate    string       `json:"rate"`
	Receive money.Amount `json:"receive"`
}

// Source is where top-up money came from.
type Source struct {
	Type      string `json:"type"` // bank_transfer | card
	Reference string `json:"reference"`
}

// Transaction is one owner's view of a money movement.
type Transaction struct {
	ID            string         `json:"id"`
	Kind          string         `json:"kind"`
	Status        string         `json:"status"`
	Amount        int64          `json:"amount"`
	Currency      string         `json:"currency"`
	Fee           money.Amount   `json:"fee"`
	Counterparty  Counterparty   `json:"counterparty"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	FailureCode   string         `json:"failure_code,omitempty"`
	FailureReason string         `json:"failure_reason,omitempty"`
	FailureParams map[string]any `json:"-"`
	Refunds       []Refund       `json:"refunds"`
	Refunded      int64          `json:"refunded_amount"`
	RelatedID     string         `json:"related_id,omitempty"`
	Details

	owner       string
	requestHash string
}

// Refund is a refund of a payment as listed on it.
type Refund struct {
	ID        string    `json:"id"`
	Amount    int64     `json:"amount"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// Localize fills FailureReason in locale ("en" or "zh-CN").
func (t *Transaction) Localize(locale string) {
	if t.FailureCode != "" {
		t.FailureReason = Reason(locale, t.FailureCode, t.FailureParams)
	}
}

// failure is the error a failed transaction was answered with, for replays.
func (t Transaction) failure() error {
	if t.Status != StatusFailed || t.FailureCode == "" {
		return nil
	}
	return explain(&fault.Error{Code: t.FailureCode, Msg: Reason("en", t.FailureCode, t.FailureParams), Fields: t.FailureParams})
}

// record is a transaction about to be written.
type record struct {
	owner, id, kind, status string
	amount                  int64
	currency                string
	fee                     int64
	counterparty            Counterparty
	details                 Details
	relatedID, transferID   string
	key, hash               string
	failureCode             string
	failureParams           map[string]any
	settleAfter             int64
	at                      time.Time
}

func (r record) row() db.Row {
	cp, _ := json.Marshal(r.counterparty)
	det, _ := json.Marshal(r.details)
	fp := []byte("{}")
	if len(r.failureParams) > 0 {
		fp, _ = json.Marshal(r.failureParams)
	}
	var key any
	if r.key != "" {
		key = r.key
	}
	us := r.at.UnixMicro()
	return db.Row{Table: "wallet_transactions",
		Cols: []string{"owner", "id", "kind", "status", "amount", "currency", "fee", "counterparty", "details", "related_id",
			"transfer_id", "idem_key", "request_hash", "failure_code", "failure_params", "settle_after", "created_at", "updated_at"},
		Vals: []any{r.owner, r.id, r.kind, r.status, r.amount, r.currency, r.fee, string(cp), string(det), r.relatedID,
			r.transferID, key, r.hash, r.failureCode, string(fp), r.settleAfter, us, us},
	}
}

// failed returns the record as a failed attempt with reason.
func (r record) failed(reason *fault.Error) record {
	r.status = StatusFailed
	r.failureCode = reason.Code
	r.failureParams = reason.Fields
	r.settleAfter = 0
	return r
}

const txCols = `owner, id, kind, status, amount, currency, fee, counterparty, details, related_id,
	request_hash, failure_code, failure_params, created_at, updated_at`

func scanTx(sc interface{ Scan(...any) error }) (Transaction, error) {
	var t Transaction
	var cp, det, fp string
	var created, updated int64
	err := sc.Scan(&t.owner, &t.ID, &t.Kind, &t.Status, &t.Amount, &t.Currency, &t.Fee.Amount, &cp, &det, &t.RelatedID,
		&t.requestHash, &t.FailureCode, &fp, &created, &updated)
	if err != nil {
		return t, err
	}
	t.Fee.Currency = t.Currency
	t.CreatedAt, t.UpdatedAt = time.UnixMicro(created).UTC(), time.UnixMicro(updated).UTC()
	_ = json.Unmarshal([]byte(cp), &t.Counterparty)
	_ = json.Unmarshal([]byte(det), &t.Details)
	if fp != "{}" && fp != "" {
		_ = json.Unmarshal([]byte(fp), &t.FailureParams)
	}
	t.Refunds = []Refund{}
	return t, nil
}

func (w *Wallet) byKey(ctx context.Context, owner, key string) (Transaction, error) {
	// A reader sees every commit made before its read began, and the first request with a
	// key has committed before a duplicate in this process stops waiting for it.
	t, err := scanTx(w.db.QueryRow(ctx, "SELECT "+txCols+" FROM wallet_transactions WHERE owner = ? AND idem_key = ?", owner, key))
	if err != nil {
		return Transaction{}, db.NotFound(err)
	}
	return t, w.withRefunds(ctx, &t)
}

// Transaction returns one of the owner's transactions; another owner's is not found.
func (w *Wallet) transaction(ctx context.Context, owner, id string) (Transaction, error) {
	t, err := scanTx(w.db.QueryRow(ctx, "SELECT "+txCols+" FROM wallet_transactions WHERE owner = ? AND id = ?", owner, id))
	if err != nil {
		if err = db.NotFound(err); err == db.ErrNotFound {
			return Transaction{}, ErrNotFound.Saying(fault.MsgTransactionNotFound)
		}
		return Transaction{}, fmt.Errorf("transaction %s: %w", id, err)
	}
	return t, w.withRefunds(ctx, &t)
}

// withRefunds lists the refunds of a payment and the amount refunded so far.
func (w *Wallet) withRefunds(ctx context.Context, t *Transaction) error {
	items := []Transaction{*t}
	if err := w.withRefundsOf(ctx, t.owner, items); err != nil {
		return err
	}
	*t = items[0]
	return nil
}

// withRefundsOf fills the refunds of the payments among items with one query.
func (w *Wallet) withRefundsOf(ctx context.Context, owner string, items []Transaction) error {
	idx := map[string]int{}
	var args []any
	for i, t := range items {
		if t.Kind == KindPayment {
			idx[t.ID] = i
			args = append(args, t.ID)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	// Found through the related-payment index; both sides of a refund name the payment, so
	// the owner is picked here rather than in SQL (where it would tempt the planner to scan
	// all of the owner's transactions).
	rows, err := w.db.Query(ctx, `SELECT owner, related_id, id, amount, status, created_at FROM wallet_transactions
		WHERE related_id <> '' AND related_id IN (`+strings.TrimSuffix(strings.Repeat("?,", len(idx)), ",")+`) AND kind = 'refund' ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("refunds of %s: %w", owner, err)
	}
	defer rows.Close()
	for rows.Next() {
		var own, rel string
		var r Refund
		var created int64
		if err := rows.Scan(&own, &rel, &r.ID, &r.Amount, &r.Status, &created); err != nil {
			return fmt.Errorf("refunds of %s: %w", owner, err)
		}
		if own != owner {
			continue
		}
		r.CreatedAt = time.UnixMicro(created).UTC()
		t := &items[idx[rel]]
		if r.Status == StatusSucceeded {
			t.Refunded += r.Amount
		}
		t.Refunds = append(t.Refunds, r)
	}
	return rows.Err()
}

// Filter narrows a transaction listing.
type Filter struct {
	Kind, Status string
	Cursor       string // id of the last item of the previous page
	Limit        int
}

// Page is one page of a listing.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (w *Wallet) list(ctx context.Context, owner string, f Filter) (Page[Transaction], error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where strings.Builder
	args := []any{owner}
	where.WriteString("owner = ?")
	if f.Kind != "" {
		where.WriteString(" AND kind = ?")
		args = append(args, f.Kind)
	}
	if f.Status != "" {
		where.WriteString(" AND status = ?")
		args = append(args, f.Status)
	}
	if f.Cursor != "" {
		where.WriteString(" AND id < ?")
		args = append(args, f.Cursor)
	}
	args = append(args, f.Limit+1)
	rows, err := w.db.Query(ctx, "SELECT "+txCols+" FROM wallet_transactions WHERE "+where.String()+" ORDER BY id DESC LIMIT ?", args...)
	if err != nil {
		return Page[Transaction]{}, fmt.Errorf("list transactions of %s: %w", owner, err)
	}
	page := Page[Transaction]{Items: []Transaction{}}
	for rows.Next() {
		t, err := scanTx(rows)
		if err != nil {
			rows.Close()
			return page, fmt.Errorf("list transactions of %s: %w", owner, err)
		}
		page.Items = append(page.Items, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		next := page.Items[f.Limit-1].ID
		page.NextCursor = &next
	}
	if err := w.withRefundsOf(ctx, owner, page.Items); err != nil {
		return page, err
	}
	return page, nil
}

// Transactions lists a user's transactions, newest first, failed attempts included.
func (w *Wallet) Transactions(ctx context.Context, userID string, f Filter) (Page[Transaction], error) {
	return w.list(ctx, userOwner(userID), f)
}

// Transaction returns one of the user's transactions.
func (w *Wallet) Transaction(ctx context.Context, userID, id string) (Transaction, error) {
	return w.transaction(ctx, userOwner(userID), id)
}

package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/id"
	"github.com/dompet/dompet/internal/ledger"
	"github.com/dompet/dompet/internal/money"
)

// MerchantCall is a merchant's request under an idempotency key.
type MerchantCall struct {
	MerchantID string
	Key, Hash  string
}

// RefundInput is a merchant's refund of a payment.
type RefundInput struct {
	PaymentID string `json:"payment_id"`
	Amount    int64  `json:"amount"`
	Reason    string `json:"reason"`
}

// Refund returns part or all of a payment from the merchant to the payer. The total refunded
// never exceeds the payment, however many refunds race: the ledger counts them.
func (w *Wallet) Refund(ctx context.Context, mc MerchantCall, in RefundInput) (Transaction, error) {
	var v fault.Validation
	checkKey(mc.Key, &v)
	v.Check(in.PaymentID != "", "payment_id", "is required")
	v.Check(in.Amount > 0, "amount", "must be a positive integer in minor units")
	n := utf8.RuneCountInString(strings.TrimSpace(in.Reason))
	v.Check(n >= 1 && utf8.RuneCountInString(in.Reason) <= 500, "reason", "is required, at most 500 characters")
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	owner := merchantOwner(mc.MerchantID)
	return w.once(ctx, owner, Call{Key: mc.Key, Hash: mc.Hash}, func() (Transaction, error) {
		return w.refund(ctx, mc.MerchantID, in, mc.Key, mc.Hash, "")
	})
}

// refund moves a refund; key and hash are the merchant's idempotency key (or empty when
// the ledger key is derived from a refund request).
func (w *Wallet) refund(ctx context.Context, merchantID string, in RefundInput, key, hash, requestID string) (Transaction, error) {
	owner := merchantOwner(merchantID)
	pay, err := w.transaction(ctx, owner, in.PaymentID)
	if err != nil || pay.Kind != KindPayment || pay.Status != StatusSucceeded {
		return Transaction{}, ErrNotFound.Because("payment not found")
	}
	userID := pay.Counterparty.ID
	txID, at := w.stamp()
	rec := record{owner: owner, id: txID, kind: KindRefund, status: StatusSucceeded, amount: in.Amount,
		currency: pay.Currency, counterparty: pay.Counterparty, relatedID: pay.ID, key: key, hash: hash, at: at,
		details: Details{Reason: in.Reason, OrderRef: pay.OrderRef}}
	if in.Amount > pay.Amount-pay.Refunded {
		return w.fail(ctx, rec, ErrRefundNotAllowed.With("refundable", pay.Amount-pay.Refunded, "currency", pay.Currency), true)
	}
	macct, err := w.merchantAccount(ctx, merchantID, pay.Currency)
	if err != nil {
		return Transaction{}, err
	}
	uacct, err := w.l.Ensure(ctx, ledger.Spec{Owner: userOwner(userID), Kind: ledger.KindWallet, Currency: pay.Currency, NoOverdraft: true})
	if err != nil {
		return Transaction{}, err
	}
	urec := rec
	urec.owner, urec.key, urec.hash = userOwner(userID), "", ""
	name, _ := w.o.Merchants.Name(ctx, merchantID)
	urec.counterparty = Counterparty{Type: "merchant", ID: merchantID, Name: name}
	ev, ok, err := w.o.Merchants.EventRow(ctx, merchantID, "refund.succeeded", map[string]any{
		"refund_id": rec.id, "payment_id": pay.ID, "amount": in.Amount, "currency": pay.Currency,
		"reason": in.Reason, "refund_request_id": requestID, "created_at": rec.at.UTC()})
	if err != nil {
		return Transaction{}, fmt.Errorf("refund %s: %w", pay.ID, err)
	}
	m := movement{rec: rec, others: []record{urec}, self: macct, selfID: merchantID, amount: money.New(in.Amount, pay.Currency),
		transfer: ledger.Transfer{Code: KindRefund,
			Postings: []ledger.Posting{{Debit: macct, Credit: uacct, Amount: in.Amount, Currency: pay.Currency}},
			Usage:    []ledger.Usage{{Key: "refund:" + pay.ID, Amount: in.Amount, Max: pay.Amount}}}}
	if ok {
		m.extra = append(m.extra, ev)
	}
	if requestID != "" { // one refund per request, however often it is approved
		// A refund the ledger refused keeps its key (a replay answers the refusal), so the
		// next approval of the request gets a key of its own, numbered by the refusals.
		prefix := "request:" + requestID
		var refused int
		err := w.db.QueryRow(ctx, `SELECT COUNT(*) FROM wallet_transactions WHERE owner = ? AND related_id <> '' AND related_id = ? AND status = ?
			AND (idem_key = ? OR (idem_key > ? AND idem_key < ?))`, owner, pay.ID, StatusFailed, prefix, prefix+":", prefix+";").Scan(&refused)
		if err != nil {
			return Transaction{}, fmt.Errorf("refund request %s: count refusals: %w", requestID, err)
		}
		m.rec.key = prefix
		if refused > 0 {
			m.rec.key = fmt.Sprintf("%s:%d", prefix, refused)
		}
	}
	tx, err := w.move(ctx, m)
	if err == nil && ok {
		w.o.Merchants.Notify()
	}
	return tx, err
}

// Refund request statuses.
const (
	RequestSubmitted = "submitted"
	RequestApproved  = "approved"
	RequestRejected  = "rejected"
	RequestRefunded  = "refunded"
)

// RefundRequest is a user's request to be refunded, decided by the merchant.
type RefundRequest struct {
	ID             string     `json:"id"`
	TransactionID  string     `json:"transaction_id"`
	MerchantID     string     `json:"merchant_id"`
	UserID         string     `json:"user_id"`
	Amount         int64      `json:"amount"`
	Currency       string     `json:"currency"`
	Status         string     `json:"status"`
	Reason         string     `json:"reason"`
	DecisionReason string     `json:"decision_reason,omitempty"`
	AttachmentIDs  []string   `json:"attachment_ids"`
	RefundID       string     `json:"refund_id,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	DecidedAt      *time.Time `json:"decided_at,omitempty"`
	ExpectedBy     time.Time  `json:"expected_by"`
}

// RefundRequestInput is what a user submits.
type RefundRequestInput struct {
	TransactionID string   `json:"transaction_id"`
	Amount        int64    `json:"amount"`
	Reason        string   `json:"reason"`
	AttachmentIDs []string `json:"attachment_ids,omitempty"`
}

// RequestRefund files a refund request on one of the user's payments, with evidence, and
// tells the merchant.
func (w *Wallet) RequestRefund(ctx context.Context, u Party, in RefundRequestInput) (RefundRequest, error) {
	var v fault.Validation
	v.Check(in.TransactionID != "", "transaction_id", "is required")
	v.Check(in.Amount > 0, "amount", "must be a positive integer in minor units")
	n := utf8.RuneCountInString(strings.TrimSpace(in.Reason))
	v.Check(n >= 1 && n <= 1000, "reason", "is required, at most 1000 characters")
	v.Check(len(in.AttachmentIDs) <= 10, "attachment_ids", "at most 10 attachments")
	if err := v.Err(); err != nil {
		return RefundRequest{}, err
	}
	pay, err := w.Transaction(ctx, u.ID, in.TransactionID)
	if err != nil {
		return RefundRequest{}, err
	}
	if pay.Kind != KindPayment || pay.Status != StatusSucceeded {
		return RefundRequest{}, ErrRefundNotAllowed.Because("only a successful payment to a merchant can be refunded")
	}
	if in.Amount > pay.Amount-pay.Refunded {
		return RefundRequest{}, ErrRefundNotAllowed.With("refundable", pay.Amount-pay.Refunded, "currency", pay.Currency)
	}
	for _, a := range in.AttachmentIDs {
		if err := w.ownsAttachment(ctx, userOwner(u.ID), a); err != nil {
			return RefundRequest{}, err
		}
	}
	now := w.now()
	rr := RefundRequest{ID: id.New("rfr"), TransactionID: pay.ID, MerchantID: pay.Counterparty.ID, UserID: u.ID,
		Amount: in.Amount, Currency: pay.Currency, Status: RequestSubmitted, Reason: strings.TrimSpace(in.Reason),
		AttachmentIDs: append([]string{}, in.AttachmentIDs...), CreatedAt: now.UTC().Truncate(time.Microsecond),
		ExpectedBy: now.Add(w.o.RefundSLA).UTC().Truncate(time.Second)}
	ev, ok, err := w.o.Merchants.EventRow(ctx, rr.MerchantID, "refund_request.created", rr)
	if err != nil {
		return RefundRequest{}, fmt.Errorf("refund request: %w", err)
	}
	atts, _ := json.Marshal(rr.AttachmentIDs)
	err = w.db.WithTx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows := []db.Row{{Table: "wallet_refund_requests",
			Cols: []string{"id", "user_id", "merchant_id", "transaction_id", "amount", "currency", "reason", "attachment_ids", "status", "created_at", "expected_by"},
			Vals: []any{rr.ID, u.ID, rr.MerchantID, rr.TransactionID, rr.Amount, rr.Currency, rr.Reason, string(atts), rr.Status, now.UnixMicro(), rr.ExpectedBy.UnixMicro()}}}
		if ok {
			rows = append(rows, ev)
		}
		return tx.InsertRows(ctx, rows)
	})
	if err != nil {
		return RefundRequest{}, fmt.Errorf("refund request: %w", err)
	}
	if ok {
		w.o.Merchants.Notify()
	}
	return rr, nil
}

const rrCols = `id, transaction_id, merchant_id, user_id, amount, currency, status, reason, decision_reason, attachment_ids,
	refund_id, created_at, decided_at, expected_by`

func scanRR(sc interface{ Scan(...any) error }) (RefundRequest, error) {
	var r RefundRequest
	var atts string
	var created, decided, expected int64
	err := sc.Scan(&r.ID, &r.TransactionID, &r.MerchantID, &r.UserID, &r.Amount, &r.Currency, &r.Status, &r.Reason,
		&r.DecisionReason, &atts, &r.RefundID, &created, &decided, &expected)
	if err != nil {
		return r, err
	}
	_ = json.Unmarshal([]byte(atts), &r.AttachmentIDs)
	if r.AttachmentIDs == nil {
		r.AttachmentIDs = []string{}
	}
	r.CreatedAt, r.ExpectedBy = time.UnixMicro(created).UTC(), time.UnixMicro(expected).UTC()
	if decided > 0 {
		d := time.UnixMicro(decided).UTC()
		r.DecidedAt = &d
	}
	return r, nil
}

func (w *Wallet) refundRequests(ctx context.Context, col, owner string, f Filter) (Page[RefundRequest], error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := "SELECT " + rrCols + " FROM wallet_refund_requests WHERE " + col + " = ?"
	args := []any{owner}
	if f.Status != "" {
		q += " AND status = ?"
		args = append(args, f.Status)
	}
	if f.Cursor != "" {
		q += " AND id < ?"
		args = append(args, f.Cursor)
	}
	args = append(args, f.Limit+1)
	rows, err := w.db.Query(ctx, q+" ORDER BY id DESC LIMIT ?", args...)
	if err != nil {
		return Page[RefundRequest]{}, fmt.Errorf("list refund requests: %w", err)
	}
	defer rows.Close()
	page := Page[RefundRequest]{Items: []RefundRequest{}}
	for rows.Next() {
		r, err := scanRR(rows)
		if err != nil {
			return page, fmt.Errorf("list refund requests: %w", err)
		}
		page.Items = append(page.Items, r)
	}
	if len(page.Items) > f.Limit {
		page.Items = page.Items[:f.Limit]
		next := page.Items[f.Limit-1].ID
		page.NextCursor = &next
	}
	return page, rows.Err()
}

// RefundRequests lists a user's refund requests, newest first.
func (w *Wallet) RefundRequests(ctx context.Context, userID string, f Filter) (Page[RefundRequest], error) {
	return w.refundRequests(ctx, "user_id", userID, f)
}

// MerchantRefundRequests lists the refund requests a merchant has to decide or decided.
func (w *Wallet) MerchantRefundRequests(ctx context.Context, merchantID string, f Filter) (Page[RefundRequest], error) {
	return w.refundRequests(ctx, "merchant_id", merchantID, f)
}

// RefundRequest returns one of the user's refund requests.
func (w *Wallet) RefundRequest(ctx context.Context, userID, requestID string) (RefundRequest, error) {
	r, err := scanRR(w.db.QueryRow(ctx, "SELECT "+rrCols+" FROM wallet_refund_requests WHERE id = ? AND user_id = ?", requestID, userID))
	if err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return r, ErrNotFound.Because("refund request not found")
		}
		return r, fmt.Errorf("refund request %s: %w", requestID, err)
	}
	return r, nil
}

// Decision is a merchant's answer to a refund request.
type Decision struct {
	Decision string `json:"decision"` // approve | reject
	Reason   string `json:"reason" doc:"why, shown to the customer; required for both decisions"`
}

// DecideRefundRequest approves (and refunds at once) or rejects a refund request. Approving
// again after a failed refund retries it; the refund is made at most once.
func (w *Wallet) DecideRefundRequest(ctx context.Context, merchantID, requestID string, d Decision) (RefundRequest, error) {
	var v fault.Validation
	v.Check(d.Decision == "approve" || d.Decision == "reject", "decision", "must be approve or reject")
	n := utf8.RuneCountInString(strings.TrimSpace(d.Reason))
	v.Check(n >= 1 && utf8.RuneCountInString(d.Reason) <= 500, "reason", "is required, at most 500 characters")
	if err := v.Err(); err != nil {
		return RefundRequest{}, err
	}
	get := func() (RefundRequest, error) {
		r, err := scanRR(w.db.W.QueryRowContext(ctx, w.db.Rebind("SELECT "+rrCols+" FROM wallet_refund_requests WHERE id = ? AND merchant_id = ?"), requestID, merchantID))
		if err != nil {
			if db.NotFound(err) == db.ErrNotFound {
				return r, ErrNotFound.Because("refund request not found")
			}
			return r, fmt.Errorf("refund request %s: %w", requestID, err)
		}
		return r, nil
	}
	now := w.now().UnixMicro()
	if d.Decision == "reject" {
		res, err := w.db.Exec(ctx, `UPDATE wallet_refund_requests SET status = 'rejected', decision_reason = ?, decided_at = ?
			WHERE id = ? AND merchant_id = ? AND status = 'submitted'`, strings.TrimSpace(d.Reason), now, requestID, merchantID)
		if err != nil {
			return RefundRequest{}, fmt.Errorf("reject refund request %s: %w", requestID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := get(); err != nil {
				return RefundRequest{}, err
			}
			return RefundRequest{}, ErrInvalidState.Because("the refund request was already decided")
		}
		return get()
	}
	// Only one approval wins the request. An approval left behind by a crash before its
	// refund (approved for over a minute, not refunded) may be taken over: the refund's
	// ledger key makes sure it is paid once.
	res, err := w.db.Exec(ctx, `UPDATE wallet_refund_requests SET status = 'approved', decision_reason = ?, decided_at = ?
		WHERE id = ? AND merchant_id = ? AND (status = 'submitted' OR (status = 'approved' AND decided_at < ?))`,
		strings.TrimSpace(d.Reason), now, requestID, merchantID, now-time.Minute.Microseconds())
	if err != nil {
		return RefundRequest{}, fmt.Errorf("approve refund request %s: %w", requestID, err)
	}
	r, err := get()
	if err != nil {
		return RefundRequest{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return RefundRequest{}, ErrInvalidState.Because("the refund request is already " + r.Status)
	}
	tx, err := w.refund(ctx, merchantID, RefundInput{PaymentID: r.TransactionID, Amount: r.Amount, Reason: r.Reason}, "", "", r.ID)
	if err != nil {
		if fault.Code(err) != "" && !errors.Is(err, ErrIdempotencyConflict) {
			// The money could not move (e.g. more than is left to refund): the request
			// goes back to the merchant's queue with the reason.
			_, _ = w.db.Exec(ctx, "UPDATE wallet_refund_requests SET status = 'submitted', decided_at = 0 WHERE id = ? AND status = 'approved'", requestID)
		}
		return RefundRequest{}, err
	}
	if _, err := w.db.Exec(ctx, "UPDATE wallet_refund_requests SET status = 'refunded', refund_id = ? WHERE id = ? AND status = 'approved'", tx.ID, requestID); err != nil {
		return RefundRequest{}, fmt.Errorf("refund request %s refunded: %w", requestID, err)
	}
	return get()
}

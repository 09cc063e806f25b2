package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
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
	v.Check(in.PaymentID != "", "payment_id", fault.MsgRequired)
	v.Check(in.Amount > 0, "amount", fault.MsgPositiveAmount)
	n := utf8.RuneCountInString(strings.TrimSpace(in.Reason))
	v.Check(n >= 1 && utf8.RuneCountInString(in.Reason) <= 500, "reason", fault.MsgRequiredMax, 500)
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	owner := merchantOwner(mc.MerchantID)
	return w.once(ctx, owner, Call{Key: mc.Key, Hash: mc.Hash}, func() (Transaction, error) {
		return w.refund(ctx, mc.MerchantID, in, mc.Key, mc.Hash, nil)
	})
}

// approval is a refund request being approved, whose refund carries the request's new state.
type approval struct {
	request                   RefundRequest
	reason                    string
	decisionKey, decisionHash string
}

// refund moves a refund under the merchant's idempotency key and hash. With a, the refund
// approves a refund request: the request becomes refunded in the refund's own database
// transaction, or, if another decision came first, the refund is refused (invalid_state).
func (w *Wallet) refund(ctx context.Context, merchantID string, in RefundInput, key, hash string, a *approval) (Transaction, error) {
	owner := merchantOwner(merchantID)
	pay, err := w.transaction(ctx, owner, in.PaymentID)
	if err != nil || pay.Kind != KindPayment || pay.Status != StatusSucceeded {
		return Transaction{}, ErrNotFound.Saying(fault.MsgPaymentNotFound)
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
		"reason": in.Reason, "refund_request_id": approvedRequest(a), "created_at": rec.at.UTC()})
	if err != nil {
		return Transaction{}, fmt.Errorf("refund %s: %w", pay.ID, err)
	}
	m := movement{rec: rec, others: []record{urec}, self: macct, selfID: merchantID, amount: money.New(in.Amount, pay.Currency),
		receipts: []Receipt{receiptOf(ReceiptRefundReceived, urec)},
		transfer: ledger.Transfer{Code: KindRefund,
			Postings: []ledger.Posting{{Debit: macct, Credit: uacct, Amount: in.Amount, Currency: pay.Currency}},
			Usage:    []ledger.Usage{{Key: refundKey(pay.ID), Amount: in.Amount, Max: pay.Amount}}}}
	if ok {
		m.extra = append(m.extra, ev)
	}
	if a != nil { // one refund per request, however often it is approved
		m.transfer.Updates = []ledger.Update{{
			SQL: `UPDATE wallet_refund_requests SET status = 'refunded', refund_id = ?, decision_reason = ?, decided_at = ?,
				decision_key = ?, decision_hash = ? WHERE id = ? AND merchant_id = ? AND status = 'submitted'`,
			Args:   []any{rec.id, a.reason, rec.at.UnixMicro(), a.decisionKey, a.decisionHash, a.request.ID, merchantID},
			Reject: errRequestDecided.With("refund_request", a.request.ID)}}
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

// RequestStatuses are the statuses of a refund request.
var RequestStatuses = []string{RequestSubmitted, RequestApproved, RequestRejected, RequestRefunded}

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

	decisionKey, decisionHash string // the merchant's Idempotency-Key of the decision, and its request
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
	v.Check(in.TransactionID != "", "transaction_id", fault.MsgRequired)
	v.Check(in.Amount > 0, "amount", fault.MsgPositiveAmount)
	n := utf8.RuneCountInString(strings.TrimSpace(in.Reason))
	v.Check(n >= 1 && n <= 1000, "reason", fault.MsgRequiredMax, 1000)
	v.Check(len(in.AttachmentIDs) <= 10, "attachment_ids", fault.MsgAtMostAttachments, 10)
	if err := v.Err(); err != nil {
		return RefundRequest{}, err
	}
	pay, err := w.Transaction(ctx, u.ID, in.TransactionID)
	if err != nil {
		return RefundRequest{}, err
	}
	if pay.Kind != KindPayment || pay.Status != StatusSucceeded {
		return RefundRequest{}, ErrRefundNotAllowed.Saying(fault.MsgRefundOnlyPayment)
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
		if err := w.checkRefundable(ctx, tx, u.ID, pay, in.Amount); err != nil {
			return err
		}
		rows := []db.Row{{Table: "wallet_refund_requests",
			Cols: []string{"id", "user_id", "merchant_id", "transaction_id", "amount", "currency", "reason", "attachment_ids", "status", "created_at", "expected_by"},
			Vals: []any{rr.ID, u.ID, rr.MerchantID, rr.TransactionID, rr.Amount, rr.Currency, rr.Reason, string(atts), rr.Status, now.UnixMicro(), rr.ExpectedBy.UnixMicro()}}}
		if ok {
			rows = append(rows, ev)
		}
		return tx.InsertRows(ctx, rows)
	})
	if _, isFault := fault.As(err); isFault {
		return RefundRequest{}, err
	}
	if err != nil {
		return RefundRequest{}, fmt.Errorf("refund request: %w", err)
	}
	if ok {
		w.o.Merchants.Notify()
	}
	return rr, nil
}

// checkRefundable refuses, inside the transaction that would file it, a request for more than
// what is left of the payment: its amount less what was refunded and less the requests still
// open. The payment's row is locked first (PostgreSQL; SQLite's write transactions are one at a
// time), so two requests racing on one payment are counted one after the other.
func (w *Wallet) checkRefundable(ctx context.Context, tx *db.Tx, userID string, pay Transaction, amount int64) error {
	var paid, refunded, open int64
	err := tx.QueryRow(ctx, "SELECT amount FROM wallet_transactions WHERE owner = ? AND id = ?"+tx.ForUpdate(), userOwner(userID), pay.ID).Scan(&paid)
	if err != nil {
		return fmt.Errorf("lock payment %s: %w", pay.ID, err)
	}
	err = tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM wallet_transactions
		WHERE related_id = ? AND kind = 'refund' AND status = 'succeeded' AND owner = ?`, pay.ID, userOwner(userID)).Scan(&refunded)
	if err != nil {
		return fmt.Errorf("refunds of %s: %w", pay.ID, err)
	}
	err = tx.QueryRow(ctx, `SELECT COALESCE(SUM(amount), 0) FROM wallet_refund_requests
		WHERE transaction_id = ? AND status IN ('submitted', 'approved')`, pay.ID).Scan(&open)
	if err != nil {
		return fmt.Errorf("open refund requests of %s: %w", pay.ID, err)
	}
	if left := paid - refunded - open; amount > left {
		return ErrRefundNotAllowed.With("refundable", max(left, 0), "currency", pay.Currency).
			Because("the amount is more than what is left of the payment once the refunds made and the requests still open are counted")
	}
	return nil
}

const rrCols = `id, transaction_id, merchant_id, user_id, amount, currency, status, reason, decision_reason, attachment_ids,
	refund_id, created_at, decided_at, expected_by, decision_key, decision_hash`

func scanRR(sc interface{ Scan(...any) error }) (RefundRequest, error) {
	var r RefundRequest
	var atts string
	var created, decided, expected int64
	err := sc.Scan(&r.ID, &r.TransactionID, &r.MerchantID, &r.UserID, &r.Amount, &r.Currency, &r.Status, &r.Reason,
		&r.DecisionReason, &atts, &r.RefundID, &created, &decided, &expected, &r.decisionKey, &r.decisionHash)
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
			return r, ErrNotFound.Saying(fault.MsgRefundRequestNotFound)
		}
		return r, fmt.Errorf("refund request %s: %w", requestID, err)
	}
	return r, nil
}

// approvedRequest is the id of the request a approves, or "".
func approvedRequest(a *approval) string {
	if a == nil {
		return ""
	}
	return a.request.ID
}

// errRequestDecided refuses a decision on a refund request that is no longer submitted.
var errRequestDecided = ErrInvalidState.Saying(fault.MsgRequestDecided)

// Decisions are the values of Decision.Decision.
var Decisions = []string{"approve", "reject"}

// Decision is a merchant's answer to a refund request.
type Decision struct {
	Decision string `json:"decision"` // approve | reject
	Reason   string `json:"reason" doc:"why, shown to the customer; required for both decisions"`
}

// DecideRefundRequest approves (and refunds at once) or rejects a refund request under the
// merchant's idempotency key: the same key and decision answer as the first time. An approval
// whose refund is refused (the merchant lacks the money, say) leaves the request as it was,
// submitted, so it can be approved again under a new key; the refund is made at most once.
func (w *Wallet) DecideRefundRequest(ctx context.Context, mc MerchantCall, requestID string, d Decision) (RefundRequest, error) {
	var v fault.Validation
	checkKey(mc.Key, &v)
	v.Check(slices.Contains(Decisions, d.Decision), "decision", fault.MsgDecision)
	n := utf8.RuneCountInString(strings.TrimSpace(d.Reason))
	v.Check(n >= 1 && utf8.RuneCountInString(d.Reason) <= 500, "reason", fault.MsgRequiredMax, 500)
	if err := v.Err(); err != nil {
		return RefundRequest{}, err
	}
	merchantID := mc.MerchantID
	get := func() (RefundRequest, error) {
		r, err := scanRR(w.db.W.QueryRowContext(ctx, w.db.Rebind("SELECT "+rrCols+" FROM wallet_refund_requests WHERE id = ? AND merchant_id = ?"), requestID, merchantID))
		if err != nil {
			if db.NotFound(err) == db.ErrNotFound {
				return r, ErrNotFound.Saying(fault.MsgRefundRequestNotFound)
			}
			return r, fmt.Errorf("refund request %s: %w", requestID, err)
		}
		return r, nil
	}
	r, err := get()
	if err != nil {
		return RefundRequest{}, err
	}
	// The key names this request's decision: the same key on another request is a conflict.
	c := Call{Key: mc.Key, Hash: "decision:" + requestID + ":" + mc.Hash}
	if r.decisionKey == c.Key { // decided under this key: a decided request stays as it is
		if r.decisionHash != c.Hash {
			return RefundRequest{}, ErrIdempotencyConflict
		}
		return r, nil
	}
	_, err = w.once(ctx, merchantOwner(merchantID), c, func() (Transaction, error) {
		r, err := get()
		if err != nil {
			return Transaction{}, err
		}
		if r.Status != RequestSubmitted {
			return Transaction{}, ErrInvalidState.Saying(fault.MsgRequestAlready, r.Status)
		}
		reason := strings.TrimSpace(d.Reason)
		if d.Decision == "approve" {
			return w.refund(ctx, merchantID, RefundInput{PaymentID: r.TransactionID, Amount: r.Amount, Reason: r.Reason}, c.Key, c.Hash,
				&approval{request: r, reason: reason, decisionKey: c.Key, decisionHash: c.Hash})
		}
		res, err := w.db.Exec(ctx, `UPDATE wallet_refund_requests SET status = 'rejected', decision_reason = ?, decided_at = ?,
			decision_key = ?, decision_hash = ? WHERE id = ? AND merchant_id = ? AND status = 'submitted'`,
			reason, w.now().UnixMicro(), c.Key, c.Hash, requestID, merchantID)
		if err != nil {
			return Transaction{}, fmt.Errorf("reject refund request %s: %w", requestID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return Transaction{}, errRequestDecided
		}
		return Transaction{}, nil
	})
	if err != nil {
		return RefundRequest{}, err
	}
	return get()
}

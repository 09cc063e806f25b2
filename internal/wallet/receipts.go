package wallet

import (
	"strings"
	"time"

	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/money"
)

// Receipt kinds: what a user is told about a money movement of theirs.
const (
	ReceiptPaymentMade       = "payment_made"
	ReceiptTransferSent      = "transfer_sent"
	ReceiptMoneyReceived     = "money_received"
	ReceiptTopupCredited     = "topup_credited"
	ReceiptWithdrawalSettled = "withdrawal_settled"
	ReceiptWithdrawalFailed  = "withdrawal_failed"
	ReceiptRefundReceived    = "refund_received"
	ReceiptFXConverted       = "fx_converted"
	ReceiptRemittanceSent    = "remittance_sent" // accepted, pending with the bank
	ReceiptRemittanceSettled = "remittance_settled"
	ReceiptRemittanceFailed  = "remittance_failed"
)

// Receipt is one user's receipt of one money movement.
type Receipt struct {
	UserID        string
	Kind          string // Receipt…
	TransactionID string // the user's transaction
	Amount        money.Amount
	Fee           int64        // what the user paid on top (or, for a top-up, what was deducted)
	Counterparty  string       // the other side's name, as the transaction shows it
	Receive       money.Amount // fx_converted and remittances: what arrives in the other currency
	FailureCode   string       // withdrawal_failed, remittance_failed: why (see Reason)
	FailureParams map[string]any
	At            time.Time
}

// Receipts turns receipts into rows written in the money's own database transaction (the
// in-app notification and the outbox message that sends it), so that a receipt exists exactly
// when its movement committed. The inbox implements it; nil sends none.
type Receipts interface {
	Rows(r Receipt) ([]db.Row, error)
	Notify() // wakes the outbox after a commit
}

// receiptOf is the receipt of kind for the user owning r.
func receiptOf(kind string, r record) Receipt {
	var receive money.Amount
	if r.details.FX != nil {
		receive = r.details.FX.Receive
	}
	return Receipt{Receive: receive, UserID: strings.TrimPrefix(r.owner, "user:"), Kind: kind, TransactionID: r.id,
		Amount: money.New(r.amount, r.currency), Fee: r.fee, Counterparty: r.counterparty.Name,
		FailureCode: r.failureCode, FailureParams: r.failureParams, At: r.at}
}

// receiptRows returns the rows of rs; none without Options.Receipts.
func (w *Wallet) receiptRows(rs ...Receipt) ([]db.Row, error) {
	if w.o.Receipts == nil {
		return nil, nil
	}
	var rows []db.Row
	for _, r := range rs {
		rr, err := w.o.Receipts.Rows(r)
		if err != nil {
			return nil, err
		}
		rows = append(rows, rr...)
	}
	return rows, nil
}

// receiptsSent wakes the outbox once receipts committed.
func (w *Wallet) receiptsSent() {
	if w.o.Receipts != nil {
		w.o.Receipts.Notify()
	}
}

package wallet

import (
	"context"
	"fmt"
	"math"
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

// Quote purposes.
const (
	PurposeConversion = "conversion"
	PurposeRemittance = "remittance"
)

// Purposes are the purposes a quote may have.
var Purposes = []string{PurposeConversion, PurposeRemittance}

// QuoteInput asks for an exchange-rate quote.
type QuoteInput struct {
	FromCurrency string `json:"from_currency"`
	ToCurrency   string `json:"to_currency"`
	Amount       int64  `json:"amount"`
	Purpose      string `json:"purpose,omitempty"` // conversion (default) or remittance
}

// Quote fixes a rate and fee for a short time.
type Quote struct {
	ID        string       `json:"id"`
	Purpose   string       `json:"purpose"`
	Rate      string       `json:"rate"`
	Amount    money.Amount `json:"amount"`
	Fee       money.Amount `json:"fee"`
	Total     money.Amount `json:"total"`
	Receive   money.Amount `json:"receive"`
	ExpiresAt time.Time    `json:"expires_at"`
	// RemittanceFee is what sending this quote abroad costs instead of converting it (any
	// quote may be used for a remittance; one asked with purpose "remittance" has it as Fee).
	RemittanceFee money.Amount `json:"remittance_fee"`
	userID        string
}

// QuoteFX prices a conversion or remittance of amount from one currency to another.
func (w *Wallet) QuoteFX(ctx context.Context, u Party, in QuoteInput) (Quote, error) {
	if in.Purpose == "" {
		in.Purpose = PurposeConversion
	}
	var v fault.Validation
	v.Check(in.FromCurrency != "", "from_currency", fault.MsgRequired)
	v.Check(in.ToCurrency != "", "to_currency", fault.MsgRequired)
	v.Check(in.Amount > 0, "amount", fault.MsgPositiveAmount)
	v.Check(slices.Contains(Purposes, in.Purpose), "purpose", fault.MsgPurpose)
	v.Check(in.ToCurrency == "" || in.FromCurrency != in.ToCurrency, "to_currency", fault.MsgCurrenciesDiffer)
	if err := v.Err(); err != nil {
		return Quote{}, err
	}
	from, err := w.currency(in.FromCurrency)
	if err != nil {
		return Quote{}, err
	}
	to, err := w.currency(in.ToCurrency)
	if err != nil {
		return Quote{}, err
	}
	rate, err := w.o.Rates.Rate(from.Code, to.Code)
	if err != nil {
		return Quote{}, err
	}
	feeKind := FeeFX
	if in.Purpose == PurposeRemittance {
		feeKind = FeeRemittance
	}
	fee := w.o.Fees.Fee(feeKind, from.Code, in.Amount)
	remitFee := w.o.Fees.Fee(FeeRemittance, from.Code, in.Amount)
	if max(fee, remitFee) > math.MaxInt64-in.Amount { // the total would pass int64, as GET /fees/quote refuses
		return Quote{}, invalidAmount()
	}
	receive, fits := rate.TryConvert(in.Amount, from, to)
	switch {
	case !fits:
		return Quote{}, fault.Invalid("amount", fault.MsgAmountTooLarge)
	case receive <= 0:
		return Quote{}, fault.Invalid("amount", fault.MsgAmountTooSmall)
	}
	now := w.now()
	q := Quote{ID: id.New("quo"), Purpose: in.Purpose, Rate: rate.String(), Amount: money.New(in.Amount, from.Code),
		Fee: money.New(fee, from.Code), Total: money.New(in.Amount+fee, from.Code), Receive: money.New(receive, to.Code),
		ExpiresAt: now.Add(w.o.QuoteTTL).UTC().Truncate(time.Second), userID: u.ID,
		RemittanceFee: money.New(remitFee, from.Code)}
	_, err = w.db.Exec(ctx, `INSERT INTO wallet_fx_quotes (id, user_id, purpose, from_currency, to_currency, amount, rate, fee, receive, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, q.ID, u.ID, q.Purpose, from.Code, to.Code, in.Amount, q.Rate, fee, receive, q.ExpiresAt.UnixMicro(), now.UnixMicro())
	if err != nil {
		return Quote{}, fmt.Errorf("store quote: %w", err)
	}
	return q, nil
}

func (w *Wallet) quote(ctx context.Context, userID, quoteID string) (Quote, error) {
	var q Quote
	var from, to string
	var amount, fee, receive, expires int64
	err := w.db.QueryRow(ctx, `SELECT id, user_id, purpose, from_currency, to_currency, amount, rate, fee, receive, expires_at
		FROM wallet_fx_quotes WHERE id = ? AND user_id = ?`, quoteID, userID).
		Scan(&q.ID, &q.userID, &q.Purpose, &from, &to, &amount, &q.Rate, &fee, &receive, &expires)
	if err != nil {
		if db.NotFound(err) == db.ErrNotFound {
			return Quote{}, ErrNotFound.Saying(fault.MsgQuoteNotFound)
		}
		return Quote{}, fmt.Errorf("quote %s: %w", quoteID, err)
	}
	q.Amount, q.Fee, q.Total, q.Receive = money.New(amount, from), money.New(fee, from), money.New(amount+fee, from), money.New(receive, to)
	q.RemittanceFee = q.Fee
	if q.Purpose != PurposeRemittance {
		q.RemittanceFee = money.New(w.o.Fees.Fee(FeeRemittance, from, amount), from)
	}
	q.ExpiresAt = time.UnixMicro(expires).UTC()
	return q, nil
}

// ConvertInput converts money at a quote.
type ConvertInput struct {
	QuoteID string `json:"quote_id"`
	PIN     string `json:"pin,omitempty" doc:"the 6-digit payment PIN, always required (without it, 422 invalid_pin; an account without a PIN: 403 pin_required)"`
}

// Convert moves money between the user's own wallets at a quoted rate. A quote is used once.
func (w *Wallet) Convert(ctx context.Context, c Call, in ConvertInput) (Transaction, error) {
	var v fault.Validation
	checkKey(c.Key, &v)
	v.Check(in.QuoteID != "", "quote_id", fault.MsgRequired)
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	return w.once(ctx, userOwner(c.User.ID), c, func() (Transaction, error) {
		q, err := w.quote(ctx, c.User.ID, in.QuoteID)
		if err != nil {
			return Transaction{}, err
		}
		if q.Purpose != PurposeConversion {
			return Transaction{}, fault.Invalid("quote_id", fault.MsgRemittanceQuote)
		}
		fxCP := Counterparty{Type: "fx", Name: q.Amount.Currency + "→" + q.Receive.Currency}
		if tx, err := w.refuseUnverified(ctx, c, KindFXConversion, q.Amount.Amount, q.Amount.Currency, fxCP); err != nil {
			return tx, err
		}
		if err := w.checkPIN(ctx, c, in.PIN); err != nil {
			return Transaction{}, err
		}
		rec := w.base(c, KindFXConversion, q.Amount.Amount, q.Amount.Currency, q.Fee.Amount)
		rec.counterparty = fxCP
		rec.details.FX = &FXDetails{QuoteID: q.ID, Rate: q.Rate, Receive: q.Receive}
		if !w.now().Before(q.ExpiresAt) {
			return w.fail(ctx, rec, ErrQuoteExpired.With("expired_at", q.ExpiresAt), true)
		}
		if c.User.Status == "restricted" {
			return w.fail(ctx, rec, ErrAccountRestricted, true)
		}
		src, err := w.walletAccount(ctx, c.User, q.Amount.Currency)
		if err != nil {
			return Transaction{}, err
		}
		dst, err := w.walletAccount(ctx, c.User, q.Receive.Currency)
		if err != nil {
			return Transaction{}, err
		}
		posFrom, err := w.system(ctx, ledger.KindFXPosition, q.Amount.Currency)
		if err != nil {
			return Transaction{}, err
		}
		posTo, err := w.system(ctx, ledger.KindFXPosition, q.Receive.Currency)
		if err != nil {
			return Transaction{}, err
		}
		postings := []ledger.Posting{
			{Debit: src, Credit: posFrom, Amount: q.Amount.Amount, Currency: q.Amount.Currency},
			{Debit: posTo, Credit: dst, Amount: q.Receive.Amount, Currency: q.Receive.Currency},
		}
		postings, err = w.withFee(ctx, postings, src, q.Fee.Amount, q.Fee.Currency)
		if err != nil {
			return Transaction{}, err
		}
		return w.move(ctx, movement{rec: rec, self: src, selfID: c.User.ID, amount: q.Total,
			receipts: []Receipt{receiptOf(ReceiptFXConverted, rec)},
			transfer: ledger.Transfer{Code: KindFXConversion, Postings: postings,
				Usage: []ledger.Usage{quoteUsage(q.ID)}, Updates: []ledger.Update{useQuote(q.ID, rec.id)}}})
	})
}

// Recipient is who receives a remittance abroad.
type Recipient struct {
	Name          string `json:"name"`
	Country       string `json:"country"`
	BankCode      string `json:"bank_code"`
	AccountNumber string `json:"account_number"`
}

// RemitInput sends money abroad at a remittance quote.
type RemitInput struct {
	QuoteID   string    `json:"quote_id"`
	Recipient Recipient `json:"recipient"`
	PIN       string    `json:"pin,omitempty" doc:"the 6-digit payment PIN, always required (without it, 422 invalid_pin; an account without a PIN: 403 pin_required)"`
}

// Remit holds the quoted amount and fee and pays the recipient's bank abroad in the quoted
// currency; like a withdrawal, a rejection gives both back.
func (w *Wallet) Remit(ctx context.Context, c Call, in RemitInput) (Transaction, error) {
	var v fault.Validation
	checkKey(c.Key, &v)
	v.Check(in.QuoteID != "", "quote_id", fault.MsgRequired)
	v.Check(len(in.Recipient.Country) == 2 && strings.ToUpper(in.Recipient.Country) == in.Recipient.Country, "recipient.country", fault.MsgCountry)
	n := utf8.RuneCountInString(strings.TrimSpace(in.Recipient.Name))
	v.Check(n >= 1 && n <= 100, "recipient.name", fault.MsgRequiredMax, 100)
	checkBankNumbers("recipient", in.Recipient.BankCode, in.Recipient.AccountNumber, &v) // the name is checked above, as recipient.name
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	return w.once(ctx, userOwner(c.User.ID), c, func() (Transaction, error) {
		q, err := w.quote(ctx, c.User.ID, in.QuoteID)
		if err != nil {
			return Transaction{}, err
		}
		if tx, err := w.refuseUnverified(ctx, c, KindRemittance, q.Amount.Amount, q.Amount.Currency, Counterparty{Type: "recipient", Name: in.Recipient.Name}); err != nil {
			return tx, err
		}
		if err := w.checkPIN(ctx, c, in.PIN); err != nil {
			return Transaction{}, err
		}
		// Any quote can be sent abroad at its rate; the fee is the remittance fee.
		q.Fee = q.RemittanceFee
		q.Total = money.New(q.Amount.Amount+q.Fee.Amount, q.Amount.Currency)
		rec := w.base(c, KindRemittance, q.Amount.Amount, q.Amount.Currency, q.Fee.Amount)
		rec.status = StatusPending
		rec.counterparty = Counterparty{Type: "recipient", Name: in.Recipient.Name}
		rec.details.FX = &FXDetails{QuoteID: q.ID, Rate: q.Rate, Receive: q.Receive}
		rec.details.BankAccount = &BankAccount{BankCode: in.Recipient.BankCode, AccountNumber: in.Recipient.AccountNumber,
			HolderName: in.Recipient.Name, Country: in.Recipient.Country}
		rec.settleAfter = rec.at.Add(w.o.SettleAfter).UnixMicro()
		if !w.now().Before(q.ExpiresAt) {
			return w.fail(ctx, rec, ErrQuoteExpired.With("expired_at", q.ExpiresAt), true)
		}
		if reason := w.refuseOutgoing(c.User, q.Amount.Currency, q.Amount.Amount); reason != nil {
			return w.fail(ctx, rec, reason, true)
		}
		src, err := w.walletAccount(ctx, c.User, q.Amount.Currency)
		if err != nil {
			return Transaction{}, err
		}
		clearing, err := w.system(ctx, ledger.KindRemittanceClearing, q.Amount.Currency)
		if err != nil {
			return Transaction{}, err
		}
		postings := []ledger.Posting{{Debit: src, Credit: clearing, Amount: q.Amount.Amount, Currency: q.Amount.Currency}}
		postings, err = w.withFee(ctx, postings, src, q.Fee.Amount, q.Fee.Currency)
		if err != nil {
			return Transaction{}, err
		}
		usage := append(w.outgoing(c.User, q.Amount.Currency, q.Amount.Amount, rec.at), quoteUsage(q.ID))
		return w.move(ctx, movement{rec: rec, self: src, selfID: c.User.ID, amount: q.Total,
			receipts: []Receipt{receiptOf(ReceiptRemittanceSent, rec)},
			transfer: ledger.Transfer{Code: KindRemittance, Postings: postings, Pending: true, Timeout: w.o.PendingTTL, Usage: usage,
				Updates: []ledger.Update{useQuote(q.ID, rec.id)}}})
	})
}

// errQuoteUsed refuses a second use of a quote.
var errQuoteUsed = ErrInvalidState.Saying(fault.MsgQuoteUsed)

// useQuote marks a quote used by the transaction txID in the transaction that moves its
// money. The quote's state comes before the balance: a used quote is refused as used even
// when the balance no longer covers it.
func useQuote(quoteID, txID string) ledger.Update {
	return ledger.Update{SQL: "UPDATE wallet_fx_quotes SET used_by = ? WHERE id = ? AND used_by = ''", Args: []any{txID, quoteID}, Reject: errQuoteUsed}
}

// quoteUsage counts a quote's uses (at most one). The update above refuses a second use
// first; the counter also holds for quotes used before it existed.
func quoteUsage(quoteID string) ledger.Usage {
	return ledger.Usage{Key: usageQuote + quoteID, Amount: 1, Max: 1}
}

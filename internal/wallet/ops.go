package wallet

import (
	"context"
	"errors"
	"fmt"
	"regexp"
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

// checkCall validates what every money movement needs. A missing currency is a missing
// field (400), not an unsupported currency (422).
func checkCall(c Call, amount int64, currency string, v *fault.Validation) {
	checkKey(c.Key, v)
	v.Check(amount > 0, "amount", fault.MsgPositiveAmount)
	v.Check(currency != "", "currency", fault.MsgRequired)
}

// checkKey validates an idempotency key (the HTTP layer checks it first; Go callers such as
// the demo loader and benchmarks rely on this).
func checkKey(key string, v *fault.Validation) {
	v.Check(key != "" && len(key) <= 255, "Idempotency-Key", fault.MsgRequiredKey)
}

func (w *Wallet) base(c Call, kind string, amount int64, currency string, fee int64) record {
	txID, at := w.stamp()
	return record{owner: userOwner(c.User.ID), id: txID, kind: kind, status: StatusSucceeded,
		amount: amount, currency: currency, fee: fee, key: c.Key, hash: c.Hash, at: at}
}

// stamp gives a new transaction its id and creation time together, so that the order of ids
// (by which histories are listed and paged) is also the order of created_at in this process,
// even for transactions started in the same millisecond by racing requests.
func (w *Wallet) stamp() (string, time.Time) {
	w.stampMu.Lock()
	defer w.stampMu.Unlock()
	t := w.now().Truncate(time.Microsecond) // the precision stored
	if t.Before(w.lastStamp) {
		t = w.lastStamp
	}
	w.lastStamp = t
	return id.New("tx"), t
}

// TopUpInput is a top-up request.
type TopUpInput struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Source   Source `json:"source"`
}

// TopUp collects money from a bank transfer or card and credits the wallet, less the top-up fee.
func (w *Wallet) TopUp(ctx context.Context, c Call, in TopUpInput) (Transaction, error) {
	var v fault.Validation
	checkCall(c, in.Amount, in.Currency, &v)
	v.Check(slices.Contains(SourceTypes, in.Source.Type), "source.type", fault.MsgSourceType)
	v.Check(in.Source.Reference != "" && len(in.Source.Reference) <= 128, "source.reference", fault.MsgRequiredMax, 128)
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	if _, err := w.currency(in.Currency); err != nil {
		return Transaction{}, err
	}
	owner := userOwner(c.User.ID)
	return w.once(ctx, owner, c, func() (Transaction, error) {
		feeKind := FeeTopupBank
		if in.Source.Type == "card" {
			feeKind = FeeTopupCard
		}
		fee := w.o.Fees.Fee(feeKind, in.Currency, in.Amount)
		rec := w.base(c, KindTopup, in.Amount, in.Currency, fee)
		src := in.Source // the full card number goes to the processor alone
		src.Reference = MaskReference(src.Reference)
		rec.details.Source = &src
		rec.counterparty = Counterparty{Type: in.Source.Type, Name: src.Reference}
		if fee >= in.Amount {
			return Transaction{}, fault.Invalid("amount", fault.MsgAmountBelowFee)
		}
		if c.User.Status == "restricted" {
			return w.fail(ctx, rec, ErrAccountRestricted, true)
		}
		acct, err := w.walletAccount(ctx, c.User, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		// Refuse before charging what the ledger would refuse after: the balance cap and the
		// monthly incoming limit. The ledger still has the last word under concurrency.
		if reason := w.precheckIncoming(ctx, c.User, acct, in.Currency, in.Amount-fee); reason != nil {
			return w.fail(ctx, rec, reason, true)
		}
		if err := w.o.Funding.Charge(ctx, Charge{ID: rec.id, Source: in.Source, Amount: money.New(in.Amount, in.Currency)}); err != nil {
			reason, keep := providerFailure(err)
			if reason == nil {
				return Transaction{}, fmt.Errorf("top-up %s: %w", rec.id, err)
			}
			w.o.Log.Warn("top-up refused by provider", "tx", rec.id, "err", err)
			return w.fail(ctx, rec, reason, keep)
		}
		funding, err := w.system(ctx, ledger.KindFundingClearing, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		postings := []ledger.Posting{{Debit: funding, Credit: acct, Amount: in.Amount - fee, Currency: in.Currency}}
		postings, err = w.withFee(ctx, postings, funding, fee, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		tx, err := w.move(ctx, movement{rec: rec, self: acct, selfID: c.User.ID, amount: money.New(in.Amount, in.Currency),
			receipts: []Receipt{receiptOf(ReceiptTopupCredited, rec)},
			transfer: ledger.Transfer{Code: KindTopup, Postings: postings, Usage: w.incoming(c.User, in.Currency, in.Amount-fee, rec.at)}})
		// Collected but not credited — refused, in conflict, or the key's credit was another
		// request's (another process took the same key at once and charged too): give it back.
		if err != nil && fault.Code(err) != "" || err == nil && tx.ID != rec.id {
			if rerr := w.o.Funding.Reverse(ctx, rec.id); rerr != nil {
				w.o.Log.Error("reverse refused top-up", "tx", rec.id, "err", rerr)
			}
		}
		return tx, err
	})
}

func (w *Wallet) precheckIncoming(ctx context.Context, u Party, acct, currency string, credit int64) *fault.Error {
	lim := w.o.Limits.For(u.Tier, currency)
	if lim.MaxBalance > 0 {
		a, err := w.l.Account(ctx, acct)
		if err == nil && a.Balance+a.PendingCredits+credit > lim.MaxBalance {
			return ErrLimitExceeded.With("limit", "max_balance", "max", lim.MaxBalance, "currency", currency)
		}
	}
	if lim.MonthlyIncoming > 0 {
		used, err := w.l.Usage(ctx, w.monthInKey(u.ID, currency, w.now()))
		if err == nil && used+credit > lim.MonthlyIncoming {
			return ErrLimitExceeded.With("limit", "monthly_incoming", "max", lim.MonthlyIncoming, "currency", currency)
		}
	}
	return nil
}

// PayInput is a payment to a merchant.
type PayInput struct {
	MerchantID string `json:"merchant_id"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	OrderRef   string `json:"order_ref" doc:"the merchant's order reference, 1-128 characters"`
	PIN        string `json:"pin,omitempty" doc:"the 6-digit payment PIN, always required (without it, 422 invalid_pin; an account without a PIN: 403 pin_required)"`
}

// Pay pays a merchant: the user is debited the amount plus the payer fee, the merchant
// receives the amount less its fee (MDR), and the merchant is told by webhook.
func (w *Wallet) Pay(ctx context.Context, c Call, in PayInput) (Transaction, error) {
	return w.PayWith(ctx, c, in, nil)
}

// PayExtra is what a caller's own records add to one payment (a checkout going from open to
// succeeded, and its webhook): committed in the payment's ledger transfer if and only if it
// is accepted.
type PayExtra struct {
	// Updates must each change a row, or the payment is refused with the update's Reject and
	// recorded as failed (see ledger.Transfer.Updates): the state is checked before the money.
	Updates []ledger.Update
	// Rows are written with the payment (outbox rows of merchant events: Notify follows).
	Rows []db.Row
}

// MerchantName is the public display name of merchant id, as a payer sees it before paying
// (the pages' confirmation step); an unknown id is refused with the words a payment to it
// gets.
func (w *Wallet) MerchantName(ctx context.Context, merchantID string) (string, error) {
	if merchantID == "" {
		return "", ErrNotFound.Saying(fault.MsgMerchantNotFound)
	}
	name, err := w.o.Merchants.Name(ctx, merchantID)
	if errors.Is(err, ErrNotFound) {
		return "", ErrNotFound.Saying(fault.MsgMerchantNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("merchant %s: %w", merchantID, err)
	}
	return name, nil
}

// PayWith is Pay with what extra adds to the transfer. extra is called once the payment is
// decided on but before the ledger sees it, with the payment as it will be recorded (its id,
// fee and time), so that the caller's records can point at it; an error from extra stops the
// payment, recorded nowhere. A replay under the same key answers the first outcome without
// calling extra.
func (w *Wallet) PayWith(ctx context.Context, c Call, in PayInput, extra func(p Transaction) (PayExtra, error)) (Transaction, error) {
	var v fault.Validation
	checkCall(c, in.Amount, in.Currency, &v)
	v.Check(in.MerchantID != "", "merchant_id", fault.MsgRequired)
	n := utf8.RuneCountInString(strings.TrimSpace(in.OrderRef))
	v.Check(n >= 1 && utf8.RuneCountInString(in.OrderRef) <= 128, "order_ref", fault.MsgRequiredMax, 128)
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	if _, err := w.currency(in.Currency); err != nil {
		return Transaction{}, err
	}
	owner := userOwner(c.User.ID)
	return w.once(ctx, owner, c, func() (Transaction, error) {
		if !c.User.PhoneVerified {
			// The failed attempt names the merchant in the history when it exists.
			name, _ := w.MerchantName(ctx, in.MerchantID)
			return w.refuseUnverified(ctx, c, KindPayment, in.Amount, in.Currency, Counterparty{Type: "merchant", ID: in.MerchantID, Name: name})
		}
		if err := w.checkPIN(ctx, c, in.PIN); err != nil {
			return Transaction{}, err
		}
		name, err := w.MerchantName(ctx, in.MerchantID)
		if err != nil {
			return Transaction{}, err
		}
		payerFee := w.o.Fees.Fee(FeePayment, in.Currency, in.Amount)
		mdr := w.o.Fees.Fee(FeeMDR, in.Currency, in.Amount)
		rec := w.base(c, KindPayment, in.Amount, in.Currency, payerFee)
		rec.counterparty = Counterparty{Type: "merchant", ID: in.MerchantID, Name: name}
		rec.details.OrderRef = in.OrderRef
		if reason := w.refuseOutgoing(c.User, in.Currency, in.Amount); reason != nil {
			return w.fail(ctx, rec, reason, true)
		}
		acct, err := w.walletAccount(ctx, c.User, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		macct, err := w.merchantAccount(ctx, in.MerchantID, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		postings := []ledger.Posting{{Debit: acct, Credit: macct, Amount: in.Amount, Currency: in.Currency}}
		if postings, err = w.withFee(ctx, postings, acct, payerFee, in.Currency); err != nil {
			return Transaction{}, err
		}
		// The merchant pays its fee out of what the same transfer brings it.
		if postings, err = w.withFee(ctx, postings, macct, mdr, in.Currency); err != nil {
			return Transaction{}, err
		}
		mrec := rec
		mrec.owner, mrec.key, mrec.hash, mrec.fee = merchantOwner(in.MerchantID), "", "", mdr
		mrec.counterparty = Counterparty{Type: "user", ID: c.User.ID, Name: c.User.Name}
		ev, ok, err := w.o.Merchants.EventRow(ctx, in.MerchantID, "payment.succeeded", paymentEvent(mrec))
		if err != nil {
			return Transaction{}, fmt.Errorf("pay merchant %s: %w", in.MerchantID, err)
		}
		m := movement{rec: rec, others: []record{mrec}, self: acct, selfID: c.User.ID, amount: money.New(in.Amount+payerFee, in.Currency),
			receipts: []Receipt{receiptOf(ReceiptPaymentMade, rec)},
			transfer: ledger.Transfer{Code: KindPayment, Postings: postings, Usage: w.outgoing(c.User, in.Currency, in.Amount, rec.at)}}
		if ok {
			m.extra = append(m.extra, ev)
		}
		if extra != nil {
			ex, err := extra(rec.tx())
			if err != nil {
				return Transaction{}, err
			}
			m.transfer.Updates = append(m.transfer.Updates, ex.Updates...)
			m.extra = append(m.extra, ex.Rows...)
			ok = ok || len(ex.Rows) > 0
		}
		tx, err := w.move(ctx, m)
		if err == nil && ok {
			w.o.Merchants.Notify()
		}
		return tx, err
	})
}

func paymentEvent(r record) map[string]any {
	return map[string]any{"payment_id": r.id, "amount": r.amount, "currency": r.currency, "fee": r.fee,
		"net": r.amount - r.fee, "order_ref": r.details.OrderRef, "user_id": r.counterparty.ID, "created_at": r.at.UTC()}
}

// refuseOutgoing checks what can be known before the ledger: a restricted account and the
// single-transaction limit.
func (w *Wallet) refuseOutgoing(u Party, currency string, amount int64) *fault.Error {
	if u.Status == "restricted" {
		return ErrAccountRestricted
	}
	if err := w.checkPerTransaction(u, currency, amount); err != nil {
		f, _ := fault.As(err)
		return f
	}
	return nil
}

// TransferInput is a P2P transfer.
type TransferInput struct {
	To       string `json:"to"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Note     string `json:"note,omitempty"`
	PIN      string `json:"pin,omitempty" doc:"the 6-digit payment PIN, always required (without it, 422 invalid_pin; an account without a PIN: 403 pin_required)"`
}

// Transfer sends money to another Dompet user found by phone, email or id; the fee is on top.
func (w *Wallet) Transfer(ctx context.Context, c Call, in TransferInput) (Transaction, error) {
	var v fault.Validation
	checkCall(c, in.Amount, in.Currency, &v)
	v.Check(strings.TrimSpace(in.To) != "", "to", fault.MsgRequiredTo)
	v.Check(utf8.RuneCountInString(in.Note) <= 140, "note", fault.MsgAtMostChars, 140)
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	if _, err := w.currency(in.Currency); err != nil {
		return Transaction{}, err
	}
	owner := userOwner(c.User.ID)
	return w.once(ctx, owner, c, func() (Transaction, error) {
		if tx, err := w.refuseUnverified(ctx, c, KindTransferOut, in.Amount, in.Currency, Counterparty{Type: "user"}); err != nil {
			return tx, err
		}
		if err := w.checkPIN(ctx, c, in.PIN); err != nil {
			return Transaction{}, err
		}
		to, err := w.o.Users.Lookup(ctx, strings.TrimSpace(in.To))
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				return Transaction{}, ErrNotFound.Saying(fault.MsgNoUserLogin)
			}
			return Transaction{}, fmt.Errorf("transfer to %s: %w", in.To, err)
		}
		if to.ID == c.User.ID {
			return Transaction{}, fault.Invalid("to", fault.MsgSelfTransfer)
		}
		fee := w.o.Fees.Fee(FeeTransfer, in.Currency, in.Amount)
		rec := w.base(c, KindTransferOut, in.Amount, in.Currency, fee)
		rec.counterparty = Counterparty{Type: "user", ID: to.ID, Name: to.Name}
		rec.details.Note = in.Note
		if reason := w.refuseOutgoing(c.User, in.Currency, in.Amount); reason != nil {
			return w.fail(ctx, rec, reason, true)
		}
		from, err := w.walletAccount(ctx, c.User, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		dest, err := w.walletAccount(ctx, to, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		postings := []ledger.Posting{{Debit: from, Credit: dest, Amount: in.Amount, Currency: in.Currency}}
		postings, err = w.withFee(ctx, postings, from, fee, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		in2 := rec
		in2.owner, in2.kind, in2.key, in2.hash, in2.fee = userOwner(to.ID), KindTransferIn, "", "", 0
		in2.counterparty = Counterparty{Type: "user", ID: c.User.ID, Name: c.User.Name}
		usage := append(w.outgoing(c.User, in.Currency, in.Amount, rec.at), w.incoming(to, in.Currency, in.Amount, rec.at)...)
		return w.move(ctx, movement{rec: rec, others: []record{in2}, self: from, selfID: c.User.ID, amount: money.New(in.Amount+fee, in.Currency),
			receipts: []Receipt{receiptOf(ReceiptTransferSent, rec), receiptOf(ReceiptMoneyReceived, in2)},
			transfer: ledger.Transfer{Code: "transfer", Postings: postings, Usage: usage}})
	})
}

// WithdrawInput is a withdrawal to a bank account.
type WithdrawInput struct {
	Amount      int64       `json:"amount"`
	Currency    string      `json:"currency"`
	BankAccount BankAccount `json:"bank_account"`
	PIN         string      `json:"pin,omitempty" doc:"the 6-digit payment PIN, always required (without it, 422 invalid_pin; an account without a PIN: 403 pin_required)"`
}

var (
	bankCodeRE = regexp.MustCompile(`^[A-Za-z0-9]{3,11}$`)
	accountRE  = regexp.MustCompile(`^[0-9]{5,34}$`)
)

func checkBankAccount(prefix string, b BankAccount, v *fault.Validation) {
	checkBankNumbers(prefix, b.BankCode, b.AccountNumber, v)
	n := utf8.RuneCountInString(strings.TrimSpace(b.HolderName))
	v.Check(n >= 1 && n <= 100, prefix+".holder_name", fault.MsgRequiredMax, 100)
}

// checkBankNumbers checks a bank code and an account number, named under prefix.
func checkBankNumbers(prefix, bankCode, accountNumber string, v *fault.Validation) {
	v.Check(bankCodeRE.MatchString(bankCode), prefix+".bank_code", fault.MsgBankCode)
	v.Check(accountRE.MatchString(accountNumber), prefix+".account_number", fault.MsgAccountNumber)
}

// Withdraw holds the amount and the fee and pays them out to a bank account; the bank
// settles or rejects later, and a rejection gives both back.
func (w *Wallet) Withdraw(ctx context.Context, c Call, in WithdrawInput) (Transaction, error) {
	var v fault.Validation
	checkCall(c, in.Amount, in.Currency, &v)
	checkBankAccount("bank_account", in.BankAccount, &v)
	if err := v.Err(); err != nil {
		return Transaction{}, err
	}
	if _, err := w.currency(in.Currency); err != nil {
		return Transaction{}, err
	}
	owner := userOwner(c.User.ID)
	return w.once(ctx, owner, c, func() (Transaction, error) {
		cp := Counterparty{Type: "bank", ID: in.BankAccount.BankCode, Name: in.BankAccount.HolderName}
		if tx, err := w.refuseUnverified(ctx, c, KindWithdrawal, in.Amount, in.Currency, cp); err != nil {
			return tx, err
		}
		if err := w.checkPIN(ctx, c, in.PIN); err != nil {
			return Transaction{}, err
		}
		fee := w.o.Fees.Fee(FeeWithdrawal, in.Currency, in.Amount)
		rec := w.base(c, KindWithdrawal, in.Amount, in.Currency, fee)
		rec.status = StatusPending
		ba := in.BankAccount
		rec.details.BankAccount = &ba
		rec.counterparty = Counterparty{Type: "bank", ID: ba.BankCode, Name: ba.HolderName}
		rec.settleAfter = rec.at.Add(w.o.SettleAfter).UnixMicro()
		if reason := w.refuseOutgoing(c.User, in.Currency, in.Amount); reason != nil {
			return w.fail(ctx, rec, reason, true)
		}
		acct, err := w.walletAccount(ctx, c.User, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		clearing, err := w.system(ctx, ledger.KindWithdrawalClearing, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		postings := []ledger.Posting{{Debit: acct, Credit: clearing, Amount: in.Amount, Currency: in.Currency}}
		postings, err = w.withFee(ctx, postings, acct, fee, in.Currency)
		if err != nil {
			return Transaction{}, err
		}
		return w.move(ctx, movement{rec: rec, self: acct, selfID: c.User.ID, amount: money.New(in.Amount+fee, in.Currency),
			transfer: ledger.Transfer{Code: KindWithdrawal, Postings: postings, Pending: true, Timeout: w.o.PendingTTL,
				Usage: w.outgoing(c.User, in.Currency, in.Amount, rec.at)}})
	})
}
